// IRC commands after registration, through real sockets.
#include <catch2/catch.hpp>

#include "protocol/limits.hpp"
#include "support/irc_client.hpp"
#include "support/test_server.hpp"

using test::irc_client;
using test::irc_login;
using namespace std::chrono_literals;

TEST_CASE("PRIVMSG and NOTICE to channels and nicks", "[irc][messages]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  alice.join("#chat");
  bob.join("#chat");
  REQUIRE(alice.expect("JOIN #chat").value_or("").starts_with(":bob!~bob@127.0.0.1"));

  alice.send("PRIVMSG #chat :hello there");
  CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG #chat :hello there");
  CHECK(alice.silent_for());  // no echo without echo-message
  alice.send("NOTICE #chat :a notice");
  CHECK(bob.line() == ":alice!~alice@127.0.0.1 NOTICE #chat :a notice");
  alice.send("PRIVMSG bob :just you");
  CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG bob :just you");
  alice.send("PRIVMSG BOB,#chat :both");
  CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG bob :both");
  CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG #chat :both");

  SECTION("commands in any letter case, with or without tags, take the same route") {
    // Tagless PRIVMSG and NOTICE go through the server's no-copy fast path,
    // tagged ones through the full parse: both must relay the same way.
    alice.send("privmsg bob :lower case");
    CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG bob :lower case");
    alice.send("NoTiCe #chat :mixed case");
    CHECK(bob.line() == ":alice!~alice@127.0.0.1 NOTICE #chat :mixed case");
    alice.send("@+draft/reply=1 PRIVMSG bob :tagged");
    CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG bob :tagged");  // no message-tags cap
    alice.send(":alice PRIVMSG   bob   :a source and extra spaces");
    CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG bob :a source and extra spaces");
    alice.send("privmsg bob one-word");
    CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG bob :one-word");
    alice.send("privmsg");
    CHECK(alice.line()->find(" 411 alice :No recipient given (PRIVMSG)") != std::string::npos);
    alice.send("notice bob");
    CHECK(alice.silent_for(50ms));
    CHECK(bob.silent_for(50ms));
  }
  SECTION("a message to oneself comes back, once, under one's own nick") {
    alice.send("PRIVMSG alice :to me");
    CHECK(alice.line() == ":alice!~alice@127.0.0.1 PRIVMSG alice :to me");
    alice.send("PRIVMSG ALICE :any case");
    CHECK(alice.line() == ":alice!~alice@127.0.0.1 PRIVMSG alice :any case");
    alice.send("NOTICE alice :a notice");
    CHECK(alice.line() == ":alice!~alice@127.0.0.1 NOTICE alice :a notice");
    CHECK(alice.silent_for(50ms));
    alice.send("CAP REQ :echo-message");
    REQUIRE(alice.expect("ACK").has_value());
    alice.send("PRIVMSG alice :echoed too");
    CHECK(alice.line() == ":alice!~alice@127.0.0.1 PRIVMSG alice :echoed too");
    CHECK(alice.silent_for(50ms));  // not twice
    CHECK(bob.silent_for(0ms));
  }
  SECTION("errors: 401 403 404 411 412") {
    alice.send("PRIVMSG nobody :hi");
    CHECK(alice.line()->find(" 401 alice nobody :No such nick/channel") != std::string::npos);
    alice.send("PRIVMSG #nowhere :hi");
    CHECK(alice.line()->find(" 403 alice #nowhere :No such channel") != std::string::npos);
    alice.send("PRIVMSG");
    CHECK(alice.line()->find(" 411 alice :No recipient given (PRIVMSG)") != std::string::npos);
    alice.send("PRIVMSG bob");
    CHECK(alice.line()->find(" 412 alice :No text to send") != std::string::npos);
    auto carol = irc_login(server.irc_port(), "carol");
    carol.send("PRIVMSG #chat :from outside");  // +n by default
    CHECK(carol.line()->find(" 404 carol #chat :Cannot send to channel") != std::string::npos);
    CHECK(bob.silent_for(50ms));
  }
  SECTION("NOTICE never answers with an error") {
    alice.send("NOTICE nobody :hi");
    alice.send("NOTICE #nowhere :hi");
    alice.send("NOTICE");
    alice.send("NOTICE bob");
    CHECK(alice.silent_for());
  }
  SECTION("echo-message and server-time") {
    alice.send("CAP REQ :echo-message server-time");
    REQUIRE(alice.expect("ACK").has_value());
    alice.send("PRIVMSG #chat :echoed");
    const auto echo = alice.line();
    REQUIRE(echo);
    CHECK(echo->starts_with("@time="));
    CHECK(echo->ends_with(" :alice!~alice@127.0.0.1 PRIVMSG #chat :echoed"));
    CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG #chat :echoed");
  }
  SECTION("message-tags: client-only tags are relayed to those who asked") {
    bob.send("CAP REQ :message-tags");
    REQUIRE(bob.expect("ACK").has_value());
    alice.send("@+example/reply=abc;server=nope PRIVMSG #chat :tagged");
    // With the message's id (msgid) first; the server-only tag is dropped.
    const auto tagged = bob.line();
    REQUIRE(tagged);
    CHECK(tagged->starts_with("@msgid="));
    CHECK(tagged->ends_with(";+example/reply=abc :alice!~alice@127.0.0.1 PRIVMSG #chat :tagged"));
    CHECK(tagged->find("server=") == std::string::npos);
    alice.send("@+typing=active TAGMSG #chat");
    const auto typing = bob.line();
    REQUIRE(typing);
    CHECK(typing->ends_with(";+typing=active :alice!~alice@127.0.0.1 TAGMSG #chat"));
  }
}

TEST_CASE("NAMES WHO WHOIS TOPIC LIST", "[irc][queries]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  alice.join("#q");
  bob.join("#q");

  alice.send("NAMES #q");
  CHECK(alice.expect(" 353 ") == ":chat.server 353 alice = #q :@alice bob");
  CHECK(alice.line() == ":chat.server 366 alice #q :End of /NAMES list");

  alice.send("WHO #q");
  CHECK(alice.expect(" 352 ") ==
        ":chat.server 352 alice #q ~alice 127.0.0.1 chat.server alice H@ :0 Test user alice");
  CHECK(alice.line() == ":chat.server 352 alice #q ~bob 127.0.0.1 chat.server bob H :0 Test user bob");
  CHECK(alice.line() == ":chat.server 315 alice #q :End of /WHO list");

  alice.send("WHOIS bob");
  CHECK(alice.line() == ":chat.server 311 alice bob ~bob 127.0.0.1 * :Test user bob");
  CHECK(alice.line() == ":chat.server 319 alice bob :#q");
  CHECK(alice.line()->starts_with(":chat.server 312 alice bob chat.server"));
  CHECK(alice.line()->starts_with(":chat.server 317 alice bob "));  // idle seconds, signon time
  CHECK(alice.line() == ":chat.server 318 alice bob :End of /WHOIS list");
  alice.send("WHOIS ghost");
  CHECK(alice.line() == ":chat.server 401 alice ghost :No such nick/channel");
  CHECK(alice.line() == ":chat.server 318 alice ghost :End of /WHOIS list");

  alice.send("TOPIC #q");
  CHECK(alice.line() == ":chat.server 331 alice #q :No topic is set");
  alice.send("TOPIC #q :Weekly sync");
  CHECK(alice.line() == ":alice!~alice@127.0.0.1 TOPIC #q :Weekly sync");
  CHECK(bob.expect("TOPIC") == ":alice!~alice@127.0.0.1 TOPIC #q :Weekly sync");
  bob.send("TOPIC #q");
  CHECK(bob.line() == ":chat.server 332 bob #q :Weekly sync");
  CHECK(bob.line()->starts_with(":chat.server 333 bob #q alice!~alice@127.0.0.1 "));
  bob.send("TOPIC #q :mine now");  // +t by default
  CHECK(bob.line() == ":chat.server 482 bob #q :You're not channel operator");

  bob.send("LIST");
  CHECK(bob.line() == ":chat.server 321 bob Channel :Users  Name");
  std::vector<std::string> rows;
  for (auto l = bob.line(); l && l->find(" 323 ") == std::string::npos; l = bob.line()) rows.push_back(*l);
  CHECK(std::find(rows.begin(), rows.end(), ":chat.server 322 bob #q 2 :Weekly sync") != rows.end());
}

TEST_CASE("AWAY ISON USERHOST LUSERS TIME VERSION and unknown commands", "[irc][queries]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  bob.send("AWAY :lunch");
  CHECK(bob.line() == ":chat.server 306 bob :You have been marked as being away");
  alice.send("PRIVMSG bob :are you there");
  CHECK(alice.line() == ":chat.server 301 alice bob :lunch");
  alice.send("USERHOST bob alice nobody");
  CHECK(alice.line() == ":chat.server 302 alice :bob=-~bob@127.0.0.1 alice=+~alice@127.0.0.1");
  bob.send("AWAY");
  CHECK(bob.expect(" 305 ") == ":chat.server 305 bob :You are no longer marked as being away");
  alice.send("ISON bob nobody ALICE");
  CHECK(alice.line() == ":chat.server 303 alice :bob alice");
  alice.send("LUSERS");
  CHECK(alice.line() == ":chat.server 251 alice :There are 2 users and 0 invisible on 1 servers");
  CHECK(alice.expect(" 255 ").has_value());
  CHECK(alice.expect(" 266 ").has_value());
  alice.send("TIME");
  CHECK(alice.line()->starts_with(":chat.server 391 alice chat.server :20"));
  alice.send("VERSION");
  CHECK(alice.line()->starts_with(":chat.server 351 alice chat-"));
  alice.send("FROBNICATE now");
  CHECK(alice.expect(" 421 ") ==
        ":chat.server 421 alice FROBNICATE :Unknown command");  // after VERSION's 005
  alice.send("MODE alice");
  CHECK(alice.line() == ":chat.server 221 alice :+");
  alice.send("MODE bob +i");
  CHECK(alice.line() == ":chat.server 502 alice :Can't change mode for other users");
}

TEST_CASE("NICK changes are seen by channel peers once", "[irc][nick]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  alice.join("#one");
  alice.join("#two");
  bob.join("#one");
  bob.join("#two");
  alice.send("NICK alicia");
  CHECK(alice.expect("NICK") == ":alice!~alice@127.0.0.1 NICK :alicia");
  CHECK(bob.expect("NICK") == ":alice!~alice@127.0.0.1 NICK :alicia");
  CHECK(bob.silent_for());  // two shared channels, one NICK line
  bob.send("NAMES #two");
  CHECK(bob.expect(" 353 ") == ":chat.server 353 bob = #two :@alicia bob");
  bob.send("NICK alicia");
  CHECK(bob.expect(" 433 ") == ":chat.server 433 bob alicia :Nickname is already in use");
  alice.send("NICK ALICIA");  // a change of case only
  CHECK(alice.expect("NICK") == ":alicia!~alice@127.0.0.1 NICK :ALICIA");
}

TEST_CASE("JOIN with lists and keys - PART - QUIT", "[irc][channels]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  alice.send("JOIN #a,#b");
  // Each channel answers on its own: the two joins may come in either order.
  const auto first = alice.expect(" JOIN #");
  const auto second = alice.expect(" JOIN #");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->ends_with(" JOIN #a") != second->ends_with(" JOIN #a"));
  alice.send("MODE #b +k sesame");
  CHECK(alice.expect("MODE #b +k sesame").has_value());
  bob.send("JOIN #a,#b");
  CHECK(bob.expect(" 475 bob #b :Cannot join channel (+k)").has_value());
  bob.send("JOIN #b,#a sesame");
  CHECK(bob.expect("JOIN #b").has_value());
  bob.send("JOIN bad-name");
  CHECK(bob.expect(" 403 bob bad-name ").has_value());

  bob.send("PART #a :see you");
  CHECK(bob.expect("PART") == ":bob!~bob@127.0.0.1 PART #a :see you");
  CHECK(alice.expect("PART") == ":bob!~bob@127.0.0.1 PART #a :see you");
  bob.send("PART #a");
  CHECK(bob.expect(" 442 ") == ":chat.server 442 bob #a :You're not on that channel");
  bob.send("PART #nowhere");
  CHECK(bob.expect(" 403 ").has_value());

  bob.send("QUIT :gone fishing");
  CHECK(bob.expect("ERROR") == "ERROR :Closing Link: 127.0.0.1 (Quit: gone fishing)");
  CHECK(bob.closed_within());
  CHECK(alice.expect("QUIT") == ":bob!~bob@127.0.0.1 QUIT :Quit: gone fishing");
  alice.send("NAMES #b");
  CHECK(alice.expect(" 353 ") == ":chat.server 353 alice = #b :@alice");
}

TEST_CASE("an abrupt disconnect is a QUIT for the peers", "[irc][channels]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  alice.join("#x");
  {
    auto bob = irc_login(server.irc_port(), "bob");
    bob.join("#x");
    REQUIRE(alice.expect("JOIN").has_value());
    bob.reset();
  }
  CHECK(alice.expect("QUIT") == ":bob!~bob@127.0.0.1 QUIT :Connection closed");
  // The nick is free again.
  auto bob2 = irc_login(server.irc_port(), "bob");
  CHECK(bob2.silent_for(50ms));
}

TEST_CASE("bad lines: 417 for overlong lines - bare CR - invalid UTF-8", "[irc][bad]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  alice.join("#x");
  bob.join("#x");
  REQUIRE(alice.expect("JOIN").has_value());

  // Exactly 512 bytes with CRLF is accepted. Relayed with a source it
  // would pass 512: one message stays one line, its text cut to fit.
  const std::string head = "PRIVMSG #x :";
  const std::string fits(protocol::kIrcMaxLine - 2 - head.size(), 'a');
  alice.send(head + fits);
  const std::string relayed = ":alice!~alice@127.0.0.1 PRIVMSG #x :";
  const auto first = bob.line();
  REQUIRE(first);
  CHECK(first->size() + 2 == protocol::kIrcMaxLine);
  CHECK(first->substr(relayed.size()) == fits.substr(0, protocol::kIrcMaxLine - 2 - relayed.size()));
  CHECK(bob.silent_for());
  alice.send(head + fits + "b");
  CHECK(alice.line() == ":chat.server 417 alice :Input line was too long");
  CHECK(bob.silent_for());
  // A huge line without a newline is refused once, then the stream goes on.
  alice.send_raw(std::string(20000, 'z'));
  CHECK(alice.line() == ":chat.server 417 alice :Input line was too long");
  alice.send("");
  alice.send("PRIVMSG #x :after the flood");
  CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG #x :after the flood");

  // A bare CR does not end a line: the line is refused, nothing is injected.
  alice.send_raw("PRIVMSG #x :one\rQUIT :injected\r\n");
  CHECK(alice.line()->find("NOTICE alice :Malformed line ignored") != std::string::npos);
  CHECK(bob.silent_for());
  // LF alone ends a line.
  alice.send_raw("PRIVMSG #x :bare lf\n");
  CHECK(bob.line() == ":alice!~alice@127.0.0.1 PRIVMSG #x :bare lf");

  alice.send("PRIVMSG #x :bad \xff utf8");
  CHECK(alice.line()->find("FAIL PRIVMSG INVALID_UTF8") != std::string::npos);
  CHECK(bob.silent_for());
}

TEST_CASE("IRC limits at their edges: channel name - topic - channels per user - PING origin",
          "[irc][limits]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");

  const std::string longest = "#" + std::string(protocol::kMaxRoomNameLength - 1, 'c');
  alice.send("JOIN " + longest);
  CHECK(alice.expect(" JOIN ") == ":alice!~alice@127.0.0.1 JOIN " + longest);
  alice.send("JOIN " + longest + "c");
  CHECK(alice.expect(" 403 ") == ":chat.server 403 alice " + longest + "c :No such channel");

  // A topic over the limit is cut between characters, never inside one.
  std::string topic(protocol::kMaxTopicLength - 1, 't');
  topic += "\xc3\xa9\xc3\xa9";  // two 2-byte characters straddling the limit
  alice.send("TOPIC " + longest + " :" + topic);
  const auto set = alice.expect(" TOPIC ");
  REQUIRE(set);
  const auto shown = set->substr(set->find(" :") + 2);
  CHECK(shown == std::string(protocol::kMaxTopicLength - 1, 't'));

  for (std::size_t i = 1; i < protocol::kMaxRoomsPerUser; ++i) {
    alice.send("JOIN #r" + std::to_string(i));
  }
  for (std::size_t i = 1; i < protocol::kMaxRoomsPerUser; ++i) {
    REQUIRE(alice.expect(" 366 ").has_value());
  }
  alice.send("JOIN #one-too-many");
  CHECK(alice.expect(" 405 ") == ":chat.server 405 alice #one-too-many :You have joined too many channels");

  alice.send("PING");
  CHECK(alice.expect(" 409 ") == ":chat.server 409 alice :No origin specified");
}

TEST_CASE("a configured channel limit is advertised and enforced at its edge", "[irc][limits]") {
  auto cfg = test::test_config();
  cfg.irc.max_rooms_per_user = 3;
  test::test_server server(cfg);
  test::irc_client alice(server.irc_port());
  alice.send("NICK alice");
  alice.send("USER alice 0 * :Alice");
  const auto isupport = alice.expect("CHANLIMIT=");
  REQUIRE(isupport.has_value());
  CHECK(isupport->find("CHANLIMIT=#:3 ") != std::string::npos);
  REQUIRE(alice.expect(" 422 ").has_value());
  for (int i = 0; i < 3; ++i) alice.join("#r" + std::to_string(i));
  alice.send("JOIN #r3");
  CHECK(alice.expect(" 405 ") == ":chat.server 405 alice #r3 :You have joined too many channels");
  // Leaving one makes room for another.
  alice.send("PART #r0");
  REQUIRE(alice.expect(" PART ").has_value());
  alice.join("#r3");
  SUCCEED("joined #r3 after leaving #r0");
}
