// The chat domain without sockets: the nick directory, rooms driven on an
// io_context, and the hub.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
  explicit test_member(std::string name, std::shared_ptr<journal> j = nullptr)
      : name_(std::move(name)), journal_(std::move(j)) {}

  void deliver(const chat::event_ptr& ev) override {
    {
      const std::lock_guard lock(mutex_);
      events_.push_back(ev);
    }
    if (journal_) journal_->add(name_, ev);
  }

  std::vector<chat::event_ptr> events() const {
    const std::lock_guard lock(mutex_);
    return events_;
  }

  std::vector<chat::event_ptr> events_of(chat::event_kind kind) const {
    std::vector<chat::event_ptr> out;
    for (auto& ev : events()) {
      if (ev->kind == kind) out.push_back(ev);
    }
    return out;
  }

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::shared_ptr<journal> journal_;
  mutable std::mutex mutex_;
  std::vector<chat::event_ptr> events_;
};

std::shared_ptr<test_member> make_member(std::string name, std::shared_ptr<journal> j = nullptr) {
  return std::make_shared<test_member>(std::move(name), std::move(j));
}

// The names of a who_reply requested and delivered now.
std::vector<std::string> who_names(asio::io_context& io, chat::room& r,
                                   const std::shared_ptr<test_member>& asker) {
  const auto before = asker->events_of(chat::event_kind::who_reply).size();
  r.who(asker, asker->name());
  io.restart();
  io.run();
  const auto replies = asker->events_of(chat::event_kind::who_reply);
  REQUIRE(replies.size() == before + 1);
  return replies.back()->names;
}

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

// ---- room ---------------------------------------------------------------------

TEST_CASE("room delivers joined to everyone, the newcomer last", "[chat][room]") {
  asio::io_context io;
  auto r = std::make_shared<chat::room>(io.get_executor(), "#test");
  CHECK(r->name() == "#test");
  auto log = std::make_shared<journal>();
  auto a = make_member("alice", log);
  auto b = make_member("bob", log);
  auto c = make_member("carol", log);
  r->join(a, "alice");
  r->join(b, "bob");
  r->join(c, "carol");
  // Nothing happens before the room's strand runs.
  CHECK(log->entries().empty());
  io.run();

  const auto entries = log->entries();
  REQUIRE(entries.size() == 6);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"alice", "alice"},                  // alice joins: alice
      {"alice", "bob"},   {"bob", "bob"},  // bob joins: alice, then bob
      {"alice", "carol"}, {"bob", "carol"}, {"carol", "carol"},
  };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    INFO("delivery " << i);
    CHECK(entries[i].to == expected[i].first);
    CHECK(entries[i].ev->kind == chat::event_kind::joined);
    CHECK(entries[i].ev->from == expected[i].second);
    CHECK(entries[i].ev->room == "#test");
  }
  // A broadcast is one shared event.
  CHECK(entries[3].ev == entries[5].ev);
  CHECK(entries[3].ev->origin == c.get());

  CHECK(a->events().size() == 3);
  CHECK(b->events().size() == 2);
  CHECK(c->events().size() == 1);
}

TEST_CASE("room who_reply names everyone in join order", "[chat][room]") {
  asio::io_context io;
  auto r = std::make_shared<chat::room>(io.get_executor(), "#test");
  auto a = make_member("alice");
  auto b = make_member("bob");
  auto c = make_member("carol");
  r->join(c, "carol");
  r->join(a, "alice");
  r->join(b, "bob");
  r->who(a, "alice");
  io.run();

  // Only the requester gets the reply.
  CHECK(b->events_of(chat::event_kind::who_reply).empty());
  CHECK(c->events_of(chat::event_kind::who_reply).empty());
  const auto replies = a->events_of(chat::event_kind::who_reply);
  REQUIRE(replies.size() == 1);
  const auto& ev = *replies.front();
  CHECK(ev.names == std::vector<std::string>{"carol", "alice", "bob"});
  CHECK(ev.from == "alice");
  CHECK(ev.room == "#test");
  CHECK(ev.origin == a.get());
  // The reply comes after the joins posted before it.
  CHECK(a->events().back()->kind == chat::event_kind::who_reply);
}

TEST_CASE("room who from a non-member still answers", "[chat][room]") {
  asio::io_context io;
  auto r = std::make_shared<chat::room>(io.get_executor(), "#test");
  auto a = make_member("alice");
  auto outsider = make_member("eve");
  r->join(a, "alice");
  io.run();
  CHECK(who_names(io, *r, outsider) == std::vector<std::string>{"alice"});
}

TEST_CASE("room leave removes the member and tells the others", "[chat][room]") {
  asio::io_context io;
  auto r = std::make_shared<chat::room>(io.get_executor(), "#test");
  auto a = make_member("alice");
  auto b = make_member("bob");
  auto c = make_member("carol");
  r->join(a, "alice");
  r->join(b, "bob");
  r->join(c, "carol");
  io.run();
  const auto b_before = b->events().size();

  r->leave(b.get(), "Quit: bye");
  io.restart();
  io.run();

  for (const auto& m : {a, c}) {
    INFO("member " << m->name());
    const auto left = m->events_of(chat::event_kind::left);
    REQUIRE(left.size() == 1);
    CHECK(left[0]->from == "bob");
    CHECK(left[0]->text == "Quit: bye");
    CHECK(left[0]->room == "#test");
    CHECK(left[0]->origin == b.get());
  }
  // The one who left hears nothing more, and the room no longer holds it.
  CHECK(b->events().size() == b_before);
  CHECK(b.use_count() == 1);
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "carol"});

  // Later broadcasts skip it.
  r->publish(chat::make_event(chat::event_kind::said, "#test", "alice", "hello", a.get()));
  io.restart();
  io.run();
  CHECK(b->events().size() == b_before);
  CHECK(c->events_of(chat::event_kind::said).size() == 1);
}

TEST_CASE("room leave of a non-member is ignored", "[chat][room]") {
  asio::io_context io;
  auto r = std::make_shared<chat::room>(io.get_executor(), "#test");
  auto a = make_member("alice");
  auto stranger = make_member("eve");
  r->join(a, "alice");
  r->leave(stranger.get());
  r->leave(stranger.get(), "again");
  io.run();
  CHECK(a->events_of(chat::event_kind::left).empty());
  CHECK(a->events().size() == 1);
  CHECK(stranger->events().empty());

  // Leaving twice: only the first one counts.
  auto b = make_member("bob");
  r->join(b, "bob");
  r->leave(b.get());
  r->leave(b.get());
  io.restart();
  io.run();
  CHECK(a->events_of(chat::event_kind::left).size() == 1);
}

TEST_CASE("room join twice is ignored", "[chat][room]") {
  asio::io_context io;
  auto r = std::make_shared<chat::room>(io.get_executor(), "#test");
  auto a = make_member("alice");
  auto b = make_member("bob");
  r->join(a, "alice");
  r->join(a, "alice");
  r->join(a, "other-nick");
  r->join(b, "bob");
  io.run();
  CHECK(a->events_of(chat::event_kind::joined).size() == 2);  // its own, then bob's
  CHECK(b->events_of(chat::event_kind::joined).size() == 1);
  CHECK(who_names(io, *r, a) == std::vector<std::string>{"alice", "bob"});
}

TEST_CASE("room rejoin after leave goes to the end", "[chat][room]") {
  asio::io_context io;
  auto r = std::make_shared<chat::room>(io.get_executor(), "#test");
  auto a = make_member("alice");
  auto b = make_member("bob");
  r->join(a, "alice");
  r->join(b, "bob");
  r->leave(a.get());
  r->join(a, "alice");
  io.run();
  CHECK(who_names(io, *r, b) == std::vector<std::string>{"bob", "alice"});
}

TEST_CASE("room publish reaches every member including the sender", "[chat][room]") {
  asio::io_context io;
  auto r = std::make_shared<chat::room>(io.get_executor(), "#test");
  auto a = make_member("alice");
  auto b = make_member("bob");
  r->join(a, "alice");
  r->join(b, "bob");
  auto ev = chat::make_event(chat::event_kind::said, "#test", "alice", "hi", a.get());
  r->publish(ev);
  io.run();
  for (const auto& m : {a, b}) {
    const auto said = m->events_of(chat::event_kind::said);
    REQUIRE(said.size() == 1);
    CHECK(said[0] == ev);  // the same shared event, not a copy
    CHECK(said[0]->text == "hi");
  }
}

TEST_CASE("room keeps each sender's publish order under concurrency", "[chat][room][threads]") {
  constexpr int kSenders = 4;
  constexpr int kPerSender = 1000;
  constexpr int kIoThreads = 4;

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  auto r = std::make_shared<chat::room>(io.get_executor(), "#test");
  std::vector<std::shared_ptr<test_member>> members;
  for (int i = 0; i < 4; ++i) {
    members.push_back(make_member("m" + std::to_string(i)));
    r->join(members.back(), members.back()->name());
  }

  std::vector<std::thread> io_threads;
  for (int i = 0; i < kIoThreads; ++i) {
    io_threads.emplace_back([&io] { io.run(); });
  }

  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&r, &members, s] {
      const auto name = "sender" + std::to_string(s);
      const chat::member* origin = members[static_cast<std::size_t>(s)].get();
      for (int seq = 0; seq < kPerSender; ++seq) {
        r->publish(chat::make_event(chat::event_kind::said, "#test", name, std::to_string(seq), origin));
      }
    });
  }
  for (auto& t : senders) t.join();
  work.reset();
  for (auto& t : io_threads) t.join();

  for (const auto& m : members) {
    INFO("member " << m->name());
    const auto said = m->events_of(chat::event_kind::said);
    CHECK(said.size() == static_cast<std::size_t>(kSenders * kPerSender));
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
    CHECK(all.back()->kind == chat::event_kind::said);
  }
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

  auto dev = h.room_named("#Dev");
  REQUIRE(dev != nullptr);
  CHECK(dev->name() == "#Dev");  // named as first asked for
  CHECK(h.room_named("#dev") == dev);
  CHECK(h.room_named("#DEV") == dev);
  CHECK(h.room_named("#other") != dev);
  CHECK(h.room_named("#other") != h.lobby());
}

TEST_CASE("hub rooms work and the directory is shared", "[chat][hub]") {
  asio::io_context io;
  chat::hub h(io.get_executor());
  auto a = make_member("alice");
  REQUIRE(h.directory().claim("alice", a));
  CHECK_FALSE(h.directory().claim("ALICE", make_member("x")));
  h.lobby()->join(a, "alice");
  io.run();
  const auto joined = a->events_of(chat::event_kind::joined);
  REQUIRE(joined.size() == 1);
  CHECK(joined[0]->room == "#lobby");
  CHECK(joined[0]->from == "alice");
}
