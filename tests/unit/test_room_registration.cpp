// Registered rooms (ChanServ) in the chat domain, without a store: a room
// registers and drops through a recorder that answers when the test says,
// keeps the hub's map of saved rooms up to date, and a later incarnation of
// the room starts from that map.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "chat/event.hpp"
#include "chat/hub.hpp"
#include "chat/member.hpp"
#include "chat/recorder.hpp"
#include "chat/room.hpp"
#include "chat/saved_room.hpp"

namespace {

using chat::event_kind;
using chat::registration_answer;

class user final : public chat::member, public std::enable_shared_from_this<user> {
 public:
  explicit user(std::string nick, std::string account = {})
      : nick_(std::move(nick)), account_(std::move(account)) {}
  chat::delivery deliver(const chat::event_ptr& ev) override {
    events_.push_back(ev);
    return chat::delivery::queued;
  }
  chat::member_info info() const override {
    chat::member_info i;
    i.nick = nick_;
    i.user = "u";
    i.host = "example.test";
    i.account = account_;
    return i;
  }
  std::vector<chat::event_ptr> of(event_kind k) const {
    std::vector<chat::event_ptr> out;
    for (const auto& ev : events_)
      if (ev->kind == k) out.push_back(ev);
    return out;
  }
  // A request from this user, as a door makes it (with its account).
  chat::actor as() {
    chat::actor a{shared_from_this(), nick_, nick_ + "!u@example.test"};
    a.account = account_;
    return a;
  }

 private:
  std::string nick_;
  std::string account_;
  std::vector<chat::event_ptr> events_;
};

std::shared_ptr<user> make_user(std::string nick, std::string account = {}) {
  return std::make_shared<user>(std::move(nick), std::move(account));
}

// Records what rooms report; answers at once (kept, or refused when `fail`),
// or holds the answers until release() when `hold`.
class fake_recorder final : public chat::recorder {
 public:
  void said(const chat::event&) override {}
  void told(const chat::event&, const std::string&) override {}
  void room_changed(const chat::saved_room& r, kept done) override {
    changes.push_back(r);
    answer(std::move(done));
  }
  void room_dropped(const std::string& name, kept done) override {
    drops.push_back(name);
    answer(std::move(done));
  }
  void release() {
    auto all = std::move(held);
    held.clear();
    for (auto& d : all) d(!fail, fail ? "disk full" : "");
  }

  std::vector<chat::saved_room> changes;
  std::vector<std::string> drops;
  bool fail = false;
  bool hold = false;
  std::vector<kept> held;

 private:
  void answer(kept done) {
    if (!done) return;
    if (hold) {
      held.push_back(std::move(done));
    } else {
      done(!fail, fail ? "disk full" : "");
    }
  }
};

void run(asio::io_context& io) {
  io.restart();
  io.run();
}

// A room's answer to ChanServ, once it came.
struct answer_box {
  std::optional<registration_answer> got;
  std::string detail;
  chat::registration_done sink() {
    return [this](registration_answer a, std::string d) {
      got = a;
      detail = std::move(d);
    };
  }
};

// The op flag of `nick` in a who_reply asked by `asker`.
bool is_op(asio::io_context& io, chat::room& r, user& asker, const std::string& nick) {
  r.who(asker.as());
  run(io);
  const auto replies = asker.of(event_kind::who_reply);
  REQUIRE_FALSE(replies.empty());
  for (const auto& e : replies.back()->roster)
    if (e.nick == nick) return e.op;
  FAIL("no " << nick << " in the roster");
  return false;
}

std::shared_ptr<const chat::room_state> state_of(asio::io_context& io, chat::room& r, user& asker) {
  r.mode(asker.as(), {});
  run(io);
  const auto replies = asker.of(event_kind::channel_state);
  REQUIRE_FALSE(replies.empty());
  return replies.back()->state;
}

chat::mode_change plus(char mode, std::string arg = {}) {
  return chat::mode_change{true, mode, std::move(arg)};
}

// A hub whose rooms report to `rec`, and #reg with alice (account alice) as
// its operator and bob beside her.
struct fixture {
  asio::io_context io;
  std::shared_ptr<fake_recorder> rec = std::make_shared<fake_recorder>();
  chat::hub hub{io.get_executor(), rec};
  std::shared_ptr<user> alice = make_user("alice", "alice");
  std::shared_ptr<user> bob = make_user("bob", "bob");
  std::shared_ptr<chat::room> room = hub.room_named("#Reg");
  fixture() {
    room->join(alice->as());
    room->join(bob->as());
    run(io);
  }
  answer_box register_by(user& who, const std::string& founder) {
    answer_box box;
    room->register_to(who.as(), founder, 1'700'000'000'000, box.sink());
    run(io);
    return box;
  }
};

}  // namespace

TEST_CASE("saved rooms claim once and update only what is there for its founder", "[chat][chanserv]") {
  chat::saved_rooms m;
  chat::saved_room r{"#Reg", "alice", 1, "", "", 0, "+nt"};
  CHECK(m.claim(r));
  CHECK_FALSE(m.claim(chat::saved_room{"#REG", "bob", 2, "", "", 0, "+nt"}));
  r.topic = "new";
  CHECK(m.update(r));
  CHECK(m.find("#reg")->topic == "new");
  CHECK_FALSE(m.update(chat::saved_room{"#reg", "bob", 2, "theirs", "", 0, "+nt"}));
  CHECK(m.find("#reg")->founder == "alice");
  m.erase("#REG");
  CHECK_FALSE(m.find("#reg").has_value());
  CHECK_FALSE(m.update(r));  // nothing is revived
  CHECK(m.size() == 0);
}

TEST_CASE("only an operator who is in the room may register it", "[chat][chanserv]") {
  fixture f;
  auto outsider = make_user("eve", "eve");
  answer_box box;
  f.room->register_to(outsider->as(), "eve", 1, box.sink());
  run(f.io);
  CHECK(box.got == registration_answer::not_on_room);
  CHECK(f.register_by(*f.bob, "bob").got == registration_answer::not_operator);
  CHECK(f.rec->changes.empty());
  CHECK(f.hub.saved().size() == 0);

  const auto ok = f.register_by(*f.alice, "alice");
  CHECK(ok.got == registration_answer::done);
  REQUIRE(f.rec->changes.size() == 1);
  CHECK(f.rec->changes[0].name == "#Reg");
  CHECK(f.rec->changes[0].founder == "alice");
  CHECK(f.rec->changes[0].registered_ms == 1'700'000'000'000);
  CHECK(f.rec->changes[0].modes == "+nt");
  REQUIRE(f.hub.saved().find("#reg").has_value());
  CHECK(f.hub.saved().find("#reg")->founder == "alice");

  const auto again = f.register_by(*f.alice, "alice");
  CHECK(again.got == registration_answer::already_registered);
  CHECK(again.detail == "alice");
}

TEST_CASE("a registered room reports its topic and kept flags but not o v k or l", "[chat][chanserv]") {
  fixture f;
  REQUIRE(f.register_by(*f.alice, "alice").got == registration_answer::done);
  f.room->topic(f.alice->as(), "kept topic");
  run(f.io);
  REQUIRE(f.rec->changes.size() == 2);
  CHECK(f.rec->changes.back().topic == "kept topic");
  CHECK(f.rec->changes.back().topic_by == "alice!u@example.test");
  CHECK(f.rec->changes.back().topic_at_ms > 0);

  f.room->mode(f.alice->as(), {plus('o', "bob"), plus('v', "bob"), plus('k', "key"), plus('l', "5")});
  run(f.io);
  CHECK(f.rec->changes.size() == 2);
  f.room->mode(f.alice->as(), {plus('m'), plus('s'), plus('i'), chat::mode_change{false, 't', {}}});
  run(f.io);
  REQUIRE(f.rec->changes.size() == 3);
  CHECK(f.rec->changes.back().modes == "+imns");
  CHECK(f.hub.saved().find("#reg")->modes == "+imns");
  CHECK(f.hub.saved().find("#reg")->topic == "kept topic");
}

TEST_CASE("a registered room comes back from the hub's map and its founder is op", "[chat][chanserv]") {
  fixture f;
  REQUIRE(f.register_by(*f.alice, "alice").got == registration_answer::done);
  f.room->topic(f.alice->as(), "still here");
  f.room->mode(f.alice->as(), {plus('m')});
  f.room->part(f.alice->as(), "");
  f.room->part(f.bob->as(), "");
  run(f.io);
  CHECK(f.hub.find_room("#reg") == nullptr);  // closed, like any room that empties

  // Someone else first: no operator status for arriving first.
  auto again = f.hub.room_named("#REG");
  REQUIRE(again != f.room);
  CHECK(again->name() == "#Reg");  // as registered
  again->join(f.bob->as());
  run(f.io);
  CHECK_FALSE(is_op(f.io, *again, *f.bob, "bob"));
  const auto s = state_of(f.io, *again, *f.bob);
  CHECK(s->topic == "still here");
  CHECK(s->topic_by == "alice!u@example.test");
  CHECK(s->modes == "+mnt");
  CHECK(s->created_at == 1'700'000'000);

  // A user without the account gets nothing either; the founder does.
  auto impostor = make_user("alice2");
  again->join(impostor->as());
  auto alice = make_user("alice_", "ALICE");
  again->join(alice->as());
  run(f.io);
  CHECK_FALSE(is_op(f.io, *again, *f.bob, "alice2"));
  CHECK(is_op(f.io, *again, *f.bob, "alice_"));
  // Its changes keep the map up to date.
  again->topic(alice->as(), "changed again");
  run(f.io);
  CHECK(f.hub.saved().find("#reg")->topic == "changed again");
  CHECK(f.rec->changes.back().topic == "changed again");
}

TEST_CASE("a registration the recorder refuses is undone", "[chat][chanserv]") {
  fixture f;
  f.rec->fail = true;
  const auto box = f.register_by(*f.alice, "alice");
  CHECK(box.got == registration_answer::failed);
  CHECK(box.detail == "disk full");
  CHECK(f.hub.saved().size() == 0);
  f.rec->fail = false;
  f.room->topic(f.alice->as(), "not kept");
  run(f.io);
  CHECK(f.rec->changes.size() == 1);  // the refused registration only
  // It may be registered later.
  CHECK(f.register_by(*f.alice, "alice").got == registration_answer::done);
}

TEST_CASE("changes while a registration is on its way follow it in order", "[chat][chanserv]") {
  fixture f;
  f.rec->hold = true;
  answer_box box;
  f.room->register_to(f.alice->as(), "alice", 1, box.sink());
  f.room->topic(f.alice->as(), "meanwhile");
  run(f.io);
  CHECK_FALSE(box.got.has_value());
  REQUIRE(f.rec->changes.size() == 1);  // the registration; the topic waits
  CHECK(f.hub.saved().find("#reg")->topic == "meanwhile");
  // DROP while it is under way: later.
  answer_box drop;
  f.room->drop_registration("alice", drop.sink());
  run(f.io);
  CHECK(drop.got == registration_answer::busy);
  f.rec->hold = false;
  f.rec->release();
  run(f.io);
  CHECK(box.got == registration_answer::done);
  REQUIRE(f.rec->changes.size() == 2);
  CHECK(f.rec->changes[1].topic == "meanwhile");
}

TEST_CASE("only the founder drops a registration and an empty room closes after", "[chat][chanserv]") {
  fixture f;
  REQUIRE(f.register_by(*f.alice, "alice").got == registration_answer::done);
  answer_box by_bob;
  f.room->drop_registration("bob", by_bob.sink());
  run(f.io);
  CHECK(by_bob.got == registration_answer::not_founder);
  CHECK(by_bob.detail == "alice");
  f.room->part(f.alice->as(), "");
  f.room->part(f.bob->as(), "");
  run(f.io);

  // Nobody is in it: DROP makes the room from the map, and it closes again.
  auto r = f.hub.room_named("#reg");
  answer_box box;
  r->drop_registration("Alice", box.sink());
  run(f.io);
  CHECK(box.got == registration_answer::done);
  CHECK(f.rec->drops == std::vector<std::string>{"#Reg"});
  CHECK(f.hub.saved().size() == 0);
  CHECK(f.hub.find_room("#reg") == nullptr);
  answer_box closed;
  r->drop_registration("alice", closed.sink());
  run(f.io);
  CHECK(closed.got == registration_answer::room_closed);

  // A new incarnation is an ordinary room: the first joiner is op again.
  auto fresh = f.hub.room_named("#reg");
  fresh->join(f.bob->as());
  run(f.io);
  CHECK(is_op(f.io, *fresh, *f.bob, "bob"));
  answer_box none;
  fresh->drop_registration("alice", none.sink());
  run(f.io);
  CHECK(none.got == registration_answer::not_registered);
}

TEST_CASE("a drop the recorder refuses keeps the registration", "[chat][chanserv]") {
  fixture f;
  REQUIRE(f.register_by(*f.alice, "alice").got == registration_answer::done);
  f.rec->fail = true;
  answer_box box;
  f.room->drop_registration("alice", box.sink());
  run(f.io);
  CHECK(box.got == registration_answer::failed);
  CHECK(f.hub.saved().find("#reg").has_value());
  f.rec->fail = false;
  f.room->topic(f.alice->as(), "still registered");
  run(f.io);
  CHECK(f.rec->changes.back().topic == "still registered");
}

TEST_CASE("a founder's account going takes its registrations from the hub and rooms", "[chat][chanserv]") {
  fixture f;
  REQUIRE(f.register_by(*f.alice, "alice").got == registration_answer::done);
  CHECK(f.hub.forget_founder("ALICE") == std::vector<std::string>{"#Reg"});
  run(f.io);
  CHECK(f.hub.saved().size() == 0);
  const auto before = f.rec->changes.size();
  f.room->topic(f.alice->as(), "no longer kept");
  run(f.io);
  CHECK(f.rec->changes.size() == before);
}

TEST_CASE("a registered room keeps its name", "[chat][chanserv]") {
  fixture f;
  REQUIRE(f.register_by(*f.alice, "alice").got == registration_answer::done);
  f.room->rename_to(f.alice->as(), "#other", "", [](const std::string&, const std::string&) { return true; });
  run(f.io);
  const auto errors = f.alice->of(event_kind::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->code == chat::error_code::cannot_rename);
}

TEST_CASE("the hub restores a registered lobby at start-up", "[chat][chanserv]") {
  asio::io_context io;
  auto rec = std::make_shared<fake_recorder>();
  chat::hub hub(io.get_executor(), rec);
  hub.restore({chat::saved_room{"#lobby", "alice", 1000, "welcome", "alice!u@h", 2000, "+mnt"},
               chat::saved_room{"#other", "bob", 1000, "", "", 0, "+n"}});
  run(io);
  CHECK(hub.saved().size() == 2);
  auto bob = make_user("bob", "bob");
  hub.lobby()->join(bob->as());
  run(io);
  CHECK(state_of(io, *hub.lobby(), *bob)->topic == "welcome");
  CHECK(state_of(io, *hub.lobby(), *bob)->modes == "+mnt");
  CHECK_FALSE(is_op(io, *hub.lobby(), *bob, "bob"));
  auto other = hub.room_named("#other");
  other->join(bob->as());
  run(io);
  CHECK(is_op(io, *other, *bob, "bob"));
  CHECK(state_of(io, *other, *bob)->modes == "+n");
}
