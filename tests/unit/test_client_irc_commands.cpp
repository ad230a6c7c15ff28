// The client's moderation and conversation commands, their replies shown as
// people read them, !ignore, and CTCP answers: the IRC machine sans I/O.
#include <ctime>
#include <optional>
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
using client::status_text;
using lines_t = std::vector<std::string>;

namespace {

std::time_t fake_now = 1'780'000'000;  // a fixed clock for CTCP TIME and its rate

irc_machine registered(std::string nick = "alice") {
  irc_options o;
  o.nick = std::move(nick);
  o.version = "chat-client 9.9.9";
  o.clock = [] { return fake_now; };
  irc_machine m(std::move(o), client::style(false));
  m.connected();
  m.on_line(":irc.test CAP * LS :multi-prefix");
  m.on_line(":irc.test 001 " + m.nick() + " :Welcome");
  m.on_line(":" + m.nick() + "!chat@127.0.0.1 JOIN #lobby");
  REQUIRE(m.current_room() == "#lobby");
  return m;
}

}  // namespace

TEST_CASE("irc commands: each becomes its IRC line", "[client][irc][commands]") {
  auto m = registered();
  CHECK(m.on_input("/whois bob").send == "WHOIS bob\r\n");
  CHECK(m.on_input("/topic").send == "TOPIC #lobby\r\n");
  CHECK(m.on_input("/topic new topic").send == "TOPIC #lobby :new topic\r\n");
  CHECK(m.on_input("/topic #x other").send == "TOPIC #x :other\r\n");
  CHECK(m.on_input("/away lunch").send == "AWAY :lunch\r\n");
  CHECK(m.on_input("/away").send == "AWAY\r\n");
  CHECK(m.on_input("/kick bob").send == "KICK #lobby bob\r\n");
  CHECK(m.on_input("/kick bob calm down").send == "KICK #lobby bob :calm down\r\n");
  CHECK(m.on_input("/mode +m").send == "MODE #lobby +m\r\n");
  CHECK(m.on_input("/mode #x +o bob").send == "MODE #x +o bob\r\n");
  CHECK(m.on_input("/mode alice +i").send == "MODE alice +i\r\n");
  CHECK(m.on_input("/invite bob").send == "INVITE bob #lobby\r\n");
  CHECK(m.on_input("/invite bob #x").send == "INVITE bob #x\r\n");
  CHECK(m.on_input("/ban bob").send == "MODE #lobby +b bob!*@*\r\n");
  CHECK(m.on_input("/ban *!*@bad.example").send == "MODE #lobby +b *!*@bad.example\r\n");
  const auto notice = m.on_input("/notice #lobby hear ye");
  CHECK(notice.send == "NOTICE #lobby :hear ye\r\n");
  CHECK(notice.show == lines_t{"-notice to #lobby- hear ye"});
  CHECK(m.on_input("/quote PRIVMSG bob :raw line").send == "PRIVMSG bob :raw line\r\n");
  CHECK(m.on_input("!!wow that was fast").send == "PRIVMSG #lobby :!wow that was fast\r\n");
  CHECK(m.on_input("//slash").send == "PRIVMSG #lobby :/slash\r\n");
}

TEST_CASE("irc commands: a query makes the nick the place typed lines go", "[client][irc][commands]") {
  auto m = registered();
  auto e = m.on_input("/query bob");
  CHECK(e.send.empty());
  CHECK(m.current_room() == "bob");
  CHECK(m.prompt() == "bob> ");
  e = m.on_input("just us");
  CHECK(e.send == "PRIVMSG bob :just us\r\n");
  CHECK(e.show == lines_t{"privately to bob > just us"});
  // Room commands say they need a room.
  e = m.on_input("/kick carol");
  CHECK(e.send.empty());
  CHECK(e.show == lines_t{"That works in a room: type !join <#room> first."});
  // Back to the room.
  m.on_input("/join #lobby");
  CHECK(m.current_room() == "#lobby");
  CHECK(m.on_input("hello all").send == "PRIVMSG #lobby :hello all\r\n");
  // A query with a first message sends it.
  CHECK(m.on_input("/query carol hi").send == "PRIVMSG carol :hi\r\n");
  CHECK(m.current_room() == "carol");
}

TEST_CASE("irc commands: replies are shown as sentences, not numerics", "[client][irc][commands]") {
  auto m = registered();
  auto show = [&](std::string_view line) { return m.on_line(line).show; };
  CHECK(show(":irc.test 311 alice bob ~bob 127.0.0.1 * :Bob Builder") ==
        lines_t{"bob is ~bob@127.0.0.1 (Bob Builder)"});
  CHECK(show(":irc.test 319 alice bob :@#lobby +#x") == lines_t{"bob is in @#lobby +#x"});
  CHECK(show(":irc.test 312 alice bob irc.test :The test server") ==
        lines_t{"bob is on irc.test (The test server)"});
  CHECK(show(":irc.test 313 alice bob :is an IRC operator") == lines_t{"bob is an IRC operator"});
  CHECK(show(":irc.test 317 alice bob 42 1780000000 :seconds idle, signon time") ==
        lines_t{"bob has been idle 42 s"});
  CHECK(show(":irc.test 301 alice bob :at lunch") == lines_t{"bob is away: at lunch"});
  CHECK(show(":irc.test 318 alice bob :End of /WHOIS list").empty());
  CHECK(show(":irc.test 306 alice :You have been marked as being away") ==
        lines_t{"You are away. Type !away to come back."});
  CHECK(show(":irc.test 305 alice :You are no longer marked as being away") ==
        lines_t{"You are no longer away."});
  CHECK(show(":irc.test 331 alice #lobby :No topic is set") == lines_t{"No topic is set for #lobby."});
  CHECK(show(":irc.test 341 alice bob #lobby") == lines_t{"You invited bob to #lobby."});
  CHECK(show(":irc.test 324 alice #lobby +ntl 10") == lines_t{"Modes of #lobby: +ntl 10"});
  CHECK(show(":irc.test 367 alice #lobby bob!*@* alice 1780000000") ==
        lines_t{"Banned from #lobby: bob!*@* (by alice)"});
  CHECK(show(":irc.test 368 alice #lobby :End of channel ban list") == lines_t{"End of the bans of #lobby."});
  CHECK(show(":alice MODE alice :+i") == lines_t{"Your modes change: +i"});
  CHECK(show(":irc.test 482 alice #lobby :You're not channel operator") ==
        lines_t{"#lobby: You're not channel operator"});
}

TEST_CASE("irc commands: ignore hides a nick's messages until unignore", "[client][irc][commands]") {
  auto m = registered();
  CHECK(m.on_input("/ignore").show == lines_t{"You ignore no one."});
  m.on_input("/ignore Bob");
  CHECK(m.on_line(":bob!b@h PRIVMSG #lobby :noise").show.empty());
  CHECK(m.on_line(":BOB!b@h PRIVMSG alice :more noise").show.empty());
  CHECK(m.on_line(":bob!b@h NOTICE alice :notice noise").show.empty());
  CHECK(m.on_line(":carol!c@h PRIVMSG #lobby :signal").show == lines_t{"carol > signal"});
  CHECK(m.on_input("/ignore").show == lines_t{"Ignored: bob"});
  CHECK(m.on_input("/unignore bob").show == lines_t{"No longer ignoring bob"});
  CHECK(m.on_line(":bob!b@h PRIVMSG #lobby :back").show == lines_t{"bob > back"});
  CHECK(m.on_input("/unignore dave").show == lines_t{"You were not ignoring dave."});
}

TEST_CASE("irc commands: CTCP VERSION, PING and TIME are answered, within a rate", "[client][irc][ctcp]") {
  auto m = registered();
  auto e = m.on_line(":bob!b@h PRIVMSG alice :\x01VERSION\x01");
  CHECK(e.send == "NOTICE bob :\x01VERSION chat-client 9.9.9\x01\r\n");
  CHECK(e.show == lines_t{"CTCP VERSION from bob"});
  CHECK(m.on_line(":bob!b@h PRIVMSG alice :\x01PING 12345\x01").send == "NOTICE bob :\x01PING 12345\x01\r\n");
  // 1780000000 is Thu, 28 May 2026 20:26:40 UTC.
  CHECK(m.on_line(":bob!b@h PRIVMSG alice :\x01TIME\x01").send ==
        "NOTICE bob :\x01TIME Thu, 28 May 2026 20:26:40 +0000\x01\r\n");
  // kMaxCtcpReplies in the window: the fourth is not answered.
  e = m.on_line(":bob!b@h PRIVMSG alice :\x01VERSION\x01");
  CHECK(e.send.empty());
  CHECK(e.show.empty());
  fake_now += client::kCtcpWindowSeconds;
  CHECK_FALSE(m.on_line(":bob!b@h PRIVMSG alice :\x01VERSION\x01").send.empty());
  // Other CTCPs, CTCP to a room and CTCP replies: neither answered nor shown raw.
  e = m.on_line(
      ":bob!b@h PRIVMSG alice :\x01"
      "DCC SEND x 1 2 3\x01");
  CHECK(e.send.empty());
  CHECK(e.show.empty());
  CHECK(m.on_line(":bob!b@h PRIVMSG #lobby :\x01VERSION\x01").send.empty());
  CHECK(m.on_line(":bob!b@h NOTICE alice :\x01VERSION other 1.0\x01").show.empty());
  // ACTION is still shown as an action.
  CHECK(m.on_line(":bob!b@h PRIVMSG #lobby :\x01"
                  "ACTION waves\x01")
            .show == lines_t{"* bob waves"});
}

TEST_CASE("irc mentions: a line naming us is marked, others are not", "[client][irc][mention]") {
  CHECK(client::mentions("alice: hi", "alice"));
  CHECK(client::mentions("hi ALICE!", "alice"));
  CHECK(client::mentions("ping (alice)", "alice"));
  CHECK_FALSE(client::mentions("malice aforethought", "alice"));
  CHECK_FALSE(client::mentions("alice_bot says hi", "alice"));
  CHECK_FALSE(client::mentions("", "alice"));

  irc_options o;
  o.nick = "alice";
  irc_machine coloured(std::move(o), client::style(true));
  coloured.connected();
  coloured.on_line(":irc.test 001 alice :Welcome");
  coloured.on_line(":alice!chat@h JOIN #lobby");
  auto e = coloured.on_line(":bob!b@h PRIVMSG #lobby :alice: look");
  CHECK(e.mentioned);
  REQUIRE(e.show.size() == 1);
  CHECK(e.show[0].find("\x1b[1;7malice: look\x1b[0m") != std::string::npos);
  e = coloured.on_line(":bob!b@h PRIVMSG #lobby :nothing for you");
  CHECK_FALSE(e.mentioned);
  CHECK(e.show[0].find("\x1b[1;7m") == std::string::npos);
  CHECK(coloured.on_line(":bob!b@h PRIVMSG alice :private").mentioned);
  // Our own lines never mention us.
  CHECK_FALSE(coloured.on_line(":alice!chat@h PRIVMSG #lobby :alice talks to herself").mentioned);
}

TEST_CASE("irc conversations: unread lines wait in the status until switched to", "[client][irc][switch]") {
  auto m = registered();
  m.on_line(":alice!chat@127.0.0.1 JOIN #rust");  // now current: #rust
  REQUIRE(m.prompt() == "#rust> ");
  REQUIRE(status_text(m.status()) == "#rust | alice");
  m.on_line(":bob!b@h PRIVMSG #lobby :one");
  auto e = m.on_line(":bob!b@h PRIVMSG #lobby :two");
  REQUIRE(e.status.has_value());
  CHECK(*e.status == client::status{"#rust", "alice", false, {{1, "#lobby", 2, false}}, 0, {}});
  CHECK(m.prompt() == "#rust> ");  // the prompt is the place alone
  // The current room's lines are not unread.
  m.on_line(":bob!b@h PRIVMSG #rust :here");
  CHECK(status_text(m.status()) == "#rust | alice | 1:#lobby(2)");
  // A private message opens a conversation, marked as naming us.
  m.on_line(":carol!c@h PRIVMSG alice :psst");
  CHECK(status_text(m.status()) == "#rust | alice | 1:#lobby(2) 3:carol(1!)");
  m.on_line(":bob!b@h PRIVMSG #lobby :alice: look");
  CHECK(status_text(m.status()) == "#rust | alice | 1:#lobby(3!) 3:carol(1!)");
  // By number (Alt-1 sends "/switch 1"), then by name.
  e = m.on_input("/switch 1");
  CHECK(m.current_room() == "#lobby");
  CHECK(e.show == lines_t{"Now talking in #lobby."});
  CHECK(e.prompt == std::optional<std::string>("#lobby> "));
  CHECK(e.status == std::optional<client::status>(
                        client::status{"#lobby", "alice", false, {{3, "carol", 1, true}}, 0, {}}));
  m.on_input("/switch carol");
  CHECK(m.prompt() == "carol> ");
  CHECK(status_text(m.status()) == "carol | alice");
  CHECK(m.on_input("hi carol").send == "PRIVMSG carol :hi carol\r\n");
  m.on_input("/switch rust");  // the '#' is optional
  CHECK(m.current_room() == "#rust");
  CHECK(m.on_input("/switch 9").show == lines_t{"No such room or conversation: 9. Type !join <#room>."});
  // Away shows in the status.
  e = m.on_line(":irc.test 306 alice :You have been marked as being away");
  REQUIRE(e.status.has_value());
  CHECK(status_text(*e.status) == "#rust | alice | away");
  m.on_line(":irc.test 305 alice :You are no longer marked as being away");
  CHECK(status_text(m.status()) == "#rust | alice");
  // So does our nick, when it changes.
  e = m.on_line(":alice!chat@h NICK :alicia");
  REQUIRE(e.status.has_value());
  CHECK(status_text(*e.status) == "#rust | alicia");
}

TEST_CASE("irc conversations: a query follows a nick change, and strangers are bounded",
          "[client][irc][switch]") {
  auto m = registered();
  m.on_input("/query bob");
  m.on_line(":bob!b@h NICK :bob2");
  CHECK(m.current_room() == "bob2");
  CHECK(m.on_input("still you?").send == "PRIVMSG bob2 :still you?\r\n");
  m.on_input("/join #lobby");
  m.on_line(":bob2!b@h PRIVMSG alice :yes");
  m.on_line(":bob2!b@h NICK :bob3");
  CHECK(status_text(m.status()) == "#lobby | alice | 2:bob3(1!)");
  // Many strangers: at most kMaxQueries conversations, and the status lists
  // the first nine with a count of the rest.
  for (int i = 0; i < 100; ++i) m.on_line(":s" + std::to_string(i) + "!u@h PRIVMSG alice :hi");
  const auto s = m.status();
  CHECK(s.waiting.size() == 8);  // 2 to 9: #lobby is current
  CHECK(s.more == client::kMaxQueries - 8);
  CHECK(status_text(s).ends_with(" +" + std::to_string(client::kMaxQueries - 8)));
  // A line "to" a room we are not in is no place of ours.
  m.on_line(":x!u@h PRIVMSG #elsewhere :noise");
  CHECK(status_text(m.status()).find("#elsewhere") == std::string::npos);
  // CTCP from a server (no nick!user@host) is not answered.
  CHECK(m.on_line(":irc.test PRIVMSG alice :\x01VERSION\x01").send.empty());
}
