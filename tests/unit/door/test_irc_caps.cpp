// The IRC door's IRCv3 capabilities, each as its specification describes it:
// CAP negotiation (302, multi-line, cap-notify, all-or-nothing), batch and
// labeled-response, msgid and the bot tag, away-notify, extended-join,
// chghost, setname, invite-notify, userhost-in-names, standard-replies,
// extended-monitor and draft/channel-rename.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "door/irc_caps.hpp"
#include "support/door_harness.hpp"

using test::door_harness;
using test::has_line;
using lines_t = std::vector<std::string>;

namespace {

// A registered client that asked for `caps`.
door_harness::client& with_caps(door_harness& h, std::string_view nick, std::string_view caps) {
  auto& c = h.irc();
  c.send("CAP LS 302");
  c.send("CAP REQ :" + std::string(caps));
  c.send("NICK " + std::string(nick));
  c.send("USER " + std::string(nick) + " 0 * :" + std::string(nick) + " Example");
  c.send("CAP END");
  const auto lines = c.lines();
  REQUIRE(has_line(lines, "ACK :" + std::string(caps)));
  REQUIRE(has_line(lines, " 001 "));
  return c;
}

}  // namespace

TEST_CASE("irc caps: every cap listed can be requested, and REQ is all or nothing", "[door][irc][cap]") {
  door_harness h;
  for (const auto& spec : door::kCaps) {
    auto& c = h.irc();
    c.send("CAP REQ " + std::string(spec.name));
    CAPTURE(spec.name);
    // Accounts and history come with the store; this harness has none.
    const auto answer = spec.needs_store ? " NAK :" : " ACK :";
    CHECK(c.lines() == lines_t{":chat.server CAP *" + std::string(answer) + std::string(spec.name)});
  }
  auto& c = h.irc();
  c.send("CAP REQ :away-notify nonsense");
  c.send("CAP LIST");
  CHECK(c.lines() == lines_t{":chat.server CAP * NAK :away-notify nonsense", ":chat.server CAP * LIST :"});
  // After registration too.
  auto& late = h.irc_user("late");
  late.send("CAP REQ :userhost-in-names away-notify");
  CHECK(late.lines() == lines_t{":chat.server CAP late ACK :userhost-in-names away-notify"});
  late.send("CAP LIST");
  CHECK(late.lines() == lines_t{":chat.server CAP late LIST :away-notify userhost-in-names"});
}

TEST_CASE("irc caps: cap-notify comes with LS 302 and cannot be turned off", "[door][irc][cap]") {
  door_harness h;
  auto& old = h.irc();
  old.send("CAP LS");
  old.send("CAP REQ -cap-notify");  // a pre-302 client may
  CHECK(old.lines().back() == ":chat.server CAP * ACK :-cap-notify");
  auto& c = h.irc();
  c.send("CAP LS 302");
  (void)c.lines();
  c.send("CAP REQ -cap-notify");
  CHECK(c.lines() == lines_t{":chat.server CAP * NAK :-cap-notify"});
  c.send("CAP LIST");
  CHECK(c.lines() == lines_t{":chat.server CAP * LIST :cap-notify"});
}

TEST_CASE("irc caps: labeled-response labels one line, batches several, ACKs none",
          "[door][irc][cap][label]") {
  door_harness h;
  auto& a = with_caps(h, "a", "labeled-response batch echo-message");
  a.send("@label=one PING x");
  CHECK(a.lines() == lines_t{"@label=one :chat.server PONG chat.server :x"});
  a.send("@label=none PONG x");
  CHECK(a.lines() == lines_t{"@label=none :chat.server ACK"});
  a.send("@label=two JOIN #x");
  const auto join = a.lines();
  REQUIRE(join.size() == 5);
  CHECK(join[0].starts_with("@label=two :chat.server BATCH +"));
  CHECK(join[0].ends_with(" labeled-response"));
  const auto id =
      join[0].substr(join[0].find('+') + 1, join[0].find(' ', join[0].find('+')) - join[0].find('+') - 1);
  CHECK(join[1] == "@batch=" + id + " :a!~a@127.0.0.1 JOIN #x");
  CHECK(join[2] == "@batch=" + id + " :chat.server 353 a = #x :@a");
  CHECK(join[3] == "@batch=" + id + " :chat.server 366 a #x :End of /NAMES list");
  CHECK(join[4] == ":chat.server BATCH -" + id);
  // The echo of a labeled message carries the label.
  a.send("@label=three PRIVMSG #x :hi");
  CHECK(a.lines() == lines_t{"@label=three :a!~a@127.0.0.1 PRIVMSG #x :hi"});
  // Without the cap, a label is just a tag the server ignores.
  auto& b = h.irc_user("b");
  b.send("@label=x PING y");
  CHECK(b.lines() == lines_t{":chat.server PONG chat.server :y"});
}

TEST_CASE("irc caps: commands after a labeled one wait for its answer", "[door][irc][cap][label]") {
  door_harness h;
  auto& a = with_caps(h, "a", "labeled-response batch");
  // Both lines in one read: the JOIN's answer comes from the room's strand,
  // and the PING behind it must not land inside the JOIN's batch.
  a.door->on_bytes("@label=j JOIN #y\r\n@label=p PING z\r\n");
  h.poll();
  const auto lines = a.lines();
  REQUIRE(!lines.empty());
  CHECK(lines.back() == "@label=p :chat.server PONG chat.server :z");
  CHECK(lines[lines.size() - 2].starts_with(":chat.server BATCH -"));
  CHECK(!a.link->held());
}

TEST_CASE("irc caps: msgid and the bot tag reach message-tags clients", "[door][irc][cap]") {
  door_harness h;
  auto& t = with_caps(h, "t", "message-tags");
  auto& bot = h.irc_user("bot");
  bot.send("MODE bot +B");
  CHECK(bot.lines() == lines_t{":bot MODE bot :+B"});
  bot.send("PRIVMSG t :beep");
  const auto got = t.lines();
  REQUIRE(got.size() == 1);
  CHECK(got[0].starts_with("@msgid="));
  CHECK(got[0].find(";bot :bot!~bot@127.0.0.1 PRIVMSG t :beep") != std::string::npos);
  const auto id = got[0].substr(7, got[0].find(';') - 7);
  CHECK(id.size() == 26);
  bot.send("PRIVMSG t :again");
  const auto second = t.lines();
  REQUIRE(second.size() == 1);
  CHECK(second[0].substr(7, 26) != id);  // every message its own id
  auto& plain = h.irc_user("plain");
  bot.send("PRIVMSG plain :no tags for you");
  CHECK(plain.lines() == lines_t{":bot!~bot@127.0.0.1 PRIVMSG plain :no tags for you"});
}

TEST_CASE("irc caps: away-notify tells those who share a channel", "[door][irc][cap]") {
  door_harness h;
  auto& watcher = with_caps(h, "w", "away-notify");
  auto& plain = h.irc_user("plain");
  auto& a = h.irc_user("a");
  auto& stranger = with_caps(h, "s", "away-notify");
  for (auto* c : {&watcher, &plain, &a}) c->send("JOIN #x,#y");
  (void)watcher.lines();
  (void)plain.lines();
  a.send("AWAY :lunch");
  CHECK(watcher.lines() == lines_t{":a!~a@127.0.0.1 AWAY :lunch"});  // once, though they share two rooms
  CHECK(plain.lines().empty());
  CHECK(stranger.lines().empty());
  a.send("AWAY");
  CHECK(watcher.lines() == lines_t{":a!~a@127.0.0.1 AWAY"});
}

TEST_CASE("irc caps: away-notify shows an away newcomer away after its JOIN", "[door][irc][cap]") {
  door_harness h;
  auto& watcher = with_caps(h, "w", "away-notify");
  auto& plain = h.irc_user("p");
  watcher.send("JOIN #x");
  plain.send("JOIN #x");
  (void)watcher.lines();
  (void)plain.lines();
  auto& a = h.irc_user("a");
  a.send("AWAY :lunch");
  (void)a.lines();
  a.send("JOIN #x");
  CHECK(watcher.lines() == lines_t{":a!~a@127.0.0.1 JOIN #x", ":a!~a@127.0.0.1 AWAY :lunch"});
  CHECK(plain.lines() == lines_t{":a!~a@127.0.0.1 JOIN #x"});
  CHECK(!has_line(a.lines(), " AWAY "));  // not to the newcomer itself
  a.send("AWAY");
  (void)watcher.lines();
  a.send("JOIN #y");
  watcher.send("JOIN #y");
  CHECK(!has_line(watcher.lines(), " AWAY "));  // back: no AWAY on a later JOIN
}

TEST_CASE("irc caps: extended-join shows the account and the real name", "[door][irc][cap]") {
  door_harness h;
  auto& e = with_caps(h, "e", "extended-join");
  auto& plain = h.irc_user("plain");
  e.send("JOIN #x");
  plain.send("JOIN #x");
  (void)plain.lines();
  auto& a = h.irc_user("a");
  (void)e.lines();
  a.send("JOIN #x");
  CHECK(e.lines() == lines_t{":a!~a@127.0.0.1 JOIN #x * :a Example"});
  CHECK(plain.lines() == lines_t{":a!~a@127.0.0.1 JOIN #x"});
}

TEST_CASE("irc caps: setname", "[door][irc][cap]") {
  door_harness h;
  auto& a = with_caps(h, "a", "setname");
  auto& s = with_caps(h, "s", "setname");
  auto& plain = h.irc_user("plain");
  for (auto* c : {&a, &s, &plain}) c->send("JOIN #x");
  (void)s.lines();
  (void)plain.lines();
  (void)a.lines();
  a.send("SETNAME :Alice Newname");
  CHECK(a.lines() == lines_t{":a!~a@127.0.0.1 SETNAME :Alice Newname"});
  CHECK(s.lines() == lines_t{":a!~a@127.0.0.1 SETNAME :Alice Newname"});
  CHECK(plain.lines().empty());
  plain.send("WHOIS a");
  CHECK(plain.lines()[0] == ":chat.server 311 plain a ~a 127.0.0.1 * :Alice Newname");
  a.send("SETNAME :" + std::string(protocol::kMaxRealnameLength + 1, 'x'));
  CHECK(a.lines() == lines_t{":chat.server FAIL SETNAME INVALID_REALNAME :Realname is not valid"});
}

TEST_CASE("irc caps: chghost, from an operator's CHGHOST", "[door][irc][cap]") {
  door_harness h;
  h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", "pw"}}});
  auto& op = h.irc_user("op");
  op.send("OPER admin pw");
  auto& a = with_caps(h, "a", "chghost");
  auto& watcher = with_caps(h, "w", "chghost");
  a.send("JOIN #x");
  watcher.send("JOIN #x");
  (void)a.lines();
  (void)watcher.lines();
  (void)op.lines();
  op.send("CHGHOST a ~alice example.org");
  CHECK(op.lines() == lines_t{":chat.server NOTICE op :a is now ~alice@example.org"});
  CHECK(a.lines() == lines_t{":a!~a@127.0.0.1 CHGHOST ~alice example.org"});
  CHECK(watcher.lines() == lines_t{":a!~a@127.0.0.1 CHGHOST ~alice example.org"});
  a.send("PRIVMSG #x :from the new host");
  CHECK(watcher.lines() == lines_t{":a!~alice@example.org PRIVMSG #x :from the new host"});
  op.send("CHGHOST a bad! user");
  CHECK(op.lines() == lines_t{":chat.server FAIL CHGHOST INVALID_HOST a :User name or host is not valid"});
  a.send("CHGHOST a x y");
  CHECK(a.lines() == lines_t{":chat.server 481 a :Permission Denied- You're not an IRC operator"});
}

TEST_CASE("irc caps: invite-notify and userhost-in-names", "[door][irc][cap]") {
  door_harness h;
  auto& op = h.irc_user("op");
  auto& n = with_caps(h, "n", "invite-notify userhost-in-names");
  auto& plain = h.irc_user("plain");
  op.send("JOIN #x");
  n.send("JOIN #x");
  plain.send("JOIN #x");
  const auto names = n.lines();
  CHECK(has_line(names, ":chat.server 353 n = #x :@op!~op@127.0.0.1 n!~n@127.0.0.1"));
  (void)plain.lines();
  (void)op.lines();
  auto& guest = h.irc_user("guest");
  op.send("INVITE guest #x");
  CHECK(n.lines() == lines_t{":op!~op@127.0.0.1 INVITE guest #x"});
  CHECK(plain.lines().empty());
  CHECK(guest.lines() == lines_t{":op!~op@127.0.0.1 INVITE guest #x"});
  CHECK(op.lines() == lines_t{":chat.server 341 op guest #x"});
}

TEST_CASE("irc caps: extended-monitor tells a watcher of changes without a shared channel",
          "[door][irc][cap][monitor]") {
  door_harness h;
  auto& w = with_caps(h, "w", "extended-monitor away-notify setname");
  auto& plain = with_caps(h, "p", "away-notify");
  auto& a = h.irc_user("a");
  w.send("MONITOR + a");
  plain.send("MONITOR + a");
  (void)w.lines();
  (void)plain.lines();
  a.send("AWAY :gone");
  CHECK(w.lines() == lines_t{":a!~a@127.0.0.1 AWAY :gone"});
  CHECK(plain.lines().empty());  // no shared channel, no extended-monitor
}

TEST_CASE("irc caps: draft/channel-rename", "[door][irc][cap][rename]") {
  door_harness h;
  auto& op = with_caps(h, "op", "draft/channel-rename");
  auto& old = h.irc_user("old");
  op.send("JOIN #before");
  old.send("JOIN #before");
  op.send("TOPIC #before :kept");
  (void)op.lines();
  (void)old.lines();
  op.send("RENAME #before #after :tidier");
  CHECK(op.lines() == lines_t{":op!~op@127.0.0.1 RENAME #before #after :tidier"});
  const auto fallback = old.lines();
  REQUIRE(fallback.size() >= 5);
  CHECK(fallback[0] == ":old!~old@127.0.0.1 PART #before :tidier");
  CHECK(fallback[1] == ":old!~old@127.0.0.1 JOIN #after");
  CHECK(fallback[2] == ":chat.server 332 old #after :kept");
  CHECK(has_line(fallback, ":chat.server 353 old = #after :@op old"));
  // Everything is kept, under the new name.
  old.send("TOPIC #after");
  CHECK(old.lines()[0] == ":chat.server 332 old #after :kept");
  old.send("PRIVMSG #after :still here");
  CHECK(op.lines() == lines_t{":old!~old@127.0.0.1 PRIVMSG #after :still here"});
  old.send("NAMES #before");
  CHECK(old.lines() == lines_t{":chat.server 366 old #before :End of /NAMES list"});
  // Errors.
  old.send("RENAME #after #other");
  CHECK(old.lines() == lines_t{":chat.server 482 old #after :You're not channel operator"});
  op.send("JOIN #taken");
  (void)op.lines();
  op.send("RENAME #after #taken");
  CHECK(op.lines() ==
        lines_t{
            ":chat.server FAIL RENAME CHANNEL_NAME_IN_USE #after #taken :The new name is another channel's"});
  op.send("RENAME #after bad");
  CHECK(
      op.lines() ==
      lines_t{":chat.server FAIL RENAME CANNOT_RENAME #after bad :The new name is not a valid channel name"});
  op.send("JOIN #lobby");
  (void)op.lines();
  op.send("RENAME #lobby #other");
  CHECK(op.lines() ==
        lines_t{":chat.server FAIL RENAME CANNOT_RENAME #lobby #other :This channel keeps its name"});
  op.send("RENAME #after #AFTER");  // letter case only: allowed
  CHECK(op.lines() == lines_t{":op!~op@127.0.0.1 RENAME #after #AFTER :"});
  CHECK(old.lines().empty());  // no fallback for a change of case
}
