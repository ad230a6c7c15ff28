// The client's history (draft/chathistory with batch, server-time and
// message-tags), sans I/O: asked for on joining, shown with each line's own
// time before the live lines, an end marker, only what was missed after a
// reconnect, each message once, and the server's limit.
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "core/effects.hpp"
#include "core/irc_machine.hpp"
#include "core/text.hpp"

using client::effects;
using client::irc_machine;
using client::irc_options;
using lines_t = std::vector<std::string>;

namespace {

constexpr std::string_view kAllCaps = "echo-message batch server-time message-tags draft/chathistory";
// 2026-05-01T18:02:05Z
constexpr std::time_t kAt = 1'777'658'525;

irc_machine make(int history_lines = client::kDefaultHistoryLines, std::string nick = "alice") {
  irc_options o;
  o.nick = std::move(nick);
  o.history_lines = history_lines;
  return irc_machine(std::move(o), client::style(false));
}

// Registers with the history caps, and with ISUPPORT's CHATHISTORY= when
// `limit` is not empty; returns what the JOIN echo of #lobby sent.
std::string register_history(irc_machine& m, std::string_view limit = "") {
  m.connected();
  REQUIRE(m.on_line(":irc.test CAP * LS :" + std::string(kAllCaps)).send ==
          "CAP REQ :" + std::string(kAllCaps) + "\r\n");
  REQUIRE(m.on_line(":irc.test CAP alice ACK :" + std::string(kAllCaps)).send == "CAP END\r\n");
  m.on_line(":irc.test 001 alice :Welcome");
  if (!limit.empty()) m.on_line(":irc.test 005 alice CHANTYPES=# " + std::string(limit) + " :are supported");
  m.on_line(":irc.test 376 alice :End of MOTD");
  const auto joined = m.on_line(":alice!chat@host JOIN #lobby");
  REQUIRE(m.registered());
  return joined.send;
}

// A history line of batch `ref`.
std::string history(std::string_view ref, std::string_view msgid, std::string_view rest,
                    std::string_view time = "2026-05-01T18:02:05.000Z") {
  return "@batch=" + std::string(ref) + ";time=" + std::string(time) + ";msgid=" + std::string(msgid) + " " +
         std::string(rest);
}

// The lines of one effects, each with its time: "<time or now> <line>".
lines_t timed(const effects& e) {
  lines_t out;
  for (std::size_t i = 0; i < e.show.size(); ++i)
    out.push_back((e.time_of(i) == 0 ? std::string("now") : std::to_string(e.time_of(i))) + " " + e.show[i]);
  return out;
}

// Everything a sequence of server lines shows.
effects feed(irc_machine& m, const std::vector<std::string>& lines) {
  effects all;
  for (const auto& l : lines) all.merge(m.on_line(l));
  return all;
}

}  // namespace

TEST_CASE("irc history: the caps are requested only with draft/chathistory", "[client][irc][history]") {
  auto m = make();
  m.connected();
  CHECK(m.on_line(":irc.test CAP * LS :batch server-time message-tags echo-message").send ==
        "CAP REQ :echo-message\r\n");
  auto n = make();
  n.connected();
  CHECK(n.on_line(":irc.test CAP * LS :draft/chathistory batch server-time message-tags sasl").send ==
        "CAP REQ :batch server-time message-tags draft/chathistory\r\n");
}

TEST_CASE("irc history: joining a room asks for its latest lines", "[client][irc][history]") {
  auto m = make();
  CHECK(register_history(m) == "CHATHISTORY LATEST #lobby * 50\r\n");
  // And a room joined later.
  REQUIRE(m.on_input("!join #rust").send == "JOIN #rust\r\n");
  CHECK(m.on_line(":alice!chat@host JOIN #rust").send == "CHATHISTORY LATEST #rust * 50\r\n");
  // Someone else's JOIN asks for nothing.
  CHECK(m.on_line(":bob!chat@host JOIN #rust").send.empty());
}

TEST_CASE("irc history: the count is capped by ISUPPORT CHATHISTORY", "[client][irc][history]") {
  SECTION("a lower limit") {
    auto m = make(500);
    CHECK(register_history(m, "CHATHISTORY=100") == "CHATHISTORY LATEST #lobby * 100\r\n");
  }
  SECTION("a higher limit") {
    auto m = make(20);
    CHECK(register_history(m, "CHATHISTORY=1000") == "CHATHISTORY LATEST #lobby * 20\r\n");
  }
  SECTION("0 is no limit") {
    auto m = make(70);
    CHECK(register_history(m, "CHATHISTORY=0") == "CHATHISTORY LATEST #lobby * 70\r\n");
  }
}

TEST_CASE("irc history: history-lines 0 asks for none", "[client][irc][history]") {
  auto m = make(0);
  m.connected();
  CHECK(m.on_line(":irc.test CAP * LS :" + std::string(kAllCaps)).send == "CAP REQ :echo-message\r\n");
  m.on_line(":irc.test CAP alice ACK :echo-message");
  m.on_line(":irc.test 001 alice :Welcome");
  CHECK(m.on_line(":alice!chat@host JOIN #lobby").send.empty());
  CHECK(m.on_input("!query bob").send.empty());
}

TEST_CASE("irc history: a server without chathistory is not asked", "[client][irc][history]") {
  auto m = make();
  m.connected();
  m.on_line(":irc.test CAP * LS :echo-message batch server-time");
  m.on_line(":irc.test CAP alice ACK :echo-message");
  m.on_line(":irc.test 001 alice :Welcome");
  CHECK(m.on_line(":alice!chat@host JOIN #lobby").send.empty());
}

TEST_CASE("irc history: the batch is shown with its times and an end marker", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  const auto e = feed(m, {
                             "BATCH +h1 chathistory #lobby",
                             history("h1", "m1", ":bob!b@host PRIVMSG #lobby :hi"),
                             history("h1", "m2",
                                     ":carol!c@host PRIVMSG #lobby :\x01"
                                     "ACTION waves\x01",
                                     "2026-05-01T18:03:05Z"),
                             history("h1", "m3", ":alice!chat@host PRIVMSG #lobby :me earlier"),
                             "BATCH -h1",
                         });
  CHECK(timed(e) == lines_t{
                        std::to_string(kAt) + " bob > hi",
                        std::to_string(kAt + 60) + " * carol waves",
                        std::to_string(kAt) + " alice > me earlier",
                        "now -- end of history --",
                    });
  CHECK_FALSE(e.mentioned);
  CHECK(e.send.empty());
}

TEST_CASE("irc history: an empty batch shows nothing", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  CHECK(feed(m, {"BATCH +e chathistory #lobby", "BATCH -e"}).show.empty());
}

TEST_CASE("irc history: history lines neither highlight nor count nor answer CTCP",
          "[client][irc][history]") {
  auto m = make();
  register_history(m);
  REQUIRE(m.on_input("!join #rust").send == "JOIN #rust\r\n");
  m.on_line(":alice!chat@host JOIN #rust");  // #rust is current; #lobby's history arrives
  const auto e = feed(m, {
                             "BATCH +h2 chathistory #lobby",
                             history("h2", "n1", ":bob!b@host PRIVMSG #lobby :alice: are you there"),
                             history("h2", "n2", ":bob!b@host PRIVMSG alice :\x01VERSION\x01"),
                             history("h2", "n3", ":bob!b@host PRIVMSG alice :psst"),
                             "BATCH -h2",
                         });
  CHECK_FALSE(e.mentioned);
  CHECK(e.send.empty());  // no CTCP answer
  CHECK(e.show == lines_t{"[#lobby] bob > alice: are you there", "privately bob > psst",
                          "[#lobby] -- end of history --"});
  CHECK(m.prompt() == "#rust> ");  // nothing unread
}

TEST_CASE("irc history: other lines of the batch change nothing", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  const auto e = feed(m, {
                             "BATCH +h3 chathistory #lobby",
                             history("h3", "j1", ":alice!chat@host PART #lobby"),
                             history("h3", "j2", ":alice!chat@host NICK :someone"),
                             "BATCH -h3",
                         });
  CHECK(e.show.empty());
  CHECK(m.nick() == "alice");
  CHECK(m.current_room() == "#lobby");
}

TEST_CASE("irc history: live lines wait for the history and come after it", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  auto live = m.on_line("@msgid=live1 :bob!b@host PRIVMSG #lobby :live one");
  CHECK(live.show.empty());
  // Another room's lines are not held.
  CHECK(m.on_line(":bob!b@host PRIVMSG #other :elsewhere").show == lines_t{"[#other] bob > elsewhere"});
  const auto e = feed(m, {
                             "BATCH +h4 chathistory #lobby",
                             history("h4", "old1", ":bob!b@host PRIVMSG #lobby :old one"),
                             // The server's history already holds the live line: shown once.
                             history("h4", "live1", ":bob!b@host PRIVMSG #lobby :live one"),
                             "BATCH -h4",
                         });
  CHECK(e.show == lines_t{"bob > old one", "-- end of history --", "bob > live one"});
  CHECK(e.time_of(0) == kAt);
  CHECK(e.time_of(2) == 0);
  // From now on, live lines show at once.
  CHECK(m.on_line(":bob!b@host PRIVMSG #lobby :later").show == lines_t{"bob > later"});
}

TEST_CASE("irc history: a message seen live is not shown again from history", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  feed(m, {"BATCH +a chathistory #lobby", history("a", "x1", ":bob!b@host PRIVMSG #lobby :one"), "BATCH -a"});
  CHECK(m.on_line("@msgid=x2 :bob!b@host PRIVMSG #lobby :two").show == lines_t{"bob > two"});
  CHECK(m.on_line("@msgid=x2 :bob!b@host PRIVMSG #lobby :two").show.empty());
  // Rejoining the room asks for what came after the last one seen.
  m.on_line(":alice!chat@host PART #lobby");
  m.on_input("!join #lobby");
  CHECK(m.on_line(":alice!chat@host JOIN #lobby").send == "CHATHISTORY AFTER #lobby msgid=x2 50\r\n");
  const auto e =
      feed(m, {"BATCH +b chathistory #lobby", history("b", "x1", ":bob!b@host PRIVMSG #lobby :one"),
               history("b", "x2", ":bob!b@host PRIVMSG #lobby :two"),
               history("b", "x3", ":bob!b@host PRIVMSG #lobby :three"), "BATCH -b"});
  CHECK(e.show == lines_t{"bob > three", "-- end of history --"});
}

TEST_CASE("irc history: after a reconnect only what was missed is asked for", "[client][irc][history]") {
  auto m = make();
  register_history(m, "CHATHISTORY=1000");
  feed(m, {"BATCH +a chathistory #lobby", history("a", "m1", ":bob!b@host PRIVMSG #lobby :one"),
           history("a", "m2", ":bob!b@host PRIVMSG #lobby :two"), "BATCH -a"});
  m.on_line("@msgid=m3 :carol!c@host PRIVMSG #lobby :three");
  // The connection drops; the machine registers again and rejoins.
  CHECK(register_history(m) == "CHATHISTORY AFTER #lobby msgid=m3 50\r\n");
  const auto e = feed(
      m, {"BATCH +b chathistory #lobby", history("b", "m4", ":bob!b@host PRIVMSG #lobby :four"), "BATCH -b"});
  CHECK(e.show == lines_t{"bob > four", "-- end of history --"});
  // And after another, from the newest of those.
  CHECK(register_history(m) == "CHATHISTORY AFTER #lobby msgid=m4 50\r\n");
}

TEST_CASE("irc history: a live line newer than the history stays the last seen", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  m.on_line("@msgid=new :bob!b@host PRIVMSG #lobby :new");
  feed(m, {"BATCH +a chathistory #lobby", history("a", "older", ":bob!b@host PRIVMSG #lobby :older"),
           "BATCH -a"});
  CHECK(register_history(m) == "CHATHISTORY AFTER #lobby msgid=new 50\r\n");
}

TEST_CASE("irc history: without message-tags a reconnect asks for the latest", "[client][irc][history]") {
  auto m = make();
  m.connected();
  m.on_line(":irc.test CAP * LS :batch server-time draft/chathistory");
  m.on_line(":irc.test CAP alice ACK :batch server-time draft/chathistory");
  m.on_line(":irc.test 001 alice :Welcome");
  CHECK(m.on_line(":alice!chat@host JOIN #lobby").send == "CHATHISTORY LATEST #lobby * 50\r\n");
}

TEST_CASE("irc history: opening a query asks for its history", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  CHECK(m.on_input("!query bob").send == "CHATHISTORY LATEST bob * 50\r\n");
  const auto e = feed(m, {"BATCH +q chathistory bob", history("q", "p1", ":bob!b@host PRIVMSG alice :hello"),
                          history("q", "p2", ":alice!chat@host PRIVMSG bob :hi bob"), "BATCH -q"});
  CHECK(e.show == lines_t{"privately bob > hello", "privately to bob > hi bob", "-- end of history --"});
  CHECK_FALSE(e.mentioned);
  // A query opened again asks nothing more.
  m.on_input("!join #lobby");
  CHECK(m.on_input("!query bob").send.empty());
  // After a reconnect, the query gets what it missed once the MOTD is over.
  m.connected();
  m.on_line(":irc.test CAP * LS :" + std::string(kAllCaps));
  m.on_line(":irc.test CAP alice ACK :" + std::string(kAllCaps));
  m.on_line(":irc.test 001 alice :Welcome");
  CHECK(m.on_line(":irc.test 376 alice :End of MOTD").send == "CHATHISTORY AFTER bob msgid=p2 50\r\n");
}

TEST_CASE("irc history: FAIL CHATHISTORY is one line and lets live lines through", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  CHECK(m.on_line(":bob!b@host PRIVMSG #lobby :waiting").show.empty());
  const auto e =
      m.on_line(":irc.test FAIL CHATHISTORY MESSAGE_ERROR LATEST #lobby :Messages could not be retrieved");
  CHECK(e.show ==
        lines_t{"No history for #lobby: Messages could not be retrieved (MESSAGE_ERROR)", "bob > waiting"});
  const auto other = m.on_line(":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST #nope :No such channel");
  CHECK(other.show == lines_t{"No history: No such channel (INVALID_TARGET)"});
}

TEST_CASE("irc history: lines held when the connection drops are shown then", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  CHECK(m.on_line(":bob!b@host PRIVMSG #lobby :waiting").show.empty());
  m.on_line("BATCH +h chathistory #lobby");
  CHECK(m.disconnected().show == lines_t{"bob > waiting"});
  CHECK(m.disconnected().show.empty());
  // A batch left open by the old connection does not swallow new lines.
  register_history(m);
  CHECK(m.on_line("@batch=h :bob!b@host PRIVMSG #other :new").show == lines_t{"[#other] bob > new"});
}

TEST_CASE("irc history: other FAIL lines are one line too", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  CHECK(m.on_line(":irc.test FAIL REGISTER ACCOUNT_EXISTS alice :Account already exists").show ==
        lines_t{"REGISTER: Account already exists"});
}

TEST_CASE("irc history: an unknown CHATHISTORY command lets live lines through", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  CHECK(m.on_line(":bob!b@host PRIVMSG #lobby :waiting").show.empty());
  const auto e = m.on_line(":irc.test 421 alice CHATHISTORY :Unknown command");
  CHECK(e.show == lines_t{"CHATHISTORY: Unknown command", "bob > waiting"});
}

TEST_CASE("irc history: lines of other batches are shown as live ones", "[client][irc][history]") {
  auto m = make();
  register_history(m);
  feed(m, {"BATCH +h chathistory #lobby", "BATCH -h"});
  const auto e =
      feed(m, {"BATCH +n netsplit irc.a irc.b", "@batch=n :bob!b@host QUIT :irc.a irc.b", "BATCH -n"});
  CHECK(e.show == lines_t{"bob has quit (irc.a irc.b)"});
}

TEST_CASE("irc history: server-time is read in UTC", "[client][history]") {
  CHECK(client::parse_server_time("2026-05-01T18:02:05.000Z") == kAt);
  CHECK(client::parse_server_time("2026-05-01T18:02:05Z") == kAt);
  CHECK(client::parse_server_time("1970-01-01T00:00:00Z") == 0);
  CHECK_FALSE(client::parse_server_time("2026-05-01 18:02:05Z"));
  CHECK_FALSE(client::parse_server_time("2026-05-01T18:02:05"));
  CHECK_FALSE(client::parse_server_time("2026-13-01T18:02:05Z"));
  CHECK_FALSE(client::parse_server_time("2026-05-01T-1:02:05Z"));
  CHECK_FALSE(client::parse_server_time("2026-05-01T18:02:05.Z"));
  CHECK_FALSE(client::parse_server_time(""));
}

TEST_CASE("irc history: the time in front is short today and dated before", "[client][history]") {
  const char* old = std::getenv("TZ");
  const std::string saved = old == nullptr ? std::string() : old;
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  CHECK(client::clock_prefix(kAt, kAt + 3600) == "18:02:05 ");
  CHECK(client::clock_prefix(kAt, kAt + 86400) == "2026-05-01 18:02 ");
  if (old == nullptr) {
    ::unsetenv("TZ");
  } else {
    ::setenv("TZ", saved.c_str(), 1);
  }
  ::tzset();
}
