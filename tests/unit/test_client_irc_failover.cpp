// The client's IRC machine across a failover, sans I/O: a new connection
// (to another server of the list) rejoins, asks CHATHISTORY AFTER the last
// msgid seen in each room (LATEST where none was), shows a message that
// comes both live and in the history once, and gets its nick back from the
// lost connection that still holds it.
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

constexpr std::string_view kCaps = "echo-message batch server-time message-tags draft/chathistory";

irc_machine make(std::vector<std::string> rooms = {"#room"}) {
  irc_options o;
  o.nick = "alice";
  o.rooms = std::move(rooms);
  return irc_machine(std::move(o), client::style(false));
}

// A connection up to the end of the MOTD, with the history caps and the
// ISUPPORT `tokens`; what it sent from the welcome on.
std::string handshake(irc_machine& m, std::string_view welcome_nick = "alice", std::string_view tokens = "") {
  m.connected();
  m.on_line(":srv CAP * LS :" + std::string(kCaps));
  m.on_line(":srv CAP " + std::string(welcome_nick) + " ACK :" + std::string(kCaps));
  auto sent = m.on_line(":srv 001 " + std::string(welcome_nick) + " :Welcome").send;
  if (!tokens.empty())
    m.on_line(":srv 005 " + std::string(welcome_nick) + " " + std::string(tokens) + " :ok");
  sent += m.on_line(":srv 376 " + std::string(welcome_nick) + " :End of MOTD").send;
  return sent;
}

std::string history(std::string_view ref, std::string_view msgid, std::string_view rest) {
  return "@batch=" + std::string(ref) + ";time=2026-05-01T18:02:05.000Z;msgid=" + std::string(msgid) + " " +
         std::string(rest);
}

effects feed(irc_machine& m, const std::vector<std::string>& lines) {
  effects all;
  for (const auto& l : lines) all.merge(m.on_line(l));
  return all;
}

bool shows(const effects& e, std::string_view part) {
  for (const auto& line : e.show)
    if (line.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("irc failover: each room asks after its own last msgid or for the latest",
          "[client][irc][failover]") {
  auto m = make({"#a", "#b"});
  CHECK(handshake(m) == "JOIN #a,#b\r\n");
  CHECK(m.on_line(":alice!chat@host JOIN #a").send == "CHATHISTORY LATEST #a * 50\r\n");
  CHECK(m.on_line(":alice!chat@host JOIN #b").send == "CHATHISTORY LATEST #b * 50\r\n");
  feed(m, {"BATCH +1 chathistory #a", history("1", "a1", ":bob!b@h PRIVMSG #a :old"), "BATCH -1",
           "BATCH +2 chathistory #b", "BATCH -2"});
  m.on_line("@msgid=a2 :bob!b@h PRIVMSG #a :newer");
  m.disconnected();
  // Another server: #a from its last message, #b (nothing seen) its latest.
  CHECK(handshake(m) == "JOIN #a,#b\r\n");
  CHECK(m.on_line(":alice!chat@host JOIN #a").send == "CHATHISTORY AFTER #a msgid=a2 50\r\n");
  CHECK(m.on_line(":alice!chat@host JOIN #b").send == "CHATHISTORY LATEST #b * 50\r\n");
}

TEST_CASE("irc failover: a message both live and in the history shows once and in order",
          "[client][irc][failover]") {
  auto m = make();
  handshake(m);
  m.on_line(":alice!chat@host JOIN #room");
  feed(m, {"BATCH +1 chathistory #room", "BATCH -1"});
  CHECK(m.on_line("@msgid=m1 :bob!b@h PRIVMSG #room :before").show == lines_t{"bob > before"});
  m.disconnected();

  handshake(m);
  CHECK(m.on_line(":alice!chat@host JOIN #room").send == "CHATHISTORY AFTER #room msgid=m1 50\r\n");
  // Said while we were away, then once more live before the history comes.
  CHECK(m.on_line("@msgid=m3 :bob!b@h PRIVMSG #room :live").show.empty());
  const auto e = feed(m, {"BATCH +2 chathistory #room", history("2", "m2", ":bob!b@h PRIVMSG #room :missed"),
                          history("2", "m3", ":bob!b@h PRIVMSG #room :live"), "BATCH -2"});
  CHECK(e.show == lines_t{"bob > missed", "-- end of history --", "bob > live"});
  // A server that sends one again (a second relay) is not believed.
  CHECK(m.on_line("@msgid=m2 :bob!b@h PRIVMSG #room :missed").show.empty());
  CHECK(m.on_line("@msgid=m1 :bob!b@h PRIVMSG #room :before").show.empty());
  m.disconnected();
  handshake(m);
  CHECK(m.on_line(":alice!chat@host JOIN #room").send == "CHATHISTORY AFTER #room msgid=m3 50\r\n");
}

TEST_CASE("irc failover: a nick still held by the lost connection is replaced then taken back",
          "[client][irc][failover][nick]") {
  auto m = make();
  handshake(m);
  m.disconnected();
  m.connected();
  m.on_line(":srv CAP * LS :" + std::string(kCaps));
  m.on_line(":srv CAP * ACK :" + std::string(kCaps));
  const auto taken = m.on_line(":srv 433 * alice :Nickname is already in use");
  CHECK(taken.send == "NICK alice_\r\n");
  CHECK_FALSE(m.awaiting_nick());
  CHECK(shows(taken, "using alice_ until it is free"));
  CHECK(m.on_line(":srv 001 alice_ :Welcome").send == "JOIN #room\r\n");
  CHECK(m.nick() == "alice_");
  m.on_line(":srv 376 alice_ :End of MOTD");
  m.on_line(":alice_!chat@host JOIN #room");
  // Someone else leaving changes nothing; the old connection's QUIT frees the nick.
  CHECK(m.on_line(":bob!b@h QUIT :bye").send.empty());
  CHECK(m.on_line(":alice!chat@h QUIT :north.test south").send == "NICK alice\r\n");
  m.on_line(":alice_!chat@host NICK alice");
  CHECK(m.nick() == "alice");
  // Nothing is waited for any more.
  CHECK(m.on_line(":alice2!chat@h NICK alice3").send.empty());
}

TEST_CASE("irc failover: MONITOR says when the held nick is free", "[client][irc][failover][nick]") {
  auto m = make();
  handshake(m);
  m.disconnected();
  m.connected();
  m.on_line(":srv CAP * LS :" + std::string(kCaps));
  m.on_line(":srv CAP * ACK :" + std::string(kCaps));
  m.on_line(":srv 433 * alice :Nickname is already in use");
  m.on_line(":srv 001 alice_ :Welcome");
  m.on_line(":srv 005 alice_ MONITOR=100 :are supported");
  CHECK(m.on_line(":srv 376 alice_ :End of MOTD").send == "MONITOR + alice\r\n");
  CHECK(m.on_line(":srv 731 alice_ :carol,alice").send == "NICK alice\r\n");
  CHECK(m.on_line(":alice_!chat@host NICK alice").send == "MONITOR - alice\r\n");
}

TEST_CASE("irc failover: the next connection asks for the wanted nick first",
          "[client][irc][failover][nick]") {
  auto m = make();
  handshake(m);
  m.disconnected();
  m.connected();
  m.on_line(":srv 433 * alice :Nickname is already in use");
  m.on_line(":srv 001 alice_ :Welcome");
  m.disconnected();
  const auto again = m.connected();
  CHECK(again.send.find("NICK alice\r\n") != std::string::npos);
  m.on_line(":srv 001 alice :Welcome");
  CHECK(m.nick() == "alice");
}

TEST_CASE("irc failover: after a few tries the user is asked", "[client][irc][failover][nick]") {
  auto m = make();
  handshake(m);
  m.disconnected();
  m.connected();
  CHECK(m.on_line(":srv 433 * alice :in use").send == "NICK alice_\r\n");
  CHECK(m.on_line(":srv 433 * alice_ :in use").send == "NICK alice__\r\n");
  CHECK(m.on_line(":srv 433 * alice__ :in use").send == "NICK alice___\r\n");
  const auto asked = m.on_line(":srv 433 * alice___ :in use");
  CHECK(asked.send.empty());
  CHECK(m.awaiting_nick());
  CHECK(shows(asked, "Choose another nick."));
}

TEST_CASE("irc failover: the first connection never picks a nick by itself",
          "[client][irc][failover][nick]") {
  auto m = make();
  m.connected();
  CHECK(m.on_line(":srv 433 * alice :in use").send.empty());
  CHECK(m.awaiting_nick());
}

TEST_CASE("irc failover: a nick the user picks ends the wait for the old one",
          "[client][irc][failover][nick]") {
  auto m = make();
  handshake(m);
  m.disconnected();
  m.connected();
  m.on_line(":srv 433 * alice :in use");
  m.on_line(":srv 001 alice_ :Welcome");
  m.on_line(":alice_!chat@host NICK bob");
  CHECK(m.on_line(":alice!chat@h QUIT :gone").send.empty());
  m.disconnected();
  CHECK(m.connected().send.find("NICK bob\r\n") != std::string::npos);
}

TEST_CASE("irc failover: a full page of what was missed asks for the next", "[client][irc][failover]") {
  irc_options o;
  o.nick = "alice";
  o.rooms = {"#room"};
  o.history_lines = 2;
  irc_machine m(std::move(o), client::style(false));
  handshake(m);
  m.on_line(":alice!chat@host JOIN #room");
  feed(m, {"BATCH +1 chathistory #room", "BATCH -1"});
  m.on_line("@msgid=m0;time=2026-05-01T18:00:00.000Z :bob!b@h PRIVMSG #room :seen");
  m.disconnected();
  handshake(m);
  CHECK(m.on_line(":alice!chat@host JOIN #room").send == "CHATHISTORY AFTER #room msgid=m0 2\r\n");
  CHECK(m.on_line("@msgid=m9 :bob!b@h PRIVMSG #room :live").show.empty());
  const auto first = feed(m, {"BATCH +2 chathistory #room", history("2", "m1", ":bob!b@h PRIVMSG #room :one"),
                              history("2", "m2", ":bob!b@h PRIVMSG #room :two"), "BATCH -2"});
  CHECK(first.send == "CHATHISTORY AFTER #room msgid=m2 2\r\n");
  CHECK(first.show == lines_t{"bob > one", "bob > two"});  // no end marker yet, the live line still waits
  const auto second = feed(
      m, {"BATCH +3 chathistory #room", history("3", "m3", ":bob!b@h PRIVMSG #room :three"), "BATCH -3"});
  CHECK(second.send.empty());
  CHECK(second.show == lines_t{"bob > three", "-- end of history --", "bob > live"});
}

TEST_CASE("irc failover: an empty AFTER is asked again by the time of the last message",
          "[client][irc][failover]") {
  auto m = make();
  handshake(m);
  m.on_line(":alice!chat@host JOIN #room");
  feed(m, {"BATCH +1 chathistory #room", "BATCH -1"});
  m.on_line("@msgid=onlynorth;time=2026-05-01T18:00:00.000Z :bob!b@h PRIVMSG #room :seen");
  m.disconnected();
  handshake(m);
  m.on_line(":alice!chat@host JOIN #room");
  // The new server never had that msgid: nothing after it, as far as it knows.
  const auto retry = feed(m, {"BATCH +2 chathistory #room", "BATCH -2"});
  CHECK(retry.send == "CHATHISTORY AFTER #room timestamp=2026-05-01T18:00:00.000Z 50\r\n");
  const auto e = feed(
      m, {"BATCH +3 chathistory #room", history("3", "x1", ":bob!b@h PRIVMSG #room :missed"), "BATCH -3"});
  CHECK(e.send.empty());
  CHECK(e.show == lines_t{"bob > missed", "-- end of history --"});
}

TEST_CASE("irc failover: the first join asks once even when its history is empty",
          "[client][irc][failover]") {
  auto m = make();
  handshake(m);
  m.on_line(":alice!chat@host JOIN #room");
  CHECK(feed(m, {"BATCH +1 chathistory #room", "BATCH -1"}).send.empty());
}
