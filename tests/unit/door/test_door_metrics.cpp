// What the doors tell the metrics, through the fake link: the reason each
// kind of close notes, and registrations, messages and deliveries counted
// once each (render() before and after).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "metrics/metrics.hpp"
#include "protocol/seed.hpp"
#include "support/door_harness.hpp"
#include "support/prometheus_text.hpp"

using metrics::disconnect;
using test::door_harness;

namespace {

void say(door_harness::client& c, std::string_view text) {
  c.send_raw(protocol::seed::encode_frame(text));
}

double value(const std::string& series) {
  const auto e = test::parse_exposition(metrics::render());
  REQUIRE(e.errors.empty());
  const auto v = e.value(series);
  INFO(series);
  REQUIRE(v.has_value());
  return *v;
}

}  // namespace

TEST_CASE("irc door: each close notes its real reason", "[metrics][door][irc]") {
  door_harness h;
  SECTION("QUIT") {
    auto& a = h.irc_user("a");
    a.send("QUIT :bye");
    CHECK(a.link->close_reason() == disconnect::quit);
  }
  SECTION("a ping timeout") {
    auto& a = h.irc_user("a");
    a.link->set_now(door::clock::now() - h.irc_settings().ping_interval - h.irc_settings().ping_timeout);
    a.send("PONG x");
    a.door->on_deadline();  // PING
    a.door->on_deadline();  // no answer
    CHECK(a.link->close_reason() == disconnect::ping_timeout);
  }
  SECTION("no registration in time") {
    auto& a = h.irc();
    a.door->on_deadline();
    CHECK(a.link->close_reason() == disconnect::login_timeout);
  }
  SECTION("excess flood") {
    auto& a = h.irc_user("a");
    a.door->on_excess_flood();
    CHECK(a.link->close_reason() == disconnect::flood);
  }
  SECTION("KILL") {
    h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", "pw"}}});
    auto& op = h.irc_user("op");
    op.send("OPER admin pw");
    auto& b = h.irc_user("b");
    op.send("KILL b :spamming");
    CHECK(b.link->close_reason() == disconnect::kill);
    CHECK_FALSE(op.link->close_reason().has_value());
  }
  SECTION("a wrong server password") {
    h.irc_settings().live->set({.motd = {}, .password = "secret", .opers = {}});
    auto& a = h.irc();
    a.send("PASS wrong");
    a.send("NICK a");
    a.send("USER a 0 * :A");
    CHECK(a.link->close_reason() == disconnect::refused);
  }
  SECTION("shutdown is the connection's to note, and EOF notes nothing") {
    auto& a = h.irc_user("a");
    a.door->on_shutdown();
    a.stop();
    CHECK_FALSE(a.link->close_reason().has_value());
  }
}

TEST_CASE("seed door: each close notes its real reason", "[metrics][door][seed]") {
  door_harness h;
  SECTION("!logout") {
    auto& a = h.seed_user("a");
    say(a, "!logout");
    CHECK(a.link->close_reason() == disconnect::quit);
  }
  SECTION("no username in time") {
    auto& a = h.seed();
    a.door->on_deadline();
    CHECK(a.link->close_reason() == disconnect::login_timeout);
  }
  SECTION("a taken username") {
    auto& taken = h.seed_user("a");
    (void)taken;
    auto& b = h.seed();
    say(b, "A");
    CHECK(b.link->close_reason() == disconnect::refused);
  }
  SECTION("excess flood") {
    auto& a = h.seed_user("a");
    a.door->on_excess_flood();
    CHECK(a.link->close_reason() == disconnect::flood);
  }
  SECTION("KICK from the lobby, and KILL") {
    h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", "pw"}}});
    auto& op = h.irc_user("op");
    op.send("OPER admin pw");
    op.send("JOIN #lobby");
    auto& s = h.seed_user("sid");
    auto& t = h.seed_user("tom");
    op.send("KICK #lobby sid :rude");
    CHECK(s.link->close_reason() == disconnect::refused);
    op.send("KILL tom :bye");
    CHECK(t.link->close_reason() == disconnect::kill);
  }
}

TEST_CASE("doors count registrations, messages in and deliveries once each", "[metrics][door]") {
  door_harness h;
  const std::string irc_regs = "chat_registrations_total{door=\"irc\"}";
  const std::string seed_regs = "chat_registrations_total{door=\"seed\"}";
  const std::string irc_in = "chat_messages_received_total{door=\"irc\"}";
  const std::string seed_in = "chat_messages_received_total{door=\"seed\"}";
  const std::string deliveries = "chat_deliveries_total";
  const std::string fanouts = "chat_fanout_duration_seconds_count";

  const double regs0 = value(irc_regs);
  const double seed_regs0 = value(seed_regs);
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  auto& s = h.seed_user("sid");
  CHECK(value(irc_regs) - regs0 == 2);
  CHECK(value(seed_regs) - seed_regs0 == 1);
  a.send("JOIN #lobby");
  b.send("JOIN #lobby");
  h.poll();

  const double in0 = value(irc_in);
  const double seed_in0 = value(seed_in);
  const double d0 = value(deliveries);
  const double f0 = value(fanouts);
  a.send("PRIVMSG #lobby :hi all");  // to b and sid: two deliveries, one fan-out
  a.send("PRIVMSG b :just you");     // one delivery
  a.send("PRIVMSG nobody :lost");    // no such nick: not accepted
  say(s, "hello");                   // to a and b
  say(s, "!msg a psst");             // to a
  h.poll();
  CHECK(value(irc_in) - in0 == 2);
  CHECK(value(seed_in) - seed_in0 == 2);
  CHECK(value(deliveries) - d0 == 2 + 1 + 2 + 1);
  CHECK(value(fanouts) - f0 == 2);
}
