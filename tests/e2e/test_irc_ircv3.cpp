// The IRC commands, modes and caps of the second round over real sockets:
// labeled-response, msgid, away-notify and extended-join between clients;
// RENAME's fallback; STATUSMSG; a secret channel; WHOWAS and MONITOR.
#include <string>

#include <catch2/catch.hpp>

#include "support/irc_client.hpp"
#include "support/test_server.hpp"

using test::irc_client;
using test::irc_login;

namespace {

irc_client with_caps(std::uint16_t port, std::string_view nick, std::string_view caps) {
  irc_client c(port);
  c.send("CAP LS 302");
  c.send("CAP REQ :" + std::string(caps));
  c.send("NICK " + std::string(nick));
  c.send("USER " + std::string(nick) + " 0 * :" + std::string(nick));
  REQUIRE(c.expect(" ACK :").has_value());
  c.send("CAP END");
  REQUIRE(c.expect(" 422 ").has_value());
  return c;
}

}  // namespace

TEST_CASE("e2e: labeled-response, msgid, away-notify and extended-join between clients", "[irc][ircv3]") {
  test::test_server server;
  auto a =
      with_caps(server.irc_port(), "alice", "labeled-response batch message-tags away-notify extended-join");
  auto b = irc_login(server.irc_port(), "bob");
  a.send("@label=j1 JOIN #v3");
  const auto open = a.expect("BATCH +");
  REQUIRE(open);
  CHECK(open->starts_with("@label=j1 :chat.server BATCH +"));
  CHECK(a.expect(" 366 ")->find("@batch=") == 0);
  CHECK(a.expect("BATCH -").has_value());
  a.send("@label=p1 PING token");
  CHECK(a.line() == "@label=p1 :chat.server PONG chat.server :token");
  b.send("JOIN #v3");
  CHECK(a.expect(" JOIN ") == ":bob!~bob@127.0.0.1 JOIN #v3 * :Test user bob");
  b.send("PRIVMSG #v3 :with an id");
  const auto said = a.expect("with an id");
  REQUIRE(said);
  CHECK(said->starts_with("@msgid="));
  b.send("AWAY :out for lunch");
  CHECK(a.expect(" AWAY ") == ":bob!~bob@127.0.0.1 AWAY :out for lunch");
}

TEST_CASE("e2e: RENAME reaches a client without the cap as PART and JOIN", "[irc][ircv3][rename]") {
  test::test_server server;
  auto op = irc_login(server.irc_port(), "op");
  auto plain = irc_login(server.irc_port(), "plain");
  op.join("#old");
  plain.join("#old");
  op.send("RENAME #old #new :spring cleaning");
  CHECK(plain.expect(" PART ") == ":plain!~plain@127.0.0.1 PART #old :spring cleaning");
  CHECK(plain.line() == ":plain!~plain@127.0.0.1 JOIN #new");
  CHECK(plain.expect(" 366 ") == ":chat.server 366 plain #new :End of /NAMES list");
  plain.send("PRIVMSG #new :made it");
  CHECK(op.expect("made it") == ":plain!~plain@127.0.0.1 PRIVMSG #new :made it");
}

TEST_CASE("e2e: STATUSMSG, a secret channel, WHOWAS and MONITOR", "[irc][ircv3]") {
  test::test_server server;
  auto op = irc_login(server.irc_port(), "op");
  auto member = irc_login(server.irc_port(), "member");
  auto outsider = irc_login(server.irc_port(), "outsider");
  op.join("#s");
  member.join("#s");
  op.send("MODE #s +s");
  REQUIRE(member.expect("MODE #s +s").has_value());
  member.send("PRIVMSG @#s :for operators");
  CHECK(op.expect("for operators") == ":member!~member@127.0.0.1 PRIVMSG @#s :for operators");
  outsider.send("LIST");
  REQUIRE(outsider.expect(" 323 ").has_value());
  for (const auto& l : outsider.skipped()) CHECK(l.find(" #s ") == std::string::npos);
  outsider.send("MONITOR + member");
  CHECK(outsider.expect(" 730 ") == ":chat.server 730 outsider :member!~member@127.0.0.1");
  member.send("QUIT :gone");
  CHECK(outsider.expect(" 731 ") == ":chat.server 731 outsider :member");
  outsider.send("WHOWAS member");
  CHECK(outsider.expect(" 314 ") == ":chat.server 314 outsider member ~member 127.0.0.1 * :Test user member");
  CHECK(outsider.expect(" 369 ").has_value());
}
