// The chat domain without sockets: the nick directory, rooms driven on an
// io_context, and the hub.
#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "chat/directory.hpp"
#include "chat/event.hpp"
#include "chat/hub.hpp"
#include "chat/member.hpp"
#include "chat/room.hpp"

namespace {

using chat::error_code;
using chat::event_kind;

// One delivery as seen across all members, in global order.
struct delivery {
  std::string to;
  chat::event_ptr ev;
};

// A log shared by several members, to check the order of deliveries between them.
class journal {
 public:
  void add(std::string to, chat::event_ptr ev) {
    const std::lock_guard lock(mutex_);
    entries_.push_back(delivery{std::move(to), std::move(ev)});
  }
  std::vector<delivery> entries() const {
    const std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<delivery> entries_;
};

class test_member : public chat::member {
 public:
  explicit test_member(std::string name, std::shared_ptr<journal> j = nullptr,
                       std::string host = "example.test")
      : name_(std::move(name)), host_(std::move(host)), journal_(std::move(j)) {}

  // A room's batch of joins (event_kind::joins) counts as the joined events
  // it shows, one by one, in events() and the journal; batches() keeps the
  // batches themselves.
  chat::delivery deliver(const chat::event_ptr& ev) override {
    std::vector<chat::event_ptr> shown;
    if (ev->kind == event_kind::joins) {
      for (auto i = ev->batch_from; i < ev->batch->size(); ++i) shown.push_back((*ev->batch)[i]);
    } else {
      shown.push_back(ev);
    }
    {
      const std::lock_guard lock(mutex_);
      if (ev->kind == event_kind::joins) batches_.push_back(ev);
      events_.insert(events_.end(), shown.begin(), shown.end());
    }
    if (journal_) {
      for (const auto& s : shown) journal_->add(name_, s);
    }
    return backlogged_ ? chat::delivery::backlogged : chat::delivery::queued;
  }

  std::vector<chat::event_ptr> batches() const {
    const std::lock_guard lock(mutex_);
    return batches_;
  }

  // Backpressure: this member reports its queue backlogged; and what it was
  // asked to wait for.
  void set_backlogged(bool b) { backlogged_ = b; }
  void wait_for(std::vector<std::weak_ptr<chat::member>> recipients) override {
    const std::lock_guard lock(mutex_);
    for (auto& r : recipients) waited_for_.push_back(std::move(r));
  }
  std::vector<std::weak_ptr<chat::member>> waited_for() const {
    const std::lock_guard lock(mutex_);
    return waited_for_;
  }

  chat::member_info info() const override {
    const std::lock_guard lock(mutex_);
    chat::member_info i;
    i.nick = name_;
    i.user = user();
    i.host = host_;
    i.realname = "Real " + name_;
    i.away = away_;
    return i;
  }

  void set_away(std::string message) {
    const std::lock_guard lock(mutex_);
    away_ = std::move(message);
  }

  std::vector<chat::event_ptr> events() const {
    const std::lock_guard lock(mutex_);
    return events_;
  }

  std::vector<chat::event_ptr> events_of(event_kind kind) const {
    std::vector<chat::event_ptr> out;
    for (auto& ev : events()) {
      if (ev->kind == kind) out.push_back(ev);
    }
    return out;
  }

  std::vector<error_code> errors() const {
    std::vector<error_code> out;
    for (const auto& ev : events_of(event_kind::error)) out.push_back(ev->code);
    return out;
  }

  const std::string& name() const { return name_; }
  std::string user() const { return "u" + name_; }
  std::string source() const { return name_ + "!" + user() + "@" + host_; }

 private:
  const std::string name_;
  const std::string host_;
  std::shared_ptr<journal> journal_;
  mutable std::mutex mutex_;
  std::string away_;                                     // guarded by mutex_
  std::vector<chat::event_ptr> events_;                  // guarded by mutex_
  std::vector<chat::event_ptr> batches_;                 // guarded by mutex_
  std::vector<std::weak_ptr<chat::member>> waited_for_;  // guarded by mutex_
  std::atomic<bool> backlogged_{false};
};

std::shared_ptr<test_member> make_member(std::string name, std::shared_ptr<journal> j = nullptr) {
  return std::make_shared<test_member>(std::move(name), std::move(j));
}

std::shared_ptr<test_member> make_member_at(std::string name, std::string host) {
  return std::make_shared<test_member>(std::move(name), nullptr, std::move(host));
}

// `m` as the room sees a request from it.
chat::actor as(const std::shared_ptr<test_member>& m) {
  return chat::actor{m, m->name(), m->source()};
}

// A message (or a NOTICE) of `m` to #test.
std::shared_ptr<chat::event> said_by(const std::shared_ptr<test_member>& m, std::string text,
                                     bool notice = false) {
  auto ev = chat::new_event(event_kind::said, "#test", m->name(), m.get());
  ev->source = m->source();
  ev->text = std::move(text);
  ev->message = notice ? chat::message_kind::notice : chat::message_kind::privmsg;
  return ev;
}

std::shared_ptr<chat::room> make_room(asio::io_context& io, bool persistent = true,
                                      std::function<void(const chat::room*)> on_empty = {}) {
  return std::make_shared<chat::room>(io.get_executor(), "#test", persistent, std::move(on_empty));
}

// Runs everything posted so far.
void run(asio::io_context& io) {
  io.restart();
  io.run();
}

// The roster of a who_reply requested and delivered now.
std::vector<chat::roster_entry> who_roster(asio::io_context& io, chat::room& r,
                                           const std::shared_ptr<test_member>& asker) {
  const auto before = asker->events_of(event_kind::who_reply).size();
  r.who(as(asker));
  run(io);
  const auto replies = asker->events_of(event_kind::who_reply);
  REQUIRE(replies.size() == before + 1);
  return replies.back()->roster;
}

std::vector<std::string> nicks_of(const std::vector<chat::roster_entry>& roster) {
  std::vector<std::string> out;
  for (const auto& e : roster) out.push_back(e.nick);
  return out;
}

// The nicks of a who_reply requested and delivered now.
std::vector<std::string> who_names(asio::io_context& io, chat::room& r,
                                   const std::shared_ptr<test_member>& asker) {
  return nicks_of(who_roster(io, r, asker));
}

// The state of a mode query (MODE #test) answered now.
std::shared_ptr<const chat::room_state> query_modes(asio::io_context& io, chat::room& r,
                                                    const std::shared_ptr<test_member>& asker) {
  const auto before = asker->events_of(event_kind::channel_state).size();
  r.mode(as(asker), {});
  run(io);
  const auto replies = asker->events_of(event_kind::channel_state);
  REQUIRE(replies.size() == before + 1);
  const auto& ev = *replies.back();
  CHECK(ev.query == chat::state_query::modes);
  CHECK(ev.roster.empty());
  REQUIRE(ev.state != nullptr);
  return ev.state;
}

// The state of a topic query (TOPIC #test) answered now.
std::shared_ptr<const chat::room_state> query_topic(asio::io_context& io, chat::room& r,
                                                    const std::shared_ptr<test_member>& asker) {
  const auto before = asker->events_of(event_kind::channel_state).size();
  r.topic(as(asker), std::nullopt);
  run(io);
  const auto replies = asker->events_of(event_kind::channel_state);
  REQUIRE(replies.size() == before + 1);
  CHECK(replies.back()->query == chat::state_query::topic);
  REQUIRE(replies.back()->state != nullptr);
  return replies.back()->state;
}

chat::mode_change plus(char mode, std::string arg = {}) {
  return chat::mode_change{true, mode, std::move(arg)};
}
chat::mode_change minus(char mode, std::string arg = {}) {
  return chat::mode_change{false, mode, std::move(arg)};
}

// Joins `who` in order and runs the strand.
void join_all(asio::io_context& io, chat::room& r, const std::vector<std::shared_ptr<test_member>>& who) {
  for (const auto& m : who) r.join(as(m));
  run(io);
}

// A persistent room that alice, bob and carol joined in that order.
struct room_of_three {
  room_of_three() { join_all(io, *r, {a, b, c}); }
  asio::io_context io;
  std::shared_ptr<chat::room> r = make_room(io);
  std::shared_ptr<test_member> a = make_member("alice");
  std::shared_ptr<test_member> b = make_member("bob");
  std::shared_ptr<test_member> c = make_member("carol");
};

}  // namespace

// ---- directory ----------------------------------------------------------------

TEST_CASE("directory claims are unique and case-insensitive", "[chat][directory]") {
  chat::directory dir;
  auto a = make_member("a");
  auto b = make_member("b");
  CHECK(dir.claim("Alice", a));
  CHECK(dir.size() == 1);
  CHECK_FALSE(dir.claim("alice", b));
  CHECK_FALSE(dir.claim("ALICE", b));
  CHECK_FALSE(dir.claim("Alice", a));  // not even twice by the same owner
  CHECK(dir.size() == 1);
  CHECK(dir.claim("bob", b));
  CHECK(dir.size() == 2);
}

TEST_CASE("directory find returns null until publish", "[chat][directory]") {
  chat::directory dir;
  auto a = make_member("a");
  REQUIRE(dir.claim("Alice", a));
  CHECK(dir.find("alice") == nullptr);
  CHECK(dir.find("Alice") == nullptr);

  // Only the owner can publish.
  auto b = make_member("b");
  dir.publish("alice", b.get());
  CHECK(dir.find("alice") == nullptr);

  dir.publish("ALICE", a.get());
  CHECK(dir.find("alice") == a);
  CHECK(dir.find("aLiCe") == a);
  CHECK(dir.find("bob") == nullptr);
  CHECK(dir.find("") == nullptr);
}

TEST_CASE("directory claim can publish at once", "[chat][directory]") {
  chat::directory dir;
  auto a = make_member("a");
  auto b = make_member("b");
  REQUIRE(dir.claim("Alice", a, /*published=*/true));
  CHECK(dir.find("alice") == a);
  CHECK_FALSE(dir.claim("ALICE", b, /*published=*/true));
  CHECK(dir.find("alice") == a);
}

TEST_CASE("directory release only by the owner", "[chat][directory]") {
  chat::directory dir;
  auto a = make_member("a");
  auto b = make_member("b");
  REQUIRE(dir.claim("alice", a));
  dir.publish("alice", a.get());

  dir.release("alice", b.get());
  CHECK(dir.size() == 1);
  CHECK(dir.find("alice") == a);

  dir.release("nobody", a.get());
  CHECK(dir.size() == 1);

  dir.release("ALICE", a.get());
  CHECK(dir.size() == 0);
  CHECK(dir.find("alice") == nullptr);

  // Free again: someone else can claim it now.
  CHECK(dir.claim("Alice", b));
  CHECK(dir.find("alice") == nullptr);
  dir.publish("alice", b.get());
  CHECK(dir.find("alice") == b);
}

TEST_CASE("directory release of an unpublished claim frees it", "[chat][directory]") {
  chat::directory dir;
  auto a = make_member("a");
  REQUIRE(dir.claim("alice", a));
  dir.release("alice", a.get());
  CHECK(dir.size() == 0);
  CHECK(dir.claim("alice", a));
}

TEST_CASE("directory find does not revive a destroyed owner", "[chat][directory]") {
  chat::directory dir;
  auto a = make_member("a");
  const chat::member* key = a.get();
  REQUIRE(dir.claim("alice", a));
  dir.publish("alice", key);
  REQUIRE(dir.find("alice") == a);
  a.reset();
  CHECK(dir.find("alice") == nullptr);
  // The claim is still held until released by its (former) owner's identity.
  CHECK_FALSE(dir.claim("alice", make_member("x")));
  dir.release("alice", key);
  CHECK(dir.size() == 0);
}

TEST_CASE("directory rename moves a published nick and frees the old one", "[chat][directory]") {
  chat::directory dir;
  auto a = make_member("a");
  auto b = make_member("b");
  REQUIRE(dir.claim("alice", a, /*published=*/true));
  REQUIRE(dir.claim("bob", b, /*published=*/true));

  CHECK(dir.rename("alice", "Alicia", a));
  CHECK(dir.size() == 2);
  CHECK(dir.find("alicia") == a);  // still published
  CHECK(dir.find("ALICIA") == a);
  CHECK(dir.find("alice") == nullptr);

  // The old nick is free for anyone now.
  auto c = make_member("c");
  CHECK(dir.claim("ALICE", c, /*published=*/true));
  CHECK(dir.find("alice") == c);
  CHECK(dir.find("alicia") == a);
}

TEST_CASE("directory rename to a nick held by another fails", "[chat][directory]") {
  chat::directory dir;
  auto a = make_member("a");
  auto b = make_member("b");
  REQUIRE(dir.claim("alice", a, /*published=*/true));
  REQUIRE(dir.claim("bob", b, /*published=*/true));

  CHECK_FALSE(dir.rename("alice", "BOB", a));
  // Nothing moved.
  CHECK(dir.size() == 2);
  CHECK(dir.find("alice") == a);
  CHECK(dir.find("bob") == b);
}

TEST_CASE("directory rename of letter case only succeeds and keeps the published state",
          "[chat][directory]") {
  chat::directory dir;
  auto a = make_member("a");
  auto b = make_member("b");
  REQUIRE(dir.claim("alice", a, /*published=*/true));
  CHECK(dir.rename("alice", "ALICE", a));
  CHECK(dir.size() == 1);
  CHECK(dir.find("alice") == a);
  CHECK(dir.find("Alice") == a);
  CHECK_FALSE(dir.claim("alice", b));  // still held

  // An unpublished claim stays unpublished, by a case change or a real one.
  REQUIRE(dir.claim("bob", b));
  CHECK(dir.rename("bob", "Bob", b));
  CHECK(dir.find("bob") == nullptr);
  CHECK(dir.rename("Bob", "robert", b));
  CHECK(dir.find("robert") == nullptr);
  CHECK(dir.size() == 2);
  dir.publish("robert", b.get());
  CHECK(dir.find("Robert") == b);
  CHECK(dir.find("bob") == nullptr);
}

// ---- room: the basics -----------------------------------------------------------

TEST_CASE("room delivers joined to everyone: the newcomer at once, the others in a batch", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  CHECK(r->name() == "#test");
  auto log = std::make_shared<journal>();
  auto a = make_member("alice", log);
  auto b = make_member("bob", log);
  auto c = make_member("carol", log);
  r->join(as(a));
  r->join(as(b));
  r->join(as(c));
  // Nothing happens before the room's strand runs.
  CHECK(log->entries().empty());
  io.run();

  const auto entries = log->entries();
  // Each newcomer gets its own joined, then the channel_state; the members
  // before it get it at the end of the strand's turn, with the turn's other
  // joins (each sees those who came after it).
  const std::vector<std::tuple<std::string, event_kind, std::string>> expected = {
      {"alice", event_kind::joined, "alice"}, {"alice", event_kind::channel_state, "alice"},
      {"bob", event_kind::joined, "bob"},     {"bob", event_kind::channel_state, "bob"},
      {"carol", event_kind::joined, "carol"}, {"carol", event_kind::channel_state, "carol"},
      {"alice", event_kind::joined, "bob"},   {"alice", event_kind::joined, "carol"},
      {"bob", event_kind::joined, "carol"},
  };
  REQUIRE(entries.size() == expected.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    INFO("delivery " << i);
    CHECK(entries[i].to == std::get<0>(expected[i]));
    CHECK(entries[i].ev->kind == std::get<1>(expected[i]));
    CHECK(entries[i].ev->from == std::get<2>(expected[i]));
    CHECK(entries[i].ev->room == "#test");
  }
  // A broadcast is one shared event.
  CHECK(entries[4].ev == entries[7].ev);
  CHECK(entries[4].ev == entries[8].ev);
  CHECK(entries[4].ev->origin == c.get());
  CHECK(entries[4].ev->source == c->source());

  CHECK(a->events().size() == 4);
  CHECK(b->events().size() == 3);
  CHECK(c->events().size() == 2);
  // One batch each: alice's shows both, bob's the one after him; both share it.
  REQUIRE(a->batches().size() == 1);
  REQUIRE(b->batches().size() == 1);
  CHECK(c->batches().empty());
  CHECK(a->batches()[0]->batch_from == 0);
  CHECK(b->batches()[0]->batch_from == 1);
  CHECK(a->batches()[0]->batch == b->batches()[0]->batch);
}

TEST_CASE("room coalesces a turn's joins: one batch per member", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  join_all(io, *r, {a});
  std::vector<std::shared_ptr<test_member>> many;
  for (int i = 0; i < 10; ++i) many.push_back(make_member("m" + std::to_string(i)));
  join_all(io, *r, many);
  REQUIRE(a->batches().size() == 1);
  CHECK(a->batches()[0]->batch->size() == 10);
  CHECK(a->events_of(event_kind::joined).size() == 11);  // its own, then the ten
  // The last joiner is told of nobody; each other joiner of those after it.
  CHECK(many.back()->batches().empty());
  for (std::size_t i = 0; i + 1 < many.size(); ++i) {
    INFO("joiner " << i);
    REQUIRE(many[i]->batches().size() == 1);
    const auto joined = many[i]->events_of(event_kind::joined);
    REQUIRE(joined.size() == many.size() - i);
    CHECK(joined.front()->from == many[i]->name());
    CHECK(joined.back()->from == many.back()->name());
  }
  // At most kMaxJoinBatch joins a batch.
  auto b = make_member("bob");
  join_all(io, *r, {b});
  std::vector<std::shared_ptr<test_member>> storm;
  for (std::size_t i = 0; i < chat::kMaxJoinBatch + 1; ++i)
    storm.push_back(make_member("s" + std::to_string(i)));
  join_all(io, *r, storm);
  const auto batches = b->batches();
  REQUIRE(batches.size() == 2);
  CHECK(batches[0]->batch->size() == chat::kMaxJoinBatch);
  CHECK(batches[1]->batch->size() == 1);
}

TEST_CASE("room shows a pending join before what the joiner does next", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  join_all(io, *r, {a});
  auto b = make_member("bob");
  auto c = make_member("carol");
  r->join(as(b));
  r->say(as(b), said_by(b, "hi"));
  r->join(as(c));
  r->part(as(c), "bye");
  run(io);
  std::vector<std::pair<event_kind, std::string>> seen;
  for (const auto& ev : a->events()) seen.emplace_back(ev->kind, ev->from);
  const std::vector<std::pair<event_kind, std::string>> expected = {
      {event_kind::joined, "alice"}, {event_kind::channel_state, "alice"}, {event_kind::joined, "bob"},
      {event_kind::said, "bob"},     {event_kind::joined, "carol"},        {event_kind::left, "carol"},
  };
  CHECK(seen == expected);
  // Bob saw carol come and go, after his own message.
  std::vector<event_kind> bob_saw;
  for (const auto& ev : b->events()) bob_saw.push_back(ev->kind);
  CHECK(bob_saw == std::vector<event_kind>{event_kind::joined, event_kind::channel_state, event_kind::said,
                                           event_kind::joined, event_kind::left});
}

TEST_CASE("room newcomer gets the channel state with the roster", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  join_all(io, *r, {a, b});

  const auto states = b->events_of(event_kind::channel_state);
  REQUIRE(states.size() == 1);
  const auto& ev = *states.front();
  CHECK(ev.room == "#test");
  CHECK(ev.from == "bob");
  CHECK(nicks_of(ev.roster) == std::vector<std::string>{"alice", "bob"});
  REQUIRE(ev.roster.size() == 2);
  CHECK(ev.roster[0].op);
  CHECK_FALSE(ev.roster[1].op);
  REQUIRE(ev.state != nullptr);
  CHECK(ev.state->modes == "+nt");
  CHECK(ev.state->mode_args.empty());
  CHECK(ev.state->topic.empty());
  CHECK(ev.state->created_at > 0);
  // It comes right after the newcomer's own joined.
  const auto all = b->events();
  REQUIRE(all.size() == 2);
  CHECK(all[0]->kind == event_kind::joined);
  CHECK(all[1]->kind == event_kind::channel_state);
}

TEST_CASE("room who_reply lists everyone in join order", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  auto c = make_member("carol");
  r->join(as(c));
  r->join(as(a));
  r->join(as(b));
  r->who(as(a));
  io.run();

  // Only the requester gets the reply.
  CHECK(b->events_of(event_kind::who_reply).empty());
  CHECK(c->events_of(event_kind::who_reply).empty());
  const auto replies = a->events_of(event_kind::who_reply);
  REQUIRE(replies.size() == 1);
  const auto& ev = *replies.front();
  CHECK(nicks_of(ev.roster) == std::vector<std::string>{"carol", "alice", "bob"});
  CHECK(ev.from == "alice");
  CHECK(ev.room == "#test");
  CHECK(ev.origin == a.get());
  // The reply comes after the joins posted before it.
  CHECK(a->events().back()->kind == event_kind::who_reply);
}

TEST_CASE("room who_reply carries the member details", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member_at("bob", "b.example");
  join_all(io, *r, {a, b});
  b->set_away("lunch");

  const auto roster = who_roster(io, *r, a);
  REQUIRE(roster.size() == 2);
  CHECK(roster[0].nick == "alice");
  CHECK(roster[0].user == "ualice");
  CHECK(roster[0].host == "example.test");
  CHECK(roster[0].realname == "Real alice");
  CHECK_FALSE(roster[0].away);
  CHECK(roster[1].nick == "bob");
  CHECK(roster[1].host == "b.example");
  CHECK(roster[1].away);

  b->set_away("");
  CHECK_FALSE(who_roster(io, *r, a)[1].away);
}

TEST_CASE("room who from a non-member still answers", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto outsider = make_member("eve");
  r->join(as(a));
  io.run();
  CHECK(who_names(io, *r, outsider) == std::vector<std::string>{"alice"});
}

TEST_CASE("room leave removes the member and tells the others", "[chat][room]") {
  room_of_three t;
  auto& [io, r, a, b, c] = t;
  const auto b_before = b->events().size();

  r->leave(b.get(), b->source(), "Quit: bye");
  run(io);

  for (const auto& m : {a, c}) {
    INFO("member " << m->name());
    const auto left = m->events_of(event_kind::left);
    REQUIRE(left.size() == 1);
    CHECK(left[0]->from == "bob");
    CHECK(left[0]->text == "Quit: bye");
    CHECK(left[0]->room == "#test");
    CHECK(left[0]->origin == b.get());
    CHECK(left[0]->source == b->source());
  }
  // The one who left hears nothing more, and the room no longer holds it.
  CHECK(b->events().size() == b_before);
  CHECK(b.use_count() == 1);
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "carol"});

  // Later broadcasts skip it.
  r->say(as(a), said_by(a, "hello"));
  run(io);
  CHECK(b->events().size() == b_before);
  CHECK(c->events_of(event_kind::said).size() == 1);
}

TEST_CASE("room leave of a non-member is ignored", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto stranger = make_member("eve");
  r->join(as(a));
  r->leave(stranger.get(), stranger->source());
  r->leave(stranger.get(), stranger->source(), "again");
  io.run();
  CHECK(a->events_of(event_kind::left).empty());
  CHECK(a->events().size() == 2);  // its joined and channel_state
  CHECK(stranger->events().empty());

  // Leaving twice: only the first one counts.
  auto b = make_member("bob");
  r->join(as(b));
  r->leave(b.get(), b->source());
  r->leave(b.get(), b->source());
  run(io);
  CHECK(a->events_of(event_kind::left).size() == 1);
}

TEST_CASE("room join twice is ignored", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  r->join(as(a));
  r->join(as(a));
  r->join(chat::actor{a, "other-nick", "other-nick!x@y"});
  r->join(as(b));
  io.run();
  CHECK(a->events_of(event_kind::joined).size() == 2);  // its own, then bob's
  CHECK(a->events_of(event_kind::channel_state).size() == 1);
  CHECK(b->events_of(event_kind::joined).size() == 1);
  CHECK(a->errors().empty());
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "bob"});
}

TEST_CASE("room rejoin after leave goes to the end", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  r->join(as(a));
  r->join(as(b));
  r->leave(a.get(), a->source());
  r->join(as(a));
  io.run();
  CHECK(who_names(io, *r, b) == std::vector<std::string>{"bob", "alice"});
}

TEST_CASE("room say reaches every member including the sender", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  r->join(as(a));
  r->join(as(b));
  auto ev = said_by(a, "hi");
  r->say(as(a), ev);
  io.run();
  for (const auto& m : {a, b}) {
    const auto said = m->events_of(event_kind::said);
    REQUIRE(said.size() == 1);
    CHECK(said[0] == ev);  // the same shared event, not a copy
    CHECK(said[0]->text == "hi");
  }
  CHECK(a->errors().empty());
}

TEST_CASE("room keeps each sender's say order under concurrency", "[chat][room][threads]") {
  constexpr int kSenders = 4;
  constexpr int kPerSender = 1000;
  constexpr int kIoThreads = 4;

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  auto r = make_room(io);
  std::vector<std::shared_ptr<test_member>> members;
  for (int i = 0; i < kSenders; ++i) {
    members.push_back(make_member("m" + std::to_string(i)));
    r->join(as(members.back()));
  }

  std::vector<std::thread> io_threads;
  for (int i = 0; i < kIoThreads; ++i) {
    io_threads.emplace_back([&io] { io.run(); });
  }

  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&r, &members, s] {
      const auto& sender = members[static_cast<std::size_t>(s)];
      const auto who = as(sender);
      for (int seq = 0; seq < kPerSender; ++seq) {
        r->say(who, said_by(sender, std::to_string(seq)));
      }
    });
  }
  for (auto& t : senders) t.join();
  work.reset();
  for (auto& t : io_threads) t.join();

  for (const auto& m : members) {
    INFO("member " << m->name());
    const auto said = m->events_of(event_kind::said);
    CHECK(said.size() == static_cast<std::size_t>(kSenders * kPerSender));
    CHECK(m->errors().empty());
    std::map<std::string, int> last;
    std::map<std::string, int> count;
    bool increasing = true;
    for (const auto& ev : said) {
      const int seq = std::stoi(ev->text);
      auto [it, inserted] = last.try_emplace(ev->from, seq);
      if (!inserted) {
        if (seq <= it->second) increasing = false;
        it->second = seq;
      }
      ++count[ev->from];
    }
    CHECK(increasing);
    REQUIRE(count.size() == static_cast<std::size_t>(kSenders));
    for (const auto& [from, n] : count) {
      INFO("sender " << from);
      CHECK(n == kPerSender);
      CHECK(last[from] == kPerSender - 1);
    }
    // Joins were posted first, so they came first.
    const auto all = m->events();
    REQUIRE_FALSE(all.empty());
    CHECK(all.back()->kind == event_kind::said);
  }
}

// ---- room: IRC channel semantics --------------------------------------------------

TEST_CASE("room first joiner is op and later joiners are not", "[chat][room]") {
  room_of_three t;
  auto& [io, r, a, b, c] = t;
  const auto roster = who_roster(io, *r, c);
  REQUIRE(roster.size() == 3);
  CHECK(roster[0].op);
  CHECK_FALSE(roster[1].op);
  CHECK_FALSE(roster[2].op);
  for (const auto& e : roster) CHECK_FALSE(e.voice);

  // The first one may change modes, the others may not.
  r->mode(as(a), {plus('m')});
  r->mode(as(b), {plus('i')});
  run(io);
  CHECK(a->errors().empty());
  CHECK(b->errors() == std::vector<error_code>{error_code::chanop_needed});
  CHECK(query_modes(io, *r, c)->modes == "+mnt");
}

TEST_CASE("room part tells everyone including the leaver", "[chat][room]") {
  room_of_three t;
  auto& [io, r, a, b, c] = t;

  r->part(as(b), "see you");
  run(io);
  const auto seen_by_b = b->events_of(event_kind::left);
  REQUIRE(seen_by_b.size() == 1);
  CHECK(seen_by_b[0]->from == "bob");
  CHECK(seen_by_b[0]->text == "see you");
  CHECK(seen_by_b[0]->room == "#test");
  CHECK(seen_by_b[0]->source == b->source());
  for (const auto& m : {a, c}) {
    INFO("member " << m->name());
    const auto left = m->events_of(event_kind::left);
    REQUIRE(left.size() == 1);
    CHECK(left[0] == seen_by_b[0]);
  }
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "carol"});
  CHECK(b.use_count() == 1);

  // Parting again: bob is not here any more.
  const auto a_before = a->events().size();
  r->part(as(b), "again");
  run(io);
  const auto errors = b->events_of(event_kind::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->code == error_code::not_on_room);
  CHECK(errors[0]->room == "#test");
  CHECK(b->events_of(event_kind::left).size() == 1);
  CHECK(a->events().size() == a_before);
}

TEST_CASE("room quit removes the member and shares one event with the others", "[chat][room]") {
  room_of_three t;
  auto& [io, r, a, b, c] = t;
  const auto b_before = b->events().size();

  const auto quit = chat::make_event(event_kind::quit, "", "bob", "Quit: gone", b.get());
  r->quit(b.get(), quit);
  run(io);
  for (const auto& m : {a, c}) {
    INFO("member " << m->name());
    const auto got = m->events_of(event_kind::quit);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == quit);
  }
  CHECK(b->events().size() == b_before);
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "carol"});

  // A quit of someone not here is silent.
  const auto a_before = a->events().size();
  r->quit(b.get(), quit);
  run(io);
  CHECK(a->events().size() == a_before);
  CHECK(b->events().size() == b_before);
}

TEST_CASE("room rename updates the nick and tells the others", "[chat][room]") {
  room_of_three t;
  auto& [io, r, a, b, c] = t;
  const auto b_before = b->events().size();

  auto nick = chat::new_event(event_kind::nick_changed, "", "bob", b.get());
  nick->target = "robert";
  const chat::event_ptr shared = nick;
  r->rename(b.get(), shared);
  run(io);
  for (const auto& m : {a, c}) {
    INFO("member " << m->name());
    const auto got = m->events_of(event_kind::nick_changed);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == shared);
  }
  CHECK(b->events().size() == b_before);
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "robert", "carol"});

  // The room finds the member by its new nick, and no longer by the old one.
  r->mode(as(a), {plus('v', "Robert")});
  r->kick(as(a), "bob", "old nick");
  run(io);
  const auto modes = a->events_of(event_kind::mode_changed);
  REQUIRE(modes.size() == 1);
  CHECK(modes[0]->text == "+v");
  CHECK(modes[0]->args == std::vector<std::string>{"robert"});
  const auto errors = a->events_of(event_kind::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->code == error_code::user_not_on_room);
  CHECK(errors[0]->text == "bob");
}

TEST_CASE("room say with +n refuses outsiders but a notice gets no error", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  auto outsider = make_member("eve");
  join_all(io, *r, {a, b});

  r->say(as(outsider), said_by(outsider, "spam"));
  run(io);
  const auto errors = outsider->events_of(event_kind::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->code == error_code::cannot_send);
  CHECK(errors[0]->room == "#test");
  CHECK(a->events_of(event_kind::said).empty());
  CHECK(b->events_of(event_kind::said).empty());

  r->say(as(outsider), said_by(outsider, "notice spam", /*notice=*/true));
  run(io);
  CHECK(outsider->events().size() == 1);  // still only the first error
  CHECK(a->events_of(event_kind::said).empty());

  // With -n outsiders may speak.
  r->mode(as(a), {minus('n')});
  r->say(as(outsider), said_by(outsider, "hello from outside"));
  run(io);
  CHECK(outsider->events().size() == 1);
  for (const auto& m : {a, b}) {
    const auto said = m->events_of(event_kind::said);
    REQUIRE(said.size() == 1);
    CHECK(said[0]->text == "hello from outside");
  }
}

TEST_CASE("room +m lets only ops and voiced members speak", "[chat][room]") {
  room_of_three t;
  auto& [io, r, a, b, c] = t;
  r->mode(as(a), {plus('m'), plus('v', "bob")});
  run(io);

  r->say(as(c), said_by(c, "from carol"));
  r->say(as(c), said_by(c, "notice from carol", /*notice=*/true));
  r->say(as(b), said_by(b, "from bob"));
  r->say(as(a), said_by(a, "from alice"));
  run(io);
  CHECK(c->errors() == std::vector<error_code>{error_code::cannot_send});
  CHECK(b->errors().empty());
  CHECK(a->errors().empty());
  for (const auto& m : {a, b, c}) {
    INFO("member " << m->name());
    std::vector<std::string> texts;
    for (const auto& ev : m->events_of(event_kind::said)) texts.push_back(ev->text);
    CHECK(texts == std::vector<std::string>{"from bob", "from alice"});
  }

  // Voice taken away: bob is silenced too.
  r->mode(as(a), {minus('v', "bob")});
  r->say(as(b), said_by(b, "again"));
  run(io);
  CHECK(b->errors() == std::vector<error_code>{error_code::cannot_send});
}

TEST_CASE("room ban refuses join and say for a matching source", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto inside = make_member_at("carol", "bad.host");  // joined before the ban
  join_all(io, *r, {a, inside});
  r->mode(as(a), {plus('b', "*!*@bad.host")});
  run(io);

  auto mallory = make_member_at("mallory", "BAD.host");
  auto good = make_member_at("dave", "good.host");
  r->join(as(mallory));
  r->join(as(good));
  r->say(as(inside), said_by(inside, "still here"));
  run(io);

  const auto errors = mallory->events_of(event_kind::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->code == error_code::banned);
  CHECK(errors[0]->room == "#test");
  CHECK(mallory->events_of(event_kind::joined).empty());
  CHECK(inside->errors() == std::vector<error_code>{error_code::cannot_send});
  CHECK(a->events_of(event_kind::said).empty());
  CHECK(good->errors().empty());
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "carol", "dave"});

  // Unbanned: mallory gets in.
  r->mode(as(a), {minus('b', "*!*@bad.host")});
  r->join(as(mallory));
  run(io);
  CHECK(mallory->events_of(event_kind::joined).size() == 1);
  CHECK(mallory->errors().size() == 1);
}

TEST_CASE("room invite-only refuses joins until an op invites", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto c = make_member("carol");
  auto b = make_member("bob");
  join_all(io, *r, {a, c});
  r->mode(as(a), {plus('i')});
  r->join(as(b));
  run(io);
  CHECK(b->errors() == std::vector<error_code>{error_code::invite_only});
  CHECK(b->events_of(event_kind::joined).empty());

  // A member who is not an op cannot invite to a +i room.
  r->invite(as(c), b, "bob");
  run(io);
  CHECK(c->errors() == std::vector<error_code>{error_code::chanop_needed});
  CHECK(b->events_of(event_kind::invited).empty());

  r->invite(as(a), b, "bob");
  run(io);
  for (const auto& m : {a, b}) {
    INFO("member " << m->name());
    const auto invited = m->events_of(event_kind::invited);
    REQUIRE(invited.size() == 1);
    CHECK(invited[0]->from == "alice");
    CHECK(invited[0]->target == "bob");
    CHECK(invited[0]->room == "#test");
  }
  // The other members get it too: doors show it to those who asked for it
  // (IRCv3 invite-notify).
  CHECK(c->events_of(event_kind::invited).size() == 1);

  r->join(as(b));
  run(io);
  CHECK(b->events_of(event_kind::joined).size() == 1);
  CHECK(b->errors().size() == 1);  // only the first refusal
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "carol", "bob"});

  // An invitation is used up by the join.
  r->part(as(b), "");
  r->join(as(b));
  run(io);
  CHECK(b->errors() == std::vector<error_code>{error_code::invite_only, error_code::invite_only});

  // Inviting someone already here fails.
  r->invite(as(a), c, "carol");
  run(io);
  const auto errors = a->events_of(event_kind::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->code == error_code::already_on_room);
  CHECK(errors[0]->text == "carol");
}

TEST_CASE("room +k refuses a wrong key and accepts the right one", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  join_all(io, *r, {a});
  r->mode(as(a), {plus('k', "secret")});
  r->join(as(b));
  r->join(as(b), "wrong");
  run(io);
  CHECK(b->errors() == std::vector<error_code>{error_code::bad_key, error_code::bad_key});
  CHECK(b->events_of(event_kind::joined).empty());

  r->join(as(b), "secret");
  run(io);
  CHECK(b->events_of(event_kind::joined).size() == 1);
  CHECK(b->errors().size() == 2);
}

TEST_CASE("room +l refuses joiners beyond the limit", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  join_all(io, *r, {a});
  r->mode(as(a), {plus('l', "1")});
  r->join(as(b));
  run(io);
  CHECK(b->errors() == std::vector<error_code>{error_code::room_full});
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice"});

  r->mode(as(a), {plus('l', "2")});
  r->join(as(b));
  run(io);
  CHECK(b->events_of(event_kind::joined).size() == 1);
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "bob"});
}

TEST_CASE("room mode changes need an op who is a member", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  auto outsider = make_member("eve");
  join_all(io, *r, {a, b});
  const auto a_before = a->events().size();

  r->mode(as(b), {plus('m')});
  r->mode(as(outsider), {plus('m')});
  run(io);
  CHECK(b->errors() == std::vector<error_code>{error_code::chanop_needed});
  CHECK(outsider->errors() == std::vector<error_code>{error_code::not_on_room});
  CHECK(a->events().size() == a_before);  // no mode_changed
  CHECK(query_modes(io, *r, a)->modes == "+nt");
}

TEST_CASE("room mode query shows the modes and the key only to ops", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  auto outsider = make_member("eve");
  join_all(io, *r, {a, b});

  const auto initial = query_modes(io, *r, a);
  CHECK(initial->modes == "+nt");
  CHECK(initial->mode_args.empty());
  CHECK(a->events_of(event_kind::channel_state).back()->from == "alice");

  r->mode(as(a), {plus('i'), plus('k', "hunter2"), plus('l', "5"), plus('m')});
  run(io);
  const auto for_op = query_modes(io, *r, a);
  CHECK(for_op->modes == "+iklmnt");
  CHECK(for_op->mode_args == std::vector<std::string>{"hunter2", "5"});
  const auto for_member = query_modes(io, *r, b);
  CHECK(for_member->modes == "+iklmnt");
  CHECK(for_member->mode_args == std::vector<std::string>{"*", "5"});
  const auto for_outsider = query_modes(io, *r, outsider);
  CHECK(for_outsider->mode_args == std::vector<std::string>{"*", "5"});

  r->mode(as(a), {minus('t'), minus('n'), minus('k'), minus('i')});
  run(io);
  const auto after = query_modes(io, *r, a);
  CHECK(after->modes == "+lm");
  CHECK(after->mode_args == std::vector<std::string>{"5"});
}

TEST_CASE("room ban list query answers with the masks", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  join_all(io, *r, {a, b});

  r->mode(as(b), {plus('b')});
  run(io);
  auto lists = b->events_of(event_kind::mask_list);
  REQUIRE(lists.size() == 1);
  CHECK(lists[0]->args.empty());
  CHECK(lists[0]->room == "#test");

  r->mode(as(a), {plus('b', "*!*@one.host"), plus('b', "bad!*@*")});
  r->mode(as(b), {plus('b')});
  run(io);
  lists = b->events_of(event_kind::mask_list);
  REQUIRE(lists.size() == 2);
  CHECK(lists[1]->args == std::vector<std::string>{"*!*@one.host", "bad!*@*"});
  CHECK(b->errors().empty());
}

TEST_CASE("room mode_changed reflects only the changes applied", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  join_all(io, *r, {a, b});

  r->mode(as(a), {plus('o', "BOB")});
  run(io);
  for (const auto& m : {a, b}) {
    INFO("member " << m->name());
    const auto changed = m->events_of(event_kind::mode_changed);
    REQUIRE(changed.size() == 1);
    CHECK(changed[0]->text == "+o");
    CHECK(changed[0]->args == std::vector<std::string>{"bob"});
    CHECK(changed[0]->from == "alice");
    CHECK(changed[0]->source == a->source());
  }
  CHECK(who_roster(io, *r, a)[1].op);

  // Already op, flags already set: nothing to announce.
  r->mode(as(a), {plus('o', "bob"), plus('n'), plus('t'), minus('m'), minus('b', "*!*@nowhere")});
  run(io);
  CHECK(a->events_of(event_kind::mode_changed).size() == 1);
  CHECK(b->events_of(event_kind::mode_changed).size() == 1);

  // Only the applied part of a mixed request, signs grouped.
  r->mode(as(a), {plus('m'), plus('o', "bob"), plus('v', "ghost"), minus('t'), minus('o', "bob")});
  run(io);
  const auto changed = b->events_of(event_kind::mode_changed);
  REQUIRE(changed.size() == 2);
  CHECK(changed[1]->text == "+m-to");
  CHECK(changed[1]->args == std::vector<std::string>{"bob"});
  const auto errors = a->events_of(event_kind::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->code == error_code::user_not_on_room);
  CHECK(errors[0]->text == "ghost");
  CHECK_FALSE(who_roster(io, *r, a)[1].op);
}

TEST_CASE("room unknown mode character is an error", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  join_all(io, *r, {a});
  r->mode(as(a), {plus('z')});
  run(io);
  const auto errors = a->events_of(event_kind::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->code == error_code::unknown_mode);
  CHECK(errors[0]->text == "z");
  CHECK(a->events_of(event_kind::mode_changed).empty());

  // The known ones next to it still apply.
  r->mode(as(a), {plus('x'), plus('m')});
  run(io);
  CHECK(a->errors() == std::vector<error_code>{error_code::unknown_mode, error_code::unknown_mode});
  const auto changed = a->events_of(event_kind::mode_changed);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0]->text == "+m");
}

TEST_CASE("room kick needs an op and a target who is here", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  auto c = make_member("carol");
  auto outsider = make_member("eve");
  join_all(io, *r, {a, b, c});

  r->kick(as(b), "carol", "no");
  r->kick(as(outsider), "carol", "no");
  r->kick(as(a), "nobody", "no");
  run(io);
  CHECK(b->errors() == std::vector<error_code>{error_code::chanop_needed});
  CHECK(outsider->errors() == std::vector<error_code>{error_code::not_on_room});
  const auto errors = a->events_of(event_kind::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]->code == error_code::user_not_on_room);
  CHECK(errors[0]->text == "nobody");
  CHECK(c->events_of(event_kind::kicked).empty());

  r->kick(as(a), "Carol", "behave");
  run(io);
  const auto seen_by_c = c->events_of(event_kind::kicked);
  REQUIRE(seen_by_c.size() == 1);
  CHECK(seen_by_c[0]->from == "alice");
  CHECK(seen_by_c[0]->target == "carol");
  CHECK(seen_by_c[0]->text == "behave");
  CHECK(seen_by_c[0]->room == "#test");
  for (const auto& m : {a, b}) {
    const auto kicked = m->events_of(event_kind::kicked);
    REQUIRE(kicked.size() == 1);
    CHECK(kicked[0] == seen_by_c[0]);
  }
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "bob"});
  CHECK(c.use_count() == 1);
}

TEST_CASE("room topic query and lock and change", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  auto outsider = make_member("eve");
  join_all(io, *r, {a, b});

  const auto none = query_topic(io, *r, b);
  CHECK(none->topic.empty());
  CHECK(none->topic_by.empty());
  CHECK(b->events_of(event_kind::channel_state).back()->roster.empty());

  // +t by default: only ops may set it.
  r->topic(as(b), "bob's topic");
  r->topic(as(outsider), "eve's topic");
  run(io);
  CHECK(b->errors() == std::vector<error_code>{error_code::chanop_needed});
  CHECK(outsider->errors() == std::vector<error_code>{error_code::not_on_room});
  CHECK(a->events_of(event_kind::topic_changed).empty());

  r->topic(as(a), "welcome");
  run(io);
  for (const auto& m : {a, b}) {
    INFO("member " << m->name());
    const auto changed = m->events_of(event_kind::topic_changed);
    REQUIRE(changed.size() == 1);
    CHECK(changed[0]->text == "welcome");
    CHECK(changed[0]->from == "alice");
    CHECK(changed[0]->room == "#test");
  }
  const auto set = query_topic(io, *r, outsider);
  CHECK(set->topic == "welcome");
  CHECK(set->topic_by == a->source());
  CHECK(set->topic_at > 0);

  // -t: anyone here may set it.
  r->mode(as(a), {minus('t')});
  r->topic(as(b), "bob's topic");
  run(io);
  CHECK(b->errors().size() == 1);
  CHECK(query_topic(io, *r, a)->topic == "bob's topic");
  CHECK(query_topic(io, *r, a)->topic_by == b->source());
}

TEST_CASE("room summary follows members and topic", "[chat][room]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  CHECK(r->summary().name == "#test");
  CHECK(r->summary().members == 0);

  r->join(as(a));
  r->join(as(b));
  CHECK(r->summary().members == 0);  // the strand has not run yet
  run(io);
  CHECK(r->summary().members == 2);
  CHECK(r->summary().topic.empty());

  r->topic(as(a), "news");
  r->leave(b.get(), b->source());
  run(io);
  const auto s = r->summary();
  CHECK(s.name == "#test");
  CHECK(s.members == 1);
  CHECK(s.topic == "news");
}

TEST_CASE("room that is not persistent closes once when the last member leaves", "[chat][room]") {
  asio::io_context io;
  int emptied = 0;
  const chat::room* emptied_room = nullptr;
  auto r = make_room(io, /*persistent=*/false, [&](const chat::room* which) {
    ++emptied;
    emptied_room = which;
  });
  auto a = make_member("alice");
  auto b = make_member("bob");
  join_all(io, *r, {a, b});

  r->leave(a.get(), a->source());
  run(io);
  CHECK(emptied == 0);
  r->part(as(b), "bye");
  run(io);
  CHECK(emptied == 1);
  CHECK(emptied_room == r.get());

  // Closed: joins are refused, and nothing empties it again.
  auto c = make_member("carol");
  r->join(as(c));
  r->join(as(a));
  r->leave(c.get(), c->source());
  run(io);
  CHECK(c->events_of(event_kind::joined).empty());
  CHECK(a->events_of(event_kind::joined).size() == 2);  // from before: its own and bob's
  for (const auto& m : {a, c}) {
    INFO("member " << m->name());
    const auto errors = m->events_of(event_kind::error);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0]->code == error_code::room_closed);
    CHECK(errors[0]->room == "#test");
  }
  CHECK(emptied == 1);
  CHECK(r->summary().members == 0);
}

TEST_CASE("room that is not persistent also closes on kick and quit", "[chat][room]") {
  asio::io_context io;
  int emptied = 0;
  auto r = make_room(io, /*persistent=*/false, [&](const chat::room*) { ++emptied; });
  auto a = make_member("alice");
  auto b = make_member("bob");
  join_all(io, *r, {a, b});
  r->kick(as(a), "bob", "");
  run(io);
  CHECK(emptied == 0);
  r->quit(a.get(), chat::make_event(event_kind::quit, "", "alice", "bye", a.get()));
  run(io);
  CHECK(emptied == 1);
}

TEST_CASE("room that is persistent never closes", "[chat][room]") {
  asio::io_context io;
  int emptied = 0;
  auto r = make_room(io, /*persistent=*/true, [&](const chat::room*) { ++emptied; });
  auto a = make_member("alice");
  auto b = make_member("bob");
  join_all(io, *r, {a});
  r->part(as(a), "");
  run(io);
  CHECK(r->summary().members == 0);
  r->join(as(b));
  r->join(as(a));
  run(io);
  CHECK(emptied == 0);
  CHECK(a->errors().empty());
  CHECK(b->errors().empty());
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"bob", "alice"});
  // The room emptied, so bob, its first member now, is the op.
  CHECK(who_roster(io, *r, a)[0].op);
}

// ---- hub ----------------------------------------------------------------------

TEST_CASE("hub lobby and rooms by name", "[chat][hub]") {
  asio::io_context io;
  chat::hub h(io.get_executor());
  REQUIRE(h.lobby() != nullptr);
  CHECK(h.lobby()->name() == "#lobby");
  CHECK(chat::kLobby == "#lobby");
  CHECK(h.room_named("#lobby") == h.lobby());
  CHECK(h.room_named("#LOBBY") == h.lobby());
  CHECK(h.room_named("#Lobby") == h.lobby());
  CHECK(h.find_room("#LoBbY") == h.lobby());

  CHECK(h.find_room("#dev") == nullptr);
  auto dev = h.room_named("#Dev");
  REQUIRE(dev != nullptr);
  CHECK(dev->name() == "#Dev");  // named as first asked for
  CHECK(h.room_named("#dev") == dev);
  CHECK(h.room_named("#DEV") == dev);
  CHECK(h.find_room("#dev") == dev);
  CHECK(h.room_named("#other") != dev);
  CHECK(h.room_named("#other") != h.lobby());
  CHECK(h.find_room("#nowhere") == nullptr);
  CHECK(h.room_count() == 3);
}

TEST_CASE("hub rooms work and the directory is shared", "[chat][hub]") {
  asio::io_context io;
  chat::hub h(io.get_executor());
  auto a = make_member("alice");
  REQUIRE(h.directory().claim("alice", a));
  CHECK_FALSE(h.directory().claim("ALICE", make_member("x")));
  h.lobby()->join(as(a));
  io.run();
  const auto joined = a->events_of(event_kind::joined);
  REQUIRE(joined.size() == 1);
  CHECK(joined[0]->room == "#lobby");
  CHECK(joined[0]->from == "alice");
}

TEST_CASE("hub lobby is persistent", "[chat][hub]") {
  asio::io_context io;
  chat::hub h(io.get_executor());
  auto a = make_member("alice");
  const auto lobby = h.lobby();
  lobby->join(as(a));
  run(io);
  lobby->part(as(a), "");
  run(io);
  CHECK(h.find_room("#lobby") == lobby);
  CHECK(h.room_named("#lobby") == lobby);
  lobby->join(as(a));
  run(io);
  CHECK(a->errors().empty());
  CHECK(a->events_of(event_kind::joined).size() == 2);
}

TEST_CASE("hub forgets a room that empties and makes a new one on demand", "[chat][hub]") {
  asio::io_context io;
  chat::hub h(io.get_executor());
  auto a = make_member("alice");
  auto b = make_member("bob");
  const auto dev = h.room_named("#dev");
  dev->join(as(a));
  dev->join(as(b));
  run(io);
  dev->leave(a.get(), a->source());
  run(io);
  CHECK(h.find_room("#dev") == dev);  // bob is still there

  dev->part(as(b), "");
  run(io);
  CHECK(h.find_room("#dev") == nullptr);
  CHECK(h.find_room("#DEV") == nullptr);
  CHECK(h.room_count() == 1);  // the lobby

  // The old room refuses joins; the hub makes a fresh one.
  dev->join(as(a));
  run(io);
  CHECK(a->errors() == std::vector<error_code>{error_code::room_closed});
  const auto fresh = h.room_named("#Dev");
  REQUIRE(fresh != nullptr);
  CHECK(fresh != dev);
  CHECK(fresh->name() == "#Dev");
  CHECK(h.find_room("#dev") == fresh);
  fresh->join(as(a));
  run(io);
  CHECK(a->errors().size() == 1);
  CHECK(who_roster(io, *fresh, a).at(0).op);
}

TEST_CASE("hub lists room summaries", "[chat][hub]") {
  asio::io_context io;
  chat::hub h(io.get_executor());
  auto a = make_member("alice");
  auto b = make_member("bob");
  h.lobby()->join(as(a));
  h.lobby()->join(as(b));
  const auto dev = h.room_named("#dev");
  dev->join(as(a));
  dev->topic(as(a), "building things");
  run(io);

  std::map<std::string, chat::room_summary> by_name;
  for (auto& s : h.rooms()) by_name.emplace(s.name, s);
  REQUIRE(by_name.size() == 2);
  REQUIRE(by_name.contains("#lobby"));
  REQUIRE(by_name.contains("#dev"));
  CHECK(by_name["#lobby"].members == 2);
  CHECK(by_name["#lobby"].topic.empty());
  CHECK(by_name["#dev"].members == 1);
  CHECK(by_name["#dev"].topic == "building things");
}

TEST_CASE("room say asks the sender to wait for members it left backlogged", "[chat][room][backpressure]") {
  asio::io_context io;
  auto r = make_room(io);
  auto a = make_member("alice");
  auto b = make_member("bob");
  auto c = make_member("carol");
  r->join(as(a));
  r->join(as(b));
  r->join(as(c));
  run(io);
  r->say(as(a), said_by(a, "fine"));
  run(io);
  CHECK(a->waited_for().empty());
  b->set_backlogged(true);
  a->set_backlogged(true);  // the sender's own copy never makes it wait
  r->say(as(a), said_by(a, "too much"));
  run(io);
  const auto waited = a->waited_for();
  REQUIRE(waited.size() == 1);
  CHECK(waited[0].lock() == b);
  CHECK(c->waited_for().empty());
}
