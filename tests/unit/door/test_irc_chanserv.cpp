// ChanServ at the IRC door, with a real store in a fresh temporary
// directory: what it answers, and what reaches the store.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "support/door_harness.hpp"
#include "support/door_store.hpp"

namespace {

using lines_t = std::vector<std::string>;
using test::find_line;
using test::has_line;

constexpr std::string_view kPassword = "correct-horse";

using test::temp_dir;

std::shared_ptr<store::store> open_store(const temp_dir& d, const std::vector<std::string>& names) {
  return test::open_store(d, names, kPassword);
}

std::vector<store::channel> channels(store::store& s) {
  auto r = store::wait<std::vector<store::channel>>([&](auto done) { s.list_channels(std::move(done)); });
  REQUIRE(r.has_value());
  return *r;
}

// `c` logs in to its account (its nick) through NickServ.
void identify(test::door_harness::client& c) {
  c.send("PRIVMSG NickServ :IDENTIFY " + std::string(kPassword));
  const auto got = c.lines_until(" 900 ");
  for (const auto& l : got) UNSCOPED_INFO(l);  // what came instead, should it fail
  REQUIRE(has_line(got, " 900 "));
}

// What ChanServ answers `c` to `text`: the first ChanServ notice.
std::string chanserv(test::door_harness::client& c, const std::string& text) {
  c.send("PRIVMSG ChanServ :" + text);
  return find_line(c.lines_until("ChanServ!"), "ChanServ!");
}

// A store with the accounts alice and bob, a harness over it, and #reg with
// alice (its operator, not logged in yet) and bob (logged in).
struct fixture {
  temp_dir dir;
  std::shared_ptr<store::store> db = open_store(dir, {"alice", "bob"});
  test::door_harness h{db};
  test::door_harness::client& alice = h.irc_user("alice");
  test::door_harness::client& bob = h.irc_user("bob");
  fixture() {
    identify(bob);
    alice.send("JOIN #reg");
    bob.send("JOIN #reg");
    (void)alice.lines();
    (void)bob.lines();
  }
};

}  // namespace

TEST_CASE("chanserv without a store says channels are not registered here") {
  test::door_harness h;
  auto& c = h.irc_user("carol");
  const auto answer = chanserv(c, "REGISTER #x");
  CHECK(answer.find("NOTICE carol :Channels are not registered on this server.") != std::string::npos);
}

TEST_CASE("chanserv register needs a login and operator status then keeps the channel") {
  fixture f;
  CHECK(chanserv(f.alice, "REGISTER #reg").find("Log in first to register a channel") != std::string::npos);
  CHECK(chanserv(f.bob, "REGISTER #reg").find("You must be a channel operator of #reg") != std::string::npos);
  CHECK(chanserv(f.bob, "REGISTER #elsewhere").find("You are not on #elsewhere.") != std::string::npos);
  CHECK(channels(*f.db).empty());

  identify(f.alice);
  CHECK(chanserv(f.alice, "REGISTER #reg").find("#reg is now registered to alice") != std::string::npos);
  auto kept = channels(*f.db);
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].name == "#reg");
  CHECK(kept[0].founder == "alice");
  CHECK(kept[0].modes == "+nt");
  CHECK(chanserv(f.bob, "REGISTER #REG").find("is registered already, to alice") != std::string::npos);
  CHECK(chanserv(f.bob, "INFO #Reg").find("#reg is registered to alice since 20") != std::string::npos);

  // Its topic and modes reach the store as they change.
  f.alice.send("TOPIC #reg :kept across restarts");
  f.alice.send("MODE #reg +m");
  (void)f.alice.lines();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (channels(*f.db).at(0).modes != "+mnt" && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kept = channels(*f.db);
  CHECK(kept.at(0).topic == "kept across restarts");
  CHECK(kept.at(0).topic_by.starts_with("alice!"));
  CHECK(kept.at(0).modes == "+mnt");
}

TEST_CASE("chanserv drop is for the founder only") {
  fixture f;
  identify(f.alice);
  REQUIRE(chanserv(f.alice, "REGISTER #reg").find("now registered") != std::string::npos);
  CHECK(chanserv(f.bob, "DROP #reg").find("Only the founder of #reg (alice) may drop it.") !=
        std::string::npos);
  CHECK(channels(*f.db).size() == 1);
  CHECK(chanserv(f.alice, "DROP #reg").find("#reg is no longer registered.") != std::string::npos);
  CHECK(channels(*f.db).empty());
  CHECK(chanserv(f.alice, "DROP #reg").find("#reg is not registered.") != std::string::npos);
  CHECK(chanserv(f.alice, "INFO #reg").find("#reg is not registered.") != std::string::npos);
}

TEST_CASE("chanserv drops a registered channel nobody is in") {
  fixture f;
  identify(f.alice);
  REQUIRE(chanserv(f.alice, "REGISTER #reg").find("now registered") != std::string::npos);
  f.alice.send("PART #reg");
  f.bob.send("PART #reg");
  (void)f.alice.lines();
  CHECK(f.h.hub().find_room("#reg") == nullptr);
  CHECK(chanserv(f.alice, "DROP #reg").find("no longer registered") != std::string::npos);
  CHECK(channels(*f.db).empty());
  f.h.poll();
  CHECK(f.h.hub().find_room("#reg") == nullptr);  // it closed again
}

TEST_CASE("chanserv help syntax and unknown commands") {
  fixture f;
  f.bob.send("PRIVMSG ChanServ :HELP");
  const auto help = f.bob.lines_until("INFO <#channel>");
  CHECK(has_line(help, "REGISTER <#channel>"));
  CHECK(has_line(help, "DROP <#channel>"));
  CHECK(chanserv(f.bob, " ").find("Commands: REGISTER, DROP, INFO") != std::string::npos);
  CHECK(chanserv(f.bob, "REGISTER").find("Syntax: REGISTER <#channel>") != std::string::npos);
  CHECK(chanserv(f.bob, "REGISTER nochannel").find("nochannel is not a channel name.") != std::string::npos);
  CHECK(chanserv(f.bob, "FLY #reg").find("Unknown command FLY") != std::string::npos);
}

TEST_CASE("chanserv says so when the store fails") {
  fixture f;
  identify(f.alice);
  f.db->close();  // every request now answers unavailable
  const auto answer = chanserv(f.alice, "REGISTER #reg");
  CHECK(answer.find("Could not register #reg:") != std::string::npos);
  CHECK_FALSE(f.h.hub().saved().find("#reg").has_value());
  // The room is as it was: still unregistered, alice still its operator.
  f.alice.send("TOPIC #reg :fine");
  CHECK(has_line(f.alice.lines(), "TOPIC #reg :fine"));
}

TEST_CASE("nickserv drop takes the account's channels with it") {
  fixture f;
  identify(f.alice);
  REQUIRE(chanserv(f.alice, "REGISTER #reg").find("now registered") != std::string::npos);
  f.alice.send("PRIVMSG NickServ :DROP");
  const auto got = f.alice.lines_until(" 901 ");
  CHECK(has_line(got, "ChanServ!ChanServ@services.chat.server NOTICE alice :#reg is no longer registered."));
  CHECK(channels(*f.db).empty());
  CHECK_FALSE(f.h.hub().saved().find("#reg").has_value());
}
