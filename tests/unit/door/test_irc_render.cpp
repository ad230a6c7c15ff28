// The IRC door's rendering of each chat event, delivered straight to the
// door (as a room or another door would), and the render cache that lets
// members with the same capabilities share one buffer.
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "chat/event.hpp"
#include "door/render_keys.hpp"
#include "support/door_harness.hpp"

using chat::event_kind;
using test::door_harness;
using lines_t = std::vector<std::string>;

namespace {

std::shared_ptr<chat::event> from_bob(event_kind kind, std::string room = "#x") {
  auto ev = chat::new_event(kind, std::move(room), "bob", nullptr);
  ev->source = "bob!~bob@host";
  return ev;
}

std::vector<std::string> shown(door_harness::client& c, const chat::event_ptr& ev) {
  c.door->deliver(ev);
  return c.lines();
}

}  // namespace

TEST_CASE("irc door renders comings and goings", "[door][irc][render]") {
  door_harness h;
  auto& a = h.irc_user("a");
  CHECK(shown(a, from_bob(event_kind::joined)) == lines_t{":bob!~bob@host JOIN #x"});
  auto part = from_bob(event_kind::left);
  CHECK(shown(a, part) == lines_t{":bob!~bob@host PART #x"});
  auto part_reason = from_bob(event_kind::left);
  part_reason->text = "see you";
  CHECK(shown(a, part_reason) == lines_t{":bob!~bob@host PART #x :see you"});
  auto quit = from_bob(event_kind::quit, {});
  quit->text = "Quit: bye";
  CHECK(shown(a, quit) == lines_t{":bob!~bob@host QUIT :Quit: bye"});
  CHECK(shown(a, quit).empty());  // from a second shared room: shown once
  auto nick = from_bob(event_kind::nick_changed, {});
  nick->target = "robert";
  CHECK(shown(a, nick) == lines_t{":bob!~bob@host NICK :robert"});
  CHECK(shown(a, nick).empty());
  auto kick = from_bob(event_kind::kicked);
  kick->target = "carol";
  kick->text = "spam";
  CHECK(shown(a, kick) == lines_t{":bob!~bob@host KICK #x carol :spam"});
  // Others' joins, parts, quits and nick changes may wait for the deferred
  // flush (kDeferredFlushDelay); a kick may not.
  CHECK(a.link->deferred_sends() == 5);
}

TEST_CASE("irc door renders a room's batch of joins as one payload", "[door][irc][render]") {
  door_harness h;
  auto& a = h.irc_user("a");
  std::vector<chat::event_ptr> joins;
  for (const char* nick : {"bob", "carol", "dave"}) {
    auto ev = chat::new_event(event_kind::joined, "#x", nick, nullptr);
    ev->source = std::string(nick) + "!~" + nick + "@host";
    joins.push_back(ev);
  }
  auto all = chat::new_event(event_kind::joins, "#x", {}, nullptr);
  all->batch = std::make_shared<const std::vector<chat::event_ptr>>(joins);
  CHECK(shown(a, all) ==
        lines_t{":bob!~bob@host JOIN #x", ":carol!~carol@host JOIN #x", ":dave!~dave@host JOIN #x"});
  CHECK(a.link->deferred_sends() == 1);  // one payload, which may wait
  // A joiner within the batch sees those after it; each line is rendered once.
  auto later = chat::new_event(event_kind::joins, "#x", {}, nullptr);
  later->batch = all->batch;
  later->batch_from = 2;
  CHECK(shown(a, later) == lines_t{":dave!~dave@host JOIN #x"});
  // An empty remainder sends nothing.
  auto none = chat::new_event(event_kind::joins, "#x", {}, nullptr);
  none->batch = all->batch;
  none->batch_from = 3;
  CHECK(shown(a, none).empty());
  CHECK(a.link->deferred_sends() == 2);
}

TEST_CASE("irc door renders messages of every kind", "[door][irc][render]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto said = from_bob(event_kind::said);
  said->text = "hello";
  CHECK(shown(a, said) == lines_t{":bob!~bob@host PRIVMSG #x :hello"});
  auto notice = from_bob(event_kind::said);
  notice->message = chat::message_kind::notice;
  notice->text = "note";
  CHECK(shown(a, notice) == lines_t{":bob!~bob@host NOTICE #x :note"});
  auto action = from_bob(event_kind::private_message, {});
  action->message = chat::message_kind::action;
  action->target = "a";
  action->text = "waves";
  CHECK(shown(a, action) == lines_t{":bob!~bob@host PRIVMSG a :\x01"
                                    "ACTION waves\x01"});
  auto tagmsg = from_bob(event_kind::said);
  tagmsg->message = chat::message_kind::tagmsg;
  tagmsg->tags = {{"+typing", "active"}};
  CHECK(shown(a, tagmsg).empty());  // without message-tags
  // Text from the seed protocol: newlines and CR become separate lines,
  // long lines are cut between characters within 512 bytes.
  auto multi = from_bob(event_kind::said);
  multi->text = "one\r\ntwo\n\n" + std::string("three\0x", 7) + std::string(600, 'y');
  const auto lines = shown(a, multi);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == ":bob!~bob@host PRIVMSG #x :one");
  CHECK(lines[1] == ":bob!~bob@host PRIVMSG #x :two");
  CHECK(lines[2].size() + 2 <= protocol::kIrcMaxLine);
  CHECK(lines[2].starts_with(":bob!~bob@host PRIVMSG #x :three"));
  CHECK(lines[3].starts_with(":bob!~bob@host PRIVMSG #x :yyy"));
  auto empty = from_bob(event_kind::said);
  CHECK(shown(a, empty) == lines_t{":bob!~bob@host PRIVMSG #x :"});
}

TEST_CASE("irc door renders room changes and answers", "[door][irc][render]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto topic = from_bob(event_kind::topic_changed);
  topic->text = "new topic";
  CHECK(shown(a, topic) == lines_t{":bob!~bob@host TOPIC #x :new topic"});
  auto modes = from_bob(event_kind::mode_changed);
  modes->text = "+ov-b";
  modes->args = {"a", "a", "*!*@*"};
  CHECK(shown(a, modes) == lines_t{":bob!~bob@host MODE #x +ov-b a a *!*@*"});
  auto invited = from_bob(event_kind::invited);
  invited->target = "a";
  CHECK(shown(a, invited) == lines_t{":bob!~bob@host INVITE a #x"});
  auto notice = chat::new_event(event_kind::notice, {}, {}, nullptr);
  notice->text = "Server restarting";
  CHECK(shown(a, notice) == lines_t{":chat.server NOTICE * :Server restarting"});
  auto bans = chat::new_event(event_kind::mask_list, "#x", "a", nullptr);
  bans->text = "b";
  bans->args = {"x!*@*", "*!*@bad"};
  CHECK(shown(a, bans) == lines_t{":chat.server 367 a #x x!*@*", ":chat.server 367 a #x *!*@bad",
                                  ":chat.server 368 a #x :End of channel ban list"});
  auto wallops = from_bob(event_kind::wallops, {});
  wallops->text = "ops only";
  CHECK(shown(a, wallops).empty());  // neither +o nor +w
  a.send("MODE a +w");
  (void)a.lines();
  CHECK(shown(a, wallops) == lines_t{":bob!~bob@host WALLOPS :ops only"});
}

TEST_CASE("irc door renders the room's refusals as numerics", "[door][irc][render]") {
  door_harness h;
  auto& a = h.irc_user("a");
  using chat::error_code;
  const std::vector<std::pair<error_code, std::string>> cases = {
      {error_code::no_such_user, ":chat.server 401 a who :No such nick/channel"},
      {error_code::no_such_room, ":chat.server 403 a #x :No such channel"},
      {error_code::cannot_send, ":chat.server 404 a #x :Cannot send to channel"},
      {error_code::not_on_room, ":chat.server 442 a #x :You're not on that channel"},
      {error_code::user_not_on_room, ":chat.server 441 a who #x :They aren't on that channel"},
      {error_code::already_on_room, ":chat.server 443 a who #x :is already on channel"},
      {error_code::chanop_needed, ":chat.server 482 a #x :You're not channel operator"},
      {error_code::room_full, ":chat.server 471 a #x :Cannot join channel (+l)"},
      {error_code::invite_only, ":chat.server 473 a #x :Cannot join channel (+i)"},
      {error_code::banned, ":chat.server 474 a #x :Cannot join channel (+b)"},
      {error_code::bad_key, ":chat.server 475 a #x :Cannot join channel (+k)"},
      {error_code::unknown_mode, ":chat.server 472 a who :is unknown mode char to me"},
  };
  for (const auto& [code, line] : cases) {
    CAPTURE(line);
    CHECK(shown(a, chat::make_error(code, "a", "who", nullptr, "#x")) == lines_t{line});
  }
  CHECK(shown(a, chat::make_error(error_code::none, "a", "", nullptr)).empty());
}

TEST_CASE("irc door: members with the same capabilities share one rendering", "[door][irc][render]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  auto& t = h.irc();
  t.send("CAP REQ server-time");
  t.send("NICK t");
  t.send("USER t 0 * :T");
  t.send("CAP END");
  (void)t.lines();
  auto said = from_bob(event_kind::said);
  said->text = "shared";
  a.door->deliver(said);
  b.door->deliver(said);
  t.door->deliver(said);
  const auto la = a.lines();
  const auto lt = t.lines();
  CHECK(la == b.lines());
  REQUIRE(lt.size() == 1);
  CHECK(lt[0].starts_with("@time="));
  CHECK(lt[0].ends_with(":bob!~bob@host PRIVMSG #x :shared"));
  // Two formats rendered: two cache slots taken, the rest free.
  int cached = 0;
  for (std::uint8_t bits = 0; bits < 4; ++bits) {
    bool rendered_now = false;
    (void)said->rendered.get(chat::make_render_key(door::kIrcDoor, bits), [&] {
      rendered_now = true;
      return std::string();
    });
    if (!rendered_now) ++cached;
  }
  CHECK(cached == 2);
}
