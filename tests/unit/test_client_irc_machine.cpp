// The client's IRC machine, sans I/O: server lines (without CRLF) and typed
// lines go in; the IRC lines it sends, the lines it shows and its state are
// checked. The style has colour off, so shown lines are plain text.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "core/effects.hpp"
#include "core/irc_machine.hpp"
#include "core/text.hpp"
#include "net/log.hpp"
#include "protocol/limits.hpp"

using client::effects;
using client::irc_machine;
using client::irc_options;

namespace {

// A printable form of bytes for INFO: control bytes as \xNN.
std::string hex(std::string_view s) {
  return net::sample(s, s.size());  // the log's printable form: quoted, \xNN for the rest
}

std::string shown(const effects& e) {
  std::string out;
  for (const auto& line : e.show) out += "  \"" + hex(line) + "\"\n";
  return out;
}

// Does any shown line contain `part`?
bool shows(const effects& e, std::string_view part) {
  for (const auto& line : e.show)
    if (line.find(part) != std::string::npos) return true;
  return false;
}

irc_options options(std::string nick = "alice") {
  irc_options o;
  o.nick = std::move(nick);
  return o;
}

irc_machine make(irc_options o = options()) {
  return irc_machine(std::move(o), client::style(false));
}

// Connects and registers without capabilities; the server confirms the JOIN.
void register_plain(irc_machine& m) {
  m.connected();
  m.on_line(":irc.test CAP * LS :multi-prefix");
  m.on_line(":irc.test 001 " + m.nick() + " :Welcome to the test network");
  m.on_line(":" + m.nick() + "!chat@127.0.0.1 JOIN #lobby");
  REQUIRE(m.registered());
  REQUIRE(m.current_room() == "#lobby");
}

// Connects and registers with echo-message.
void register_echo(irc_machine& m) {
  m.connected();
  REQUIRE(m.on_line(":irc.test CAP * LS :echo-message").send == "CAP REQ :echo-message\r\n");
  REQUIRE(m.on_line(":irc.test CAP * ACK :echo-message").send == "CAP END\r\n");
  m.on_line(":irc.test 001 " + m.nick() + " :Welcome");
  m.on_line(":" + m.nick() + "!chat@127.0.0.1 JOIN #lobby");
  REQUIRE(m.registered());
}

// Joins another room, confirmed by the server.
void join(irc_machine& m, const std::string& room) {
  REQUIRE(m.on_input("!join " + room).send == "JOIN " + room + "\r\n");
  m.on_line(":" + m.nick() + "!chat@127.0.0.1 JOIN " + room);
}

// The shown lines of one server line.
std::vector<std::string> show_of(irc_machine& m, std::string_view line) {
  return m.on_line(line).show;
}

}  // namespace

// ---- Registration ---------------------------------------------------------------

TEST_CASE("irc_machine: connected sends CAP LS NICK and USER", "[client][irc][registration]") {
  auto m = make();
  const auto e = m.connected();
  CHECK(e.send == "CAP LS 302\r\nNICK alice\r\nUSER chat 0 * :chat-client\r\n");
  CHECK(e.show.empty());
  CHECK_FALSE(m.registered());
  CHECK_FALSE(m.quitting());
  CHECK_FALSE(m.awaiting_nick());
  CHECK(m.nick() == "alice");
  CHECK(m.current_room().empty());
  CHECK(m.prompt() == "> ");
}

TEST_CASE("irc_machine: connected sends PASS when a password is set", "[client][irc][registration]") {
  auto o = options();
  o.password = "s3cret";
  o.user = "al";
  o.realname = "Alice Liddell";
  auto m = make(o);
  CHECK(m.connected().send == "CAP LS 302\r\nPASS :s3cret\r\nNICK alice\r\nUSER al 0 * :Alice Liddell\r\n");
}

TEST_CASE("irc_machine: CAP LS with echo-message requests it and ACK ends CAP", "[client][irc][cap]") {
  auto m = make();
  m.connected();
  CHECK(m.on_line(":irc.test CAP * LS :multi-prefix echo-message sasl=PLAIN").send ==
        "CAP REQ :echo-message\r\n");
  CHECK(m.on_line(":irc.test CAP * ACK :echo-message").send == "CAP END\r\n");
  CHECK_FALSE(m.registered());
}

TEST_CASE("irc_machine: a capability with a value is still recognised", "[client][irc][cap]") {
  auto m = make();
  m.connected();
  CHECK(m.on_line(":irc.test CAP * LS :echo-message=yes").send == "CAP REQ :echo-message\r\n");
}

TEST_CASE("irc_machine: CAP NAK ends CAP", "[client][irc][cap]") {
  auto m = make();
  m.connected();
  m.on_line(":irc.test CAP * LS :echo-message");
  CHECK(m.on_line(":irc.test CAP * NAK :echo-message").send == "CAP END\r\n");
}

TEST_CASE("irc_machine: CAP LS without echo-message ends CAP at once", "[client][irc][cap]") {
  auto m = make();
  m.connected();
  CHECK(m.on_line(":irc.test CAP * LS :multi-prefix sasl").send == "CAP END\r\n");
  CHECK(m.on_line(":irc.test CAP * LS :").send == "CAP END\r\n");
}

TEST_CASE("irc_machine: a multi-line CAP LS is answered after its last line", "[client][irc][cap]") {
  auto m = make();
  m.connected();
  SECTION("echo-message on the first line") {
    const auto first = m.on_line(":irc.test CAP * LS * :echo-message b");
    CHECK(first.send.empty());
    CHECK(m.on_line(":irc.test CAP * LS :c").send == "CAP REQ :echo-message\r\n");
  }
  SECTION("echo-message on the last line") {
    CHECK(m.on_line(":irc.test CAP * LS * :a b").send.empty());
    CHECK(m.on_line(":irc.test CAP * LS * :c d").send.empty());
    CHECK(m.on_line(":irc.test CAP * LS :e echo-message").send == "CAP REQ :echo-message\r\n");
  }
  SECTION("echo-message on no line") {
    CHECK(m.on_line(":irc.test CAP * LS * :a b").send.empty());
    CHECK(m.on_line(":irc.test CAP * LS :c").send == "CAP END\r\n");
  }
}

TEST_CASE("irc_machine: 001 registers joins the room and sets the prompt", "[client][irc][registration]") {
  auto m = make();
  m.connected();
  m.on_line(":irc.test CAP * LS :");
  const auto e = m.on_line(":irc.test 001 alice :Welcome to the test network");
  CHECK(m.registered());
  CHECK(e.registered);
  CHECK(e.send == "JOIN #lobby\r\n");
  CHECK(m.current_room() == "#lobby");
  CHECK(m.prompt() == "#lobby> ");
  REQUIRE(e.prompt.has_value());
  CHECK(*e.prompt == "#lobby> ");
  INFO(shown(e));
  CHECK(shows(e, "Connected as alice"));
  CHECK(m.rooms() == std::vector<std::string>{"#lobby"});
}

TEST_CASE("irc_machine: the room option is the one joined", "[client][irc][registration]") {
  auto o = options();
  o.rooms = {"#rust"};
  auto m = make(o);
  m.connected();
  CHECK(m.on_line(":irc.test 001 alice :Welcome").send == "JOIN #rust\r\n");
  CHECK(m.current_room() == "#rust");
}

TEST_CASE("irc_machine: several rooms are joined at once in order", "[client][irc][registration]") {
  auto o = options();
  o.rooms = {"#rust", "#cpp"};
  auto m = make(o);
  m.connected();
  CHECK(m.on_line(":irc.test 001 alice :Welcome").send == "JOIN #rust,#cpp\r\n");
  CHECK(m.rooms() == std::vector<std::string>{"#rust", "#cpp"});
  CHECK(m.current_room() == "#cpp");
  // A server may answer them in any order: the current room stays.
  m.on_line(":alice!chat@127.0.0.1 JOIN #cpp");
  m.on_line(":alice!chat@127.0.0.1 JOIN #rust");
  CHECK(m.current_room() == "#cpp");
  CHECK(m.rooms() == std::vector<std::string>{"#rust", "#cpp"});
}

TEST_CASE("irc_machine: 001 takes the nick the server gives", "[client][irc][registration]") {
  auto m = make();
  m.connected();
  m.on_line(":irc.test 001 Alice_ :Welcome");
  CHECK(m.nick() == "Alice_");
}

TEST_CASE("irc_machine: our own JOIN is shown and the prompt follows it", "[client][irc][registration]") {
  auto m = make();
  m.connected();
  m.on_line(":irc.test 001 alice :Welcome");
  const auto e = m.on_line(":alice!chat@127.0.0.1 JOIN #lobby");
  INFO(shown(e));
  CHECK(shows(e, "You have joined #lobby."));
  REQUIRE(e.prompt.has_value());
  CHECK(*e.prompt == "#lobby> ");
  CHECK(m.rooms() == std::vector<std::string>{"#lobby"});
}

TEST_CASE("irc_machine: 433 before 001 asks for another nick", "[client][irc][registration][nick]") {
  auto m = make();
  m.connected();
  const auto e = m.on_line(":irc.test 433 * alice :Nickname is already in use");
  CHECK(m.awaiting_nick());
  CHECK(m.prompt() == "Username: ");
  REQUIRE(e.prompt.has_value());
  CHECK(*e.prompt == "Username: ");
  INFO(shown(e));
  CHECK(shows(e, "The nick alice is taken."));
  CHECK(shows(e, "Choose another nick."));
  CHECK(e.send.empty());

  const auto answer = m.on_input("alice2");
  CHECK(answer.send == "NICK alice2\r\n");
  CHECK_FALSE(m.awaiting_nick());
  CHECK(m.nick() == "alice2");
  REQUIRE(answer.prompt.has_value());
  CHECK(*answer.prompt == "> ");

  const auto welcome = m.on_line(":irc.test 001 alice2 :Welcome");
  CHECK(m.registered());
  CHECK(welcome.send == "JOIN #lobby\r\n");
}

TEST_CASE("irc_machine: a typed nick is trimmed and must be one word", "[client][irc][registration][nick]") {
  auto m = make();
  m.connected();
  m.on_line(":irc.test 433 * alice :Nickname is already in use");
  SECTION("two words are refused and the prompt stays") {
    const auto e = m.on_input("two words");
    CHECK(e.send.empty());
    CHECK(m.awaiting_nick());
    CHECK(shows(e, "A nick is one word."));
  }
  SECTION("an empty line is refused") {
    CHECK(m.on_input("   ").send.empty());
    CHECK(m.awaiting_nick());
  }
  SECTION("spaces around the nick are dropped") {
    CHECK(m.on_input("  bob \r").send == "NICK bob\r\n");
    CHECK(m.nick() == "bob");
  }
}

TEST_CASE("irc_machine: 432 431 and 436 before 001 also ask for a nick",
          "[client][irc][registration][nick]") {
  SECTION("432") {
    auto m = make();
    m.connected();
    const auto e = m.on_line(":irc.test 432 * b@d :Erroneous nickname");
    CHECK(m.awaiting_nick());
    INFO(shown(e));
    CHECK(shows(e, "The nick b@d is not allowed (Erroneous nickname)."));
  }
  SECTION("431") {
    auto m = make();
    m.connected();
    const auto e = m.on_line(":irc.test 431 * :No nickname given");
    CHECK(m.awaiting_nick());
    CHECK(shows(e, "A nick is needed."));
  }
  SECTION("436") {
    auto m = make();
    m.connected();
    m.on_line(":irc.test 436 * alice :Nickname collision");
    CHECK(m.awaiting_nick());
  }
}

TEST_CASE("irc_machine: lines typed before 001 are queued and then said",
          "[client][irc][registration][queue]") {
  auto m = make();
  m.connected();
  CHECK(m.on_input("first").send.empty());
  CHECK(m.on_input("second line").send.empty());
  m.on_line(":irc.test CAP * LS :");
  const auto e = m.on_line(":irc.test 001 alice :Welcome");
  CHECK(e.send == "JOIN #lobby\r\nPRIVMSG #lobby :first\r\nPRIVMSG #lobby :second line\r\n");
  INFO(shown(e));
  CHECK(shows(e, "alice > first"));
  CHECK(shows(e, "alice > second line"));
  // The queue is empty afterwards.
  CHECK(m.on_line(":irc.test PING :x").send == "PONG :x\r\n");
}

TEST_CASE("irc_machine: queued commands run after 001", "[client][irc][registration][queue]") {
  auto m = make();
  m.connected();
  m.on_input("!who");
  m.on_input("!msg bob hi");
  CHECK(m.on_line(":irc.test 001 alice :Welcome").send ==
        "JOIN #lobby\r\nNAMES #lobby\r\nPRIVMSG bob :hi\r\n");
}

TEST_CASE("irc_machine: a 433 is answered by the first queued line", "[client][irc][registration][queue]") {
  auto m = make();
  m.connected();
  m.on_input("alice_");
  m.on_input("hello all");
  const auto refused = m.on_line(":irc.test 433 * alice :Nickname is already in use");
  CHECK(refused.send == "NICK alice_\r\n");
  CHECK_FALSE(m.awaiting_nick());
  CHECK(m.nick() == "alice_");
  const auto e = m.on_line(":irc.test 001 alice_ :Welcome");
  CHECK(e.send == "JOIN #lobby\r\nPRIVMSG #lobby :hello all\r\n");
}

TEST_CASE("irc_machine: PING gets PONG before and after registration", "[client][irc][ping]") {
  auto m = make();
  m.connected();
  CHECK(m.on_line("PING :12345").send == "PONG :12345\r\n");
  CHECK(m.on_line("PING irc.test").send == "PONG :irc.test\r\n");
  register_plain(m);
  const auto e = m.on_line(":irc.test PING :a b");
  CHECK(e.send == "PONG :a b\r\n");
  CHECK(e.show.empty());
}

// ---- Messages -----------------------------------------------------------------

TEST_CASE("irc_machine: a room message is shown as nick > text", "[client][irc][privmsg]") {
  auto m = make();
  register_plain(m);
  const auto e = m.on_line(":bob!b@host PRIVMSG #lobby :hi");
  CHECK(e.show == std::vector<std::string>{"bob > hi"});
  CHECK(e.send.empty());
  CHECK(show_of(m, ":bob!b@host PRIVMSG #lobby :  spaced   out ") ==
        std::vector<std::string>{"bob >   spaced   out "});
}

TEST_CASE("irc_machine: a message in another room names the room", "[client][irc][privmsg]") {
  auto m = make();
  register_plain(m);
  CHECK(show_of(m, ":bob!b@host PRIVMSG #other :hi") == std::vector<std::string>{"[#other] bob > hi"});
  // Room names compare case-insensitively.
  CHECK(show_of(m, ":bob!b@host PRIVMSG #LOBBY :hi") == std::vector<std::string>{"bob > hi"});
}

TEST_CASE("irc_machine: a private message is shown as private", "[client][irc][privmsg]") {
  auto m = make();
  register_plain(m);
  const auto e = m.on_line(":bob!b@host PRIVMSG alice :psst");
  INFO(shown(e));
  REQUIRE(e.show.size() == 1);
  CHECK(e.show[0] == "privately bob > psst");
}

TEST_CASE("irc_machine: notices", "[client][irc][notice]") {
  auto m = make();
  m.connected();
  CHECK(show_of(m, ":irc.test NOTICE * :*** Looking up your hostname") ==
        std::vector<std::string>{"-irc.test- *** Looking up your hostname"});
  register_plain(m);
  CHECK(show_of(m, "NOTICE alice :from nowhere") == std::vector<std::string>{"-server- from nowhere"});
  CHECK(show_of(m, ":bob!b@host NOTICE #lobby :heads up") == std::vector<std::string>{"-bob- heads up"});
  CHECK(show_of(m, ":bob!b@host NOTICE alice :hey") == std::vector<std::string>{"notice from bob > hey"});
}

TEST_CASE("irc_machine: without echo-message our own message is shown locally", "[client][irc][echo]") {
  auto m = make();
  register_plain(m);
  const auto e = m.on_input("hello there");
  CHECK(e.send == "PRIVMSG #lobby :hello there\r\n");
  CHECK(e.show == std::vector<std::string>{"alice > hello there"});
}

TEST_CASE("irc_machine: with echo-message our own message is shown when echoed", "[client][irc][echo]") {
  auto m = make();
  register_echo(m);
  const auto e = m.on_input("hello there");
  CHECK(e.send == "PRIVMSG #lobby :hello there\r\n");
  CHECK(e.show.empty());
  CHECK(show_of(m, ":alice!chat@127.0.0.1 PRIVMSG #lobby :hello there") ==
        std::vector<std::string>{"alice > hello there"});
}

TEST_CASE("irc_machine: with echo-message a private message is shown when echoed", "[client][irc][echo]") {
  auto m = make();
  register_echo(m);
  const auto e = m.on_input("!msg bob psst");
  CHECK(e.send == "PRIVMSG bob :psst\r\n");
  CHECK(e.show.empty());
  CHECK(show_of(m, ":alice!chat@127.0.0.1 PRIVMSG bob :psst") ==
        std::vector<std::string>{"privately to bob > psst"});
}

TEST_CASE("irc_machine: a reconnect forgets echo-message until it is acknowledged again",
          "[client][irc][echo]") {
  auto m = make();
  register_echo(m);
  m.connected();
  m.on_line(":irc.test CAP * LS :multi-prefix");
  m.on_line(":irc.test 001 alice :Welcome");
  CHECK(m.on_input("hi").show == std::vector<std::string>{"alice > hi"});
}

TEST_CASE("irc_machine: msg sends a private message", "[client][irc][msg]") {
  auto m = make();
  register_plain(m);
  const auto e = m.on_input("!msg bob hello  you");
  CHECK(e.send == "PRIVMSG bob :hello  you\r\n");
  CHECK(e.show == std::vector<std::string>{"privately to bob > hello  you"});
}

TEST_CASE("irc_machine: msg to a room says it there", "[client][irc][msg]") {
  auto m = make();
  register_plain(m);
  const auto e = m.on_input("!msg #other hi");
  CHECK(e.send == "PRIVMSG #other :hi\r\n");
  CHECK(e.show == std::vector<std::string>{"[#other] alice > hi"});
}

TEST_CASE("irc_machine: a double slash says the text with one slash", "[client][irc][say]") {
  auto m = make();
  register_plain(m);
  CHECK(m.on_input("//shrug").send == "PRIVMSG #lobby :/shrug\r\n");
}

TEST_CASE("irc_machine: a long line is split into lines the server accepts", "[client][irc][say]") {
  auto m = make();
  register_plain(m);
  std::string text;
  for (int i = 0; i < 300; ++i) text += "word" + std::to_string(i) + " ";
  const auto e = m.on_input(text);
  std::string_view rest = e.send;
  std::string body;
  int lines = 0;
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    REQUIRE(end != std::string_view::npos);
    const auto line = rest.substr(0, end + 2);
    INFO(line);
    // Room is left for the prefix the server adds when it relays the line.
    CHECK(line.size() + client::kRelayPrefixBudget <= protocol::kIrcMaxLine);
    REQUIRE(line.starts_with("PRIVMSG #lobby :"));
    body += line.substr(16, line.size() - 18);
    rest.remove_prefix(end + 2);
    ++lines;
  }
  CHECK(lines > 1);
  CHECK(body == text);
}

TEST_CASE("irc_machine: me sends a CTCP ACTION", "[client][irc][action]") {
  auto m = make();
  register_plain(m);
  const auto e = m.on_input("!me waves");
  CHECK(e.send ==
        "PRIVMSG #lobby :\x01"
        "ACTION waves\x01\r\n");
  CHECK(e.show == std::vector<std::string>{"* alice waves"});
}

TEST_CASE("irc_machine: a CTCP ACTION is shown as an action", "[client][irc][action]") {
  auto m = make();
  register_plain(m);
  CHECK(show_of(m,
                ":bob!b@host PRIVMSG #lobby :\x01"
                "ACTION waves\x01") == std::vector<std::string>{"* bob waves"});
  // Without the closing \x01 too.
  CHECK(show_of(m,
                ":bob!b@host PRIVMSG #lobby :\x01"
                "ACTION nods") == std::vector<std::string>{"* bob nods"});
  CHECK(show_of(m,
                ":bob!b@host PRIVMSG #other :\x01"
                "ACTION waves\x01") == std::vector<std::string>{"[#other] * bob waves"});
  CHECK(show_of(m,
                ":bob!b@host PRIVMSG alice :\x01"
                "ACTION winks\x01") == std::vector<std::string>{"privately bob * winks"});
}

TEST_CASE("irc_machine: CTCP requests to a room are neither shown nor answered", "[client][irc][action]") {
  auto m = make();
  register_plain(m);
  // (Private VERSION, PING and TIME are answered: test_client_irc_commands.cpp.)
  for (const char* line :
       {":bob!b@host PRIVMSG #lobby :\x01VERSION\x01", ":bob!b@host PRIVMSG #lobby :\x01PING 123\x01",
        ":bob!b@host PRIVMSG #lobby :\x01TIME\x01",
        ":bob!b@host PRIVMSG alice :\x01"
        "CLIENTINFO\x01"}) {
    INFO(hex(line));
    const auto e = m.on_line(line);
    CHECK(e.show.empty());
    CHECK(e.send.empty());
  }
}

// ---- Who -------------------------------------------------------------------------

TEST_CASE("irc_machine: who lists the others without mode prefixes", "[client][irc][who]") {
  auto m = make();
  register_plain(m);
  CHECK(m.on_input("!who").send == "NAMES #lobby\r\n");
  CHECK(m.on_line(":irc.test 353 alice = #lobby :@alice +bob ~carol").show.empty());
  CHECK(m.on_line(":irc.test 353 alice = #lobby :%dave erin").show.empty());
  const auto e = m.on_line(":irc.test 366 alice #lobby :End of /NAMES list.");
  CHECK(e.show == std::vector<std::string>{"-> bob", "-> carol", "-> dave", "-> erin"});
}

TEST_CASE("irc_machine: who with only us says no one else is active", "[client][irc][who]") {
  auto m = make();
  register_plain(m);
  m.on_input("/names");
  m.on_line(":irc.test 353 alice = #lobby :@alice");
  CHECK(show_of(m, ":irc.test 366 alice #lobby :End of /NAMES list.") ==
        std::vector<std::string>{"No one but you is active"});
  // Our nick in another case is still us.
  m.on_input("!who");
  m.on_line(":irc.test 353 alice = #lobby :ALICE");
  CHECK(show_of(m, ":irc.test 366 alice #lobby :End of /NAMES list.") ==
        std::vector<std::string>{"No one but you is active"});
  // And an empty room.
  m.on_input("!who");
  CHECK(show_of(m, ":irc.test 366 alice #lobby :End of /NAMES list.") ==
        std::vector<std::string>{"No one but you is active"});
}

TEST_CASE("irc_machine: who of another room", "[client][irc][who]") {
  auto m = make();
  register_plain(m);
  CHECK(m.on_input("!who rust").send == "NAMES #rust\r\n");
  m.on_line(":irc.test 353 alice = #rust :bob");
  CHECK(show_of(m, ":irc.test 366 alice #RUST :End of /NAMES list.") == std::vector<std::string>{"-> bob"});
}

TEST_CASE("irc_machine: a names list nobody asked for is shown on one line", "[client][irc][who]") {
  auto m = make();
  register_plain(m);
  m.on_line(":irc.test 353 alice = #lobby :@alice +bob");
  const auto e = m.on_line(":irc.test 366 alice #lobby :End of /NAMES list.");
  REQUIRE(e.show.size() == 1);
  CHECK(e.show[0] == "In #lobby: @alice, +bob");
}

// ---- Rooms -----------------------------------------------------------------------

TEST_CASE("irc_machine: join sends JOIN and makes the room current at once", "[client][irc][join]") {
  auto m = make();
  register_plain(m);
  const auto e = m.on_input("!join #x");
  CHECK(e.send == "JOIN #x\r\n");
  CHECK(m.current_room() == "#x");
  REQUIRE(e.prompt.has_value());
  CHECK(*e.prompt == "#x> ");
  // Typed lines go to the new room before the server confirms.
  CHECK(m.on_input("hi").send == "PRIVMSG #x :hi\r\n");
  // The confirmation adds the room.
  m.on_line(":alice!chat@127.0.0.1 JOIN #x");
  CHECK(m.rooms() == std::vector<std::string>{"#lobby", "#x"});
  CHECK(m.current_room() == "#x");
}

TEST_CASE("irc_machine: join without a hash sign adds it", "[client][irc][join]") {
  auto m = make();
  register_plain(m);
  CHECK(m.on_input("/join rust").send == "JOIN #rust\r\n");
  CHECK(m.current_room() == "#rust");
}

TEST_CASE("irc_machine: a refused join puts the previous room back", "[client][irc][join]") {
  for (const std::string code : {"471", "473", "474", "475", "403", "405"}) {
    DYNAMIC_SECTION("numeric " << code) {
      auto m = make();
      register_plain(m);
      m.on_input("!join #x");
      REQUIRE(m.current_room() == "#x");
      const auto e = m.on_line(":irc.test " + code + " alice #x :Cannot join channel");
      CHECK(m.current_room() == "#lobby");
      REQUIRE(e.prompt.has_value());
      CHECK(*e.prompt == "#lobby> ");
      INFO(shown(e));
      CHECK(e.show == std::vector<std::string>{"#x: Cannot join channel"});
      CHECK(m.rooms() == std::vector<std::string>{"#lobby"});
      CHECK(m.on_input("still here").send == "PRIVMSG #lobby :still here\r\n");
    }
  }
}

TEST_CASE("irc_machine: join of a room already joined only switches to it", "[client][irc][join]") {
  auto m = make();
  register_plain(m);
  join(m, "#x");
  REQUIRE(m.current_room() == "#x");
  const auto e = m.on_input("!join #LOBBY");
  CHECK(e.send.empty());
  CHECK(m.current_room() == "#lobby");
  CHECK(shows(e, "Now talking in #lobby."));
  REQUIRE(e.prompt.has_value());
  CHECK(*e.prompt == "#lobby> ");
}

TEST_CASE("irc_machine: part sends PART with an optional reason", "[client][irc][part]") {
  auto m = make();
  register_plain(m);
  join(m, "#x");
  CHECK(m.on_input("!part").send == "PART #x\r\n");
  CHECK(m.on_input("!part #lobby see you").send == "PART #lobby :see you\r\n");
  CHECK(m.on_input("/leave bye all").send == "PART #x :bye all\r\n");
}

TEST_CASE("irc_machine: our own PART forgets the room", "[client][irc][part]") {
  auto m = make();
  register_plain(m);
  join(m, "#x");
  const auto e = m.on_line(":alice!chat@127.0.0.1 PART #x :bye");
  CHECK(shows(e, "You have left #x."));
  CHECK(m.rooms() == std::vector<std::string>{"#lobby"});
  CHECK(m.current_room() == "#lobby");
  REQUIRE(e.prompt.has_value());
  CHECK(*e.prompt == "#lobby> ");
}

TEST_CASE("irc_machine: with no room left typed text gives a hint", "[client][irc][part]") {
  auto m = make();
  register_plain(m);
  m.on_line(":alice!chat@127.0.0.1 PART #lobby");
  CHECK(m.rooms().empty());
  CHECK(m.current_room().empty());
  CHECK(m.prompt() == "> ");
  const auto e = m.on_input("anyone?");
  CHECK(e.send.empty());
  CHECK(shows(e, "You are in no room."));
  CHECK(m.on_input("!who").send.empty());
  CHECK(m.on_input("!part").send.empty());
  CHECK(m.on_input("!me hides").send.empty());
  // A private message needs no room.
  CHECK(m.on_input("!msg bob hi").send == "PRIVMSG bob :hi\r\n");
}

TEST_CASE("irc_machine: rooms sends LIST and shows the 322 and 323 replies", "[client][irc][list]") {
  auto m = make();
  register_plain(m);
  CHECK(m.on_input("!rooms").send == "LIST\r\n");
  CHECK(m.on_line(":irc.test 321 alice Channel :Users  Name").show.empty());
  CHECK(m.on_line(":irc.test 322 alice #lobby 3 :General chat").show.empty());
  CHECK(m.on_line(":irc.test 322 alice #rust 1 :").show.empty());
  const auto e = m.on_line(":irc.test 323 alice :End of /LIST");
  CHECK(e.show == std::vector<std::string>{"#lobby (3 users): General chat", "#rust (1 user)"});
}

TEST_CASE("irc_machine: an empty LIST says there are no rooms", "[client][irc][list]") {
  auto m = make();
  register_plain(m);
  m.on_input("/list");
  CHECK(show_of(m, ":irc.test 323 alice :End of /LIST") == std::vector<std::string>{"No rooms."});
}

TEST_CASE("irc_machine: nick sends NICK and our NICK is followed", "[client][irc][nick]") {
  auto m = make();
  register_plain(m);
  CHECK(m.on_input("!nick alicia").send == "NICK alicia\r\n");
  CHECK(m.nick() == "alice");
  const auto e = m.on_line(":alice!chat@127.0.0.1 NICK :alicia");
  CHECK(m.nick() == "alicia");
  CHECK(e.show == std::vector<std::string>{"You are now known as alicia"});
  CHECK(m.on_input("hi").show == std::vector<std::string>{"alicia > hi"});
}

TEST_CASE("irc_machine: a 433 after registration is an error line", "[client][irc][nick]") {
  auto m = make();
  register_plain(m);
  m.on_input("!nick bob");
  const auto e = m.on_line(":irc.test 433 alice bob :Nickname is already in use");
  CHECK_FALSE(m.awaiting_nick());
  CHECK(e.show == std::vector<std::string>{"bob: Nickname is already in use"});
}

// ---- Others ----------------------------------------------------------------------

TEST_CASE("irc_machine: others joining leaving quitting and renaming are shown", "[client][irc][others]") {
  auto m = make();
  register_plain(m);
  CHECK(show_of(m, ":bob!b@host JOIN #lobby") == std::vector<std::string>{"bob has joined #lobby"});
  CHECK(show_of(m, ":bob!b@host JOIN :#other") == std::vector<std::string>{"[#other] bob has joined #other"});
  CHECK(show_of(m, ":bob!b@host PART #lobby") == std::vector<std::string>{"bob has left #lobby"});
  CHECK(show_of(m, ":bob!b@host PART #lobby :gone home") ==
        std::vector<std::string>{"bob has left #lobby (gone home)"});
  CHECK(show_of(m, ":bob!b@host QUIT :Ping timeout") ==
        std::vector<std::string>{"bob has quit (Ping timeout)"});
  CHECK(show_of(m, ":bob!b@host QUIT") == std::vector<std::string>{"bob has quit"});
  CHECK(show_of(m, ":op!o@host KICK #lobby bob :spam") ==
        std::vector<std::string>{"bob was kicked by op (spam)"});
  CHECK(show_of(m, ":op!o@host KICK #lobby bob") == std::vector<std::string>{"bob was kicked by op"});
  CHECK(show_of(m, ":bob!b@host NICK robert") == std::vector<std::string>{"bob is now known as robert"});
  // Nothing of this changes our rooms.
  CHECK(m.rooms() == std::vector<std::string>{"#lobby"});
  CHECK(m.current_room() == "#lobby");
  CHECK(m.nick() == "alice");
}

TEST_CASE("irc_machine: a KICK of ourselves removes the room", "[client][irc][kick]") {
  auto m = make();
  register_plain(m);
  join(m, "#x");
  const auto e = m.on_line(":op!o@host KICK #x alice :behave");
  INFO(shown(e));
  CHECK(e.show == std::vector<std::string>{"You were kicked from #x by op (behave)"});
  CHECK(m.rooms() == std::vector<std::string>{"#lobby"});
  CHECK(m.current_room() == "#lobby");
  REQUIRE(e.prompt.has_value());
  CHECK(*e.prompt == "#lobby> ");
}

TEST_CASE("irc_machine: a KICK of ourselves from a room that is not current", "[client][irc][kick]") {
  auto m = make();
  register_plain(m);
  join(m, "#x");
  m.on_line(":op!o@host KICK #lobby ALICE");
  CHECK(m.rooms() == std::vector<std::string>{"#x"});
  CHECK(m.current_room() == "#x");
}

TEST_CASE("irc_machine: topic invite mode away and motd lines are shown", "[client][irc][others]") {
  auto m = make();
  register_plain(m);
  CHECK(show_of(m, ":bob!b@host TOPIC #lobby :Be nice") ==
        std::vector<std::string>{"bob set the topic of #lobby to: Be nice"});
  CHECK(show_of(m, ":irc.test 332 alice #lobby :Be nice") ==
        std::vector<std::string>{"Topic of #lobby: Be nice"});
  CHECK(show_of(m, ":bob!b@host INVITE alice #secret") ==
        std::vector<std::string>{"bob invites you to #secret: type !join #secret"});
  CHECK(show_of(m, ":op!o@host MODE #lobby +o bob") == std::vector<std::string>{"op sets mode +o bob"});
  CHECK(show_of(m, ":irc.test 301 alice bob :lunch") == std::vector<std::string>{"bob is away: lunch"});
  CHECK(show_of(m, ":irc.test 372 alice :- hello") == std::vector<std::string>{"- hello"});
  CHECK(show_of(m, ":irc.test 422 alice :MOTD File is missing").empty());
}

TEST_CASE("irc_machine: errors are shown as what and text", "[client][irc][errors]") {
  auto m = make();
  register_plain(m);
  CHECK(show_of(m, ":irc.test 401 alice bob :No such nick/channel") ==
        std::vector<std::string>{"bob: No such nick/channel"});
  CHECK(show_of(m, ":irc.test 404 alice #lobby :Cannot send to channel") ==
        std::vector<std::string>{"#lobby: Cannot send to channel"});
  CHECK(show_of(m, ":irc.test 421 alice FOO :Unknown command") ==
        std::vector<std::string>{"FOO: Unknown command"});
  CHECK(show_of(m, ":irc.test 482 alice #lobby :You're not channel operator") ==
        std::vector<std::string>{"#lobby: You're not channel operator"});
  CHECK(show_of(m, ":irc.test 451 alice :You have not registered") ==
        std::vector<std::string>{"You have not registered"});
  CHECK(show_of(m, ":irc.test 502 alice :Cant change mode for other users") ==
        std::vector<std::string>{"Cant change mode for other users"});
  CHECK(show_of(m, ":irc.test 461 alice JOIN extra :Not enough parameters") ==
        std::vector<std::string>{"JOIN extra: Not enough parameters"});
  // A join refusal for a room that is not the one being joined is an ordinary error.
  CHECK(show_of(m, ":irc.test 473 alice #y :Cannot join channel (+i)") ==
        std::vector<std::string>{"#y: Cannot join channel (+i)"});
  CHECK(m.current_room() == "#lobby");
}

TEST_CASE("irc_machine: ERROR is shown unless we are leaving", "[client][irc][errors]") {
  auto m = make();
  register_plain(m);
  CHECK(show_of(m, "ERROR :Closing Link: too many flags") ==
        std::vector<std::string>{"Server closed the connection: Closing Link: too many flags"});
  m.on_input("!logout");
  CHECK(show_of(m, "ERROR :Closing Link: Quit").empty());
}

TEST_CASE("irc_machine: help and invalid commands are shown not sent", "[client][irc][help]") {
  auto m = make();
  register_plain(m);
  const auto help = m.on_input("!help");
  CHECK(help.send.empty());
  CHECK(help.show.size() > 5);
  CHECK(shows(help, "!msg <user> <text>"));
  const auto typo = m.on_input("!whp");
  CHECK(typo.send.empty());
  CHECK(typo.show ==
        std::vector<std::string>{"Unknown command !whp. Did you mean !who? Type !help for the list."});
  const auto usage = m.on_input("!msg bob");
  CHECK(usage.send.empty());
  CHECK(usage.show == std::vector<std::string>{"Usage: !msg <user> <text>"});
  CHECK(m.on_input("   ").send.empty());
}

// ---- Leaving and reconnecting -------------------------------------------------------

TEST_CASE("irc_machine: logout sends QUIT and sets quitting", "[client][irc][logout]") {
  auto m = make();
  register_plain(m);
  const auto e = m.on_input("!logout");
  CHECK(e.send == "QUIT :Leaving\r\n");
  CHECK(e.quit);
  CHECK(m.quitting());
}

TEST_CASE("irc_machine: quit with a reason", "[client][irc][logout]") {
  auto m = make();
  register_plain(m);
  const auto e = m.on_input("/quit gone fishing");
  CHECK(e.send == "QUIT :gone fishing\r\n");
  CHECK(e.quit);
  CHECK(m.quitting());
}

TEST_CASE("irc_machine: end of input leaves", "[client][irc][logout]") {
  SECTION("registered") {
    auto m = make();
    register_plain(m);
    const auto e = m.on_end_of_input();
    CHECK(e.send == "QUIT :Leaving\r\n");
    CHECK(e.quit);
    CHECK(m.quitting());
  }
  SECTION("before registration with nothing queued") {
    auto m = make();
    m.connected();
    const auto e = m.on_end_of_input();
    CHECK(e.send == "QUIT :Leaving\r\n");
    CHECK(e.quit);
    CHECK(m.quitting());
  }
  SECTION("while a nick is asked for") {
    auto m = make();
    m.connected();
    m.on_line(":irc.test 433 * alice :Nickname is already in use");
    const auto e = m.on_end_of_input();
    CHECK(e.send == "QUIT :Leaving\r\n");
    CHECK(m.quitting());
  }
  SECTION("before registration queued lines are said first") {
    auto m = make();
    m.connected();
    m.on_input("bye all");
    CHECK(m.on_end_of_input().send.empty());
    const auto e = m.on_line(":irc.test 001 alice :Welcome");
    CHECK(e.send == "JOIN #lobby\r\nPRIVMSG #lobby :bye all\r\nQUIT :Leaving\r\n");
    CHECK(e.quit);
    CHECK(m.quitting());
  }
}

TEST_CASE("irc_machine: a reconnect rejoins every room in one JOIN", "[client][irc][reconnect]") {
  auto m = make();
  register_plain(m);
  join(m, "#x");
  join(m, "#rust");
  REQUIRE(m.rooms() == std::vector<std::string>{"#lobby", "#x", "#rust"});

  const auto again = m.connected();
  CHECK(again.send == "CAP LS 302\r\nNICK alice\r\nUSER chat 0 * :chat-client\r\n");
  CHECK_FALSE(m.registered());
  // Lines typed while reconnecting wait for the welcome.
  CHECK(m.on_input("back").send.empty());
  m.on_line(":irc.test CAP * LS :");
  const auto e = m.on_line(":irc.test 001 alice :Welcome back");
  CHECK(e.registered);
  CHECK(m.registered());
  CHECK(e.send == "JOIN #lobby,#x,#rust\r\nPRIVMSG #rust :back\r\n");
  CHECK(m.rooms() == std::vector<std::string>{"#lobby", "#x", "#rust"});
}

TEST_CASE("irc_machine: a reconnect after a nick change uses the new nick", "[client][irc][reconnect]") {
  auto m = make();
  register_plain(m);
  m.on_line(":alice!chat@127.0.0.1 NICK alicia");
  CHECK(m.connected().send == "CAP LS 302\r\nNICK alicia\r\nUSER chat 0 * :chat-client\r\n");
}

TEST_CASE("irc_machine: a reconnect clears quitting", "[client][irc][reconnect]") {
  auto m = make();
  register_plain(m);
  m.on_input("!logout");
  REQUIRE(m.quitting());
  m.connected();
  CHECK_FALSE(m.quitting());
}

// ---- Hostile and broken input -------------------------------------------------------

namespace {

// The first byte of a shown line that a terminal would act on, or npos.
std::size_t first_control(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto b = static_cast<unsigned char>(line[i]);
    if (b < 0x20 || b == 0x7F) return i;
    if (b == 0xC2 && i + 1 < line.size() && static_cast<unsigned char>(line[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(line[i + 1]) <= 0x9F)
      return i;
    if (b == 0xE2 && i + 2 < line.size() && static_cast<unsigned char>(line[i + 1]) == 0x80 &&
        static_cast<unsigned char>(line[i + 2]) >= 0xAA && static_cast<unsigned char>(line[i + 2]) <= 0xAE)
      return i;
  }
  return std::string_view::npos;
}

void check_harmless(const effects& e) {
  for (const auto& line : e.show) {
    INFO("shown: \"" << hex(line) << "\"");
    CHECK(first_control(line) == std::string_view::npos);
  }
  if (e.prompt) {
    INFO("prompt: \"" << hex(*e.prompt) << "\"");
    CHECK(first_control(*e.prompt) == std::string_view::npos);
  }
}

}  // namespace

TEST_CASE("irc_machine: hostile server lines never show control bytes", "[client][irc][hostile]") {
  // ESC, BEL, DEL, a C1 CSI and a bidi override, in texts, nicks and rooms.
  const std::string bad = "\x1b[2J\x07\x7f\xc2\x9b\xe2\x80\xae";
  const std::string nick = "ev\x1b]0;pwned\x07il";
  const std::string src = ":" + nick + "!u\x1b@h\x07";
  const std::string room = "#r\x1b[1m" + std::string("\xe2\x80\xae");
  const std::vector<std::string> lines{
      src + " PRIVMSG #lobby :" + bad,
      src + " PRIVMSG " + room + " :" + bad,
      src + " PRIVMSG alice :" + bad,
      src +
          " PRIVMSG #lobby :\x01"
          "ACTION " +
          bad + "\x01",
      src +
          " PRIVMSG alice :\x01"
          "ACTION " +
          bad + "\x01",
      src + " NOTICE #lobby :" + bad,
      src + " NOTICE alice :" + bad,
      ":irc\x1b.test NOTICE alice :" + bad,
      src + " JOIN " + room,
      src + " PART " + room + " :" + bad,
      src + " QUIT :" + bad,
      src + " KICK " + room + " " + nick + " :" + bad,
      src + " NICK " + nick + "2\x1b",
      src + " TOPIC " + room + " :" + bad,
      ":irc.test 332 alice " + room + " :" + bad,
      src + " INVITE alice " + room,
      src + " MODE " + room + " +b " + bad,
      ":irc.test 353 alice = " + room + " :@" + nick + " +" + bad,
      ":irc.test 366 alice " + room + " :" + bad,
      ":irc.test 322 alice " + room + " 5 :" + bad,
      ":irc.test 322 alice #ok " + bad + " :x",
      ":irc.test 323 alice :End",
      ":irc.test 301 alice " + nick + " :" + bad,
      ":irc.test 372 alice :" + bad,
      ":irc.test 401 alice " + nick + " :" + bad,
      ":irc.test 473 alice " + room + " :" + bad,
      ":irc.test 999 alice " + bad + " :" + bad,
      "ERROR :" + bad,
      // Our own JOIN of a hostile room changes the prompt.
      ":alice!chat@h JOIN " + room,
      src + " PRIVMSG " + room + " :" + bad,
      ":alice!chat@h PART " + room + " :" + bad,
      ":alice!chat@h PRIVMSG " + nick + " :" + bad,
  };
  auto m = make();
  register_plain(m);
  for (const auto& line : lines) {
    INFO("line: \"" << hex(line) << "\"");
    const auto e = m.on_line(line);
    check_harmless(e);
  }
  // A !who of a hostile room, and a join refused for one.
  m.on_input("!who " + room);
  m.on_line(":irc.test 353 alice = " + room + " :" + nick + " @" + bad);
  check_harmless(m.on_line(":irc.test 366 alice " + room + " :End"));
  const auto joining = m.on_input("!join " + room);
  check_harmless(joining);
  check_harmless(m.on_line(":irc.test 474 alice " + room + " :" + bad));
  CHECK(first_control(m.prompt()) == std::string_view::npos);
  // Some lines above were shown at all.
  CHECK_FALSE(m.on_line(src + " PRIVMSG #lobby :" + bad).show.empty());
}

TEST_CASE("irc_machine: hostile registration replies never show control bytes", "[client][irc][hostile]") {
  const std::string bad = "\x1b[2J\x07\xe2\x81\xa6";
  auto m = make();
  m.connected();
  check_harmless(m.on_line(":irc.test NOTICE * :" + bad));
  check_harmless(m.on_line(":irc.test 432 * " + bad + " :" + bad));
  CHECK(m.awaiting_nick());
  check_harmless(m.on_line(":irc.test 433 * " + bad + " :" + bad));
  m.on_input("alice");
  check_harmless(m.on_line(":irc.test 001 " + bad + " :Welcome"));
  CHECK(first_control(m.prompt()) == std::string_view::npos);
}

TEST_CASE("irc_machine: a hostile message is shown with the controls made visible",
          "[client][irc][hostile]") {
  auto m = make();
  register_plain(m);
  CHECK(show_of(m, ":e\x1b[31mvil!u@h PRIVMSG #lobby :\x1b[2Jhi\x07\xe2\x80\xae") ==
        std::vector<std::string>{"e^[[31mvil > ^[[2Jhi^G<U+202E>"});
}

TEST_CASE("irc_machine: an unparsable line is ignored", "[client][irc][broken]") {
  auto m = make();
  register_plain(m);
  for (const std::string& line :
       {std::string(), std::string("    "), std::string(":irc.test"), std::string("@tag=1 :irc.test"),
        std::string("12 x"), std::string("PRIV-MSG #lobby :hi"), std::string("PRIVMSG #lobby :a\rb"),
        std::string("PRIVMSG #lobby :a\0b", 19), std::string(600, 'x')}) {
    INFO("line: \"" << hex(line) << "\"");
    const auto e = m.on_line(line);
    CHECK(e.send.empty());
    CHECK(e.show.empty());
    CHECK_FALSE(e.prompt.has_value());
  }
  CHECK(m.registered());
  CHECK(m.current_room() == "#lobby");
}

TEST_CASE("irc_machine: known commands with too few parameters are ignored", "[client][irc][broken]") {
  auto m = make();
  register_plain(m);
  for (const char* line :
       {":bob!b@h PRIVMSG #lobby", ":bob!b@h JOIN", ":bob!b@h KICK #lobby", ":bob!b@h NICK",
        ":irc.test 353 alice = #lobby", ":irc.test 366 alice", ":irc.test 322 alice #x", ":irc.test CAP *"}) {
    INFO(line);
    const auto e = m.on_line(line);
    CHECK(e.send.empty());
    CHECK(e.show.empty());
  }
  CHECK(m.rooms() == std::vector<std::string>{"#lobby"});
}

TEST_CASE("irc_machine: CR LF and NUL typed inside a line never break the IRC line", "[client][irc][say]") {
  auto m = make();
  register_plain(m);
  CHECK(m.on_input(std::string("hi\rQUIT :pwned")).send == "PRIVMSG #lobby :hi QUIT :pwned\r\n");
  CHECK(m.on_input(std::string("!msg bob a\nJOIN #x")).send == "PRIVMSG bob :a JOIN #x\r\n");
  CHECK(m.on_input(std::string("a\0b", 3)).send == "PRIVMSG #lobby :a b\r\n");
  CHECK(m.on_input(std::string("!nick a\rb")).send == "NICK a\r\n");
}
