// History in a real SQLite file and in a real Redis (each test runs against
// both): read-your-writes, every CHATHISTORY query kind with msgid and
// timestamp bounds, limits, TARGETS, persistence; SQLite's schema version.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace store_test;
using store::query;

namespace {

using kind = query::kind;

query q_of(kind k, const std::string& target, store::bound a, std::size_t limit, store::bound b = {}) {
  query q;
  q.what = k;
  q.target = target;
  q.a = std::move(a);
  q.b = std::move(b);
  q.limit = limit;
  return q;
}
store::bound id(const std::string& m) {
  return store::bound{m, 0, false};
}
store::bound at(std::int64_t t) {
  return store::bound{"", t, false};
}
store::bound star() {
  return store::bound{"", 0, true};
}

// "#t": m01..m10 at 1000 * i, except m06 at 5000 like m05 (a tie that only
// the insertion order breaks).
void fill_ten(store::store& s) {
  for (int i = 1; i <= 10; ++i) {
    const std::string m = (i < 10 ? "m0" : "m") + std::to_string(i);
    s.append(make_line("#t", m, i == 6 ? 5000 : 1000 * i));
  }
  s.flush();  // the queries test ranges, not read-your-writes
}

std::vector<std::string> ids(std::initializer_list<int> ns) {
  std::vector<std::string> out;
  for (int n : ns) out.push_back((n < 10 ? "m0" : "m") + std::to_string(n));
  return out;
}

}  // namespace

TEST_CASE("store: an appended line is read back without a flush") {
  STORE_FIXTURE(f);
  auto o = f.options();
  // Longer than a loaded machine's scheduling hiccups: the read's wait for
  // the commit is bounded by two of these.
  o.commit_interval = std::chrono::milliseconds(500);
  auto s = f.open(o);
  s->append(make_line("#Lobby", "a1", 100, "first"));
  s->append(make_line("#lobby", "a2", 200, "second"));
  const auto got = history(*s, q_of(kind::latest, "#LOBBY", star(), 10));
  REQUIRE(got.size() == 2);
  CHECK(got[0].text == "first");
  CHECK(got[1].text == "second");
  CHECK(got[0].target == "#lobby");  // kept folded
  CHECK(got[0].source == "alice!~alice@example.org");
  CHECK(got[0].to == "#Lobby");  // as sent
}

TEST_CASE("store: every field of a line survives") {
  STORE_FIXTURE(f);
  auto s = f.open();
  store::line l = make_line("#x", "zz", 42, "hi there");
  l.kind = store::line_kind::action;
  l.account = "";
  l.tags = "+draft/reply=abc;+react=x";
  s->append(l);
  const auto got = history(*s, q_of(kind::latest, "#x", star(), 1));
  REQUIRE(got.size() == 1);
  CHECK(got[0] == l);
  auto found = store::wait<std::optional<store::line>>([&](auto cb) { s->find("#X", "zz", cb); });
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK(**found == l);
  auto elsewhere = store::wait<std::optional<store::line>>([&](auto cb) { s->find("#y", "zz", cb); });
  REQUIRE(elsewhere);
  CHECK_FALSE(elsewhere->has_value());
}

TEST_CASE("store: channel events are read only by queries that ask for them") {
  STORE_FIXTURE(f);
  auto s = f.open();
  store::line join = make_line("#e", "j1", 100, "Real Name");
  join.kind = store::line_kind::join;
  store::line kick = make_line("#e", "k1", 300, "bob be nice");
  kick.kind = store::line_kind::kick;
  s->append(join);
  s->append(make_line("#e", "m1", 200, "hello"));
  s->append(kick);
  s->append(make_line("#e", "m2", 400, "again"));
  s->flush();

  // Messages only: events are skipped, and do not count towards the limit.
  CHECK(msgids(history(*s, q_of(kind::latest, "#e", star(), 10))) == std::vector<std::string>{"m1", "m2"});
  CHECK(msgids(history(*s, q_of(kind::latest, "#e", star(), 1))) == std::vector<std::string>{"m2"});
  CHECK(msgids(history(*s, q_of(kind::before, "#e", id("m2"), 1))) == std::vector<std::string>{"m1"});

  // With events: every line in order, each kind and field kept.
  auto q = q_of(kind::latest, "#e", star(), 10);
  q.events = true;
  const auto all = history(*s, q);
  CHECK(msgids(all) == std::vector<std::string>{"j1", "m1", "k1", "m2"});
  REQUIRE(all.size() == 4);
  CHECK(all[0] == join);
  CHECK(all[2] == kick);
  q = q_of(kind::before, "#e", id("m2"), 1);
  q.events = true;
  CHECK(msgids(history(*s, q)) == std::vector<std::string>{"k1"});
  q = q_of(kind::after, "#e", at(100), 2);
  q.events = true;
  CHECK(msgids(history(*s, q)) == std::vector<std::string>{"m1", "k1"});
}

TEST_CASE("store: LATEST") {
  STORE_FIXTURE(f);
  auto s = f.open();
  fill_ten(*s);
  CHECK(msgids(history(*s, q_of(kind::latest, "#t", star(), 3))) == ids({8, 9, 10}));
  CHECK(msgids(history(*s, q_of(kind::latest, "#t", star(), 100))) == ids({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  // After a bound: the newest lines after it, not the oldest.
  CHECK(msgids(history(*s, q_of(kind::latest, "#t", id("m07"), 50))) == ids({8, 9, 10}));
  CHECK(msgids(history(*s, q_of(kind::latest, "#t", id("m03"), 2))) == ids({9, 10}));
  CHECK(msgids(history(*s, q_of(kind::latest, "#t", at(7000), 50))) == ids({8, 9, 10}));
  CHECK(msgids(history(*s, q_of(kind::latest, "#t", at(4999), 50))) == ids({5, 6, 7, 8, 9, 10}));
  CHECK(history(*s, q_of(kind::latest, "#t", id("m10"), 50)).empty());
}

TEST_CASE("store: BEFORE and AFTER are exclusive") {
  STORE_FIXTURE(f);
  auto s = f.open();
  fill_ten(*s);
  CHECK(msgids(history(*s, q_of(kind::before, "#t", id("m05"), 2))) == ids({3, 4}));
  // m05 and m06 share a millisecond: the msgid bound still splits them.
  CHECK(msgids(history(*s, q_of(kind::before, "#t", id("m06"), 2))) == ids({4, 5}));
  CHECK(msgids(history(*s, q_of(kind::after, "#t", id("m05"), 2))) == ids({6, 7}));
  // A time excludes every line of that millisecond.
  CHECK(msgids(history(*s, q_of(kind::before, "#t", at(5000), 10))) == ids({1, 2, 3, 4}));
  CHECK(msgids(history(*s, q_of(kind::after, "#t", at(5000), 3))) == ids({7, 8, 9}));
  CHECK(msgids(history(*s, q_of(kind::after, "#t", at(0), 2))) == ids({1, 2}));
  CHECK(history(*s, q_of(kind::after, "#t", id("m10"), 5)).empty());
  CHECK(history(*s, q_of(kind::before, "#t", id("m01"), 5)).empty());
  // "*": the newest before the end, the oldest after the start.
  CHECK(msgids(history(*s, q_of(kind::before, "#t", star(), 2))) == ids({9, 10}));
  CHECK(msgids(history(*s, q_of(kind::after, "#t", star(), 2))) == ids({1, 2}));
}

TEST_CASE("store: BETWEEN from either side") {
  STORE_FIXTURE(f);
  auto s = f.open();
  fill_ten(*s);
  CHECK(msgids(history(*s, q_of(kind::between, "#t", id("m02"), 100, id("m08")))) == ids({3, 4, 5, 6, 7}));
  // a < b: the oldest after a; a > b: the newest before a. Oldest first.
  CHECK(msgids(history(*s, q_of(kind::between, "#t", id("m02"), 2, id("m08")))) == ids({3, 4}));
  CHECK(msgids(history(*s, q_of(kind::between, "#t", id("m08"), 2, id("m02")))) == ids({6, 7}));
  CHECK(msgids(history(*s, q_of(kind::between, "#t", at(2000), 100, at(5000)))) == ids({3, 4}));
  CHECK(msgids(history(*s, q_of(kind::between, "#t", at(9000), 2, at(1000)))) == ids({7, 8}));
  CHECK(msgids(history(*s, q_of(kind::between, "#t", id("m05"), 10, id("m06")))).empty());
  CHECK(history(*s, q_of(kind::between, "#t", id("m05"), 10, id("m05"))).empty());
  CHECK(history(*s, q_of(kind::between, "#t", id("m02"), 10, id("nope"))).empty());
}

TEST_CASE("store: AROUND centres on its bound") {
  STORE_FIXTURE(f);
  auto s = f.open();
  fill_ten(*s);
  // A msgid's own line is in the middle.
  CHECK(msgids(history(*s, q_of(kind::around, "#t", id("m05"), 5))) == ids({3, 4, 5, 6, 7}));
  CHECK(msgids(history(*s, q_of(kind::around, "#t", id("m05"), 4))) == ids({4, 5, 6, 7}));
  CHECK(msgids(history(*s, q_of(kind::around, "#t", id("m05"), 1))) == ids({5}));
  // Near an end, the other side makes up the count.
  CHECK(msgids(history(*s, q_of(kind::around, "#t", id("m01"), 5))) == ids({1, 2, 3, 4, 5}));
  CHECK(msgids(history(*s, q_of(kind::around, "#t", id("m10"), 5))) == ids({6, 7, 8, 9, 10}));
  // A time: lines before it, then lines from it on.
  CHECK(msgids(history(*s, q_of(kind::around, "#t", at(7500), 4))) == ids({7, 8, 9, 10}));
  CHECK(msgids(history(*s, q_of(kind::around, "#t", at(5000), 3))) == ids({4, 5, 6}));
  CHECK(history(*s, q_of(kind::around, "#t", id("unknown"), 5)).empty());
}

TEST_CASE("store: an unknown msgid is an empty answer, not an error") {
  STORE_FIXTURE(f);
  auto s = f.open();
  fill_ten(*s);
  s->append(make_line("#other", "o1", 3500));
  for (const auto k : {kind::latest, kind::before, kind::after, kind::around, kind::between}) {
    auto r = try_history(*s, q_of(k, "#t", id("never-sent"), 10, id("m05")));
    REQUIRE(r);
    CHECK(r->empty());
    // A msgid of another target is not this target's.
    auto other = try_history(*s, q_of(k, "#t", id("o1"), 10, id("m05")));
    REQUIRE(other);
    CHECK(other->empty());
  }
}

TEST_CASE("store: the limit is clamped to 1 and kMaxQueryLimit") {
  STORE_FIXTURE(f);
  auto s = f.open();
  for (std::size_t i = 0; i < store::kMaxQueryLimit + 5; ++i) {
    s->append(make_line("#big", "b" + std::to_string(i), static_cast<std::int64_t>(i)));
  }
  // Committed first: a read waits for earlier lines only about two commit
  // intervals, less than a thousand rows may take under a sanitizer.
  s->flush();
  CHECK(history(*s, q_of(kind::latest, "#big", star(), 0)).size() == 1);
  CHECK(history(*s, q_of(kind::latest, "#big", star(), store::kMaxQueryLimit)).size() ==
        store::kMaxQueryLimit);
  const auto over = history(*s, q_of(kind::latest, "#big", star(), store::kMaxQueryLimit + 1));
  REQUIRE(over.size() == store::kMaxQueryLimit);
  // The newest, oldest first.
  CHECK(over.front().msgid == "b5");
  CHECK(over.back().msgid == "b" + std::to_string(store::kMaxQueryLimit + 4));
  for (std::size_t i = 1; i < over.size(); ++i) CHECK(over[i - 1].at_ms < over[i].at_ms);
}

TEST_CASE("store: targets are kept apart") {
  STORE_FIXTURE(f);
  auto s = f.open();
  for (int i = 0; i < 30; ++i) {
    s->append(make_line(i % 3 == 0 ? "#a" : i % 3 == 1 ? "#b" : "#c", "x" + std::to_string(i), i));
  }
  for (const std::string t : {"#a", "#b", "#c"}) {
    const auto got = history(*s, q_of(kind::latest, t, star(), 100));
    REQUIRE(got.size() == 10);
    for (const auto& l : got) CHECK(l.target == t);
  }
  CHECK(history(*s, q_of(kind::latest, "#d", star(), 100)).empty());
}

TEST_CASE("store: private_key is symmetric and never a channel") {
  const auto k = store::private_key("alice", "bob");
  CHECK(k == store::private_key("bob", "alice"));
  CHECK(k == store::private_key("Alice", "BOB"));
  CHECK(k != store::private_key("alice", "carol"));
  REQUIRE_FALSE(k.empty());
  CHECK(k.front() == '\x01');
  CHECK(store::private_key("ab", "c") != store::private_key("a", "bc"));
  CHECK(store::private_key("x", "x") == std::string("\x01x\x01x"));
}

TEST_CASE("store: private lines are kept under their key") {
  STORE_FIXTURE(f);
  auto s = f.open();
  store::line l = make_line(store::private_key("alice", "bob"), "p1", 10, "psst");
  l.to = "Bob";
  s->append(l);
  const auto got = history(*s, q_of(kind::latest, store::private_key("bob", "alice"), star(), 10));
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "psst");
}

TEST_CASE("store: TARGETS lists the identity's channels and conversations in a window") {
  STORE_FIXTURE(f);
  auto s = f.open();
  const auto say = [&](const std::string& from, const std::string& to, std::int64_t t, const std::string& m) {
    store::line l = make_line(store::private_key(from, to), m, t);
    l.source = from + "!~" + from + "@host";
    l.account = "";
    l.to = to;
    s->append(l);
  };
  say("alice", "Bob", 1000, "p1");
  say("Carol", "ALICE", 1200, "p2");  // Carol writes to alice ...
  say("alice", "Carol", 2000, "p3");  // ... and alice answers
  say("Bob", "alice", 3000, "p4");
  say("bob", "carol", 2500, "p5");  // not alice's
  s->append(make_line("#x", "c1", 1500));
  s->append(make_line("#y", "c2", 5000));
  s->append(make_line("#z", "c3", 1700));  // alice is not in #z

  const auto targets = [&](std::int64_t from, std::int64_t to, std::size_t limit) {
    store::targets_query q;
    q.identity = "Alice";
    q.channels = {"#x", "#Y"};
    q.from_ms = from;
    q.to_ms = to;
    q.limit = limit;
    auto r = store::wait<std::vector<store::target_entry>>([&](auto cb) { s->targets(q, cb); });
    REQUIRE(r);
    return *r;
  };
  using e = store::target_entry;
  CHECK(targets(0, 10'000, 50) == std::vector<e>{{"#x", 1500}, {"Carol", 2000}, {"Bob", 3000}, {"#y", 5000}});
  // Exclusive times, the latest line inside the window.
  CHECK(targets(1600, 4000, 50) == std::vector<e>{{"Carol", 2000}, {"Bob", 3000}});
  CHECK(targets(2000, 3000, 50).empty());
  CHECK(targets(0, 1100, 50) == std::vector<e>{{"Bob", 1000}});
  // The limit counts from the first time's side.
  CHECK(targets(0, 10'000, 2) == std::vector<e>{{"#x", 1500}, {"Carol", 2000}});
  CHECK(targets(10'000, 0, 2) == std::vector<e>{{"Bob", 3000}, {"#y", 5000}});

  // Bob's side: his peer's nick as last written.
  store::targets_query qb;
  qb.identity = "bob";
  qb.from_ms = 0;
  qb.to_ms = 10'000;
  auto r = store::wait<std::vector<store::target_entry>>([&](auto cb) { s->targets(qb, cb); });
  REQUIRE(r);
  CHECK(*r == std::vector<e>{{"carol", 2500}, {"alice", 3000}});
}

TEST_CASE("store: everything is there after a reopen") {
  STORE_FIXTURE(f);
  {
    auto s = f.open();
    fill_ten(*s);
    store::account a;
    a.name = "Dana";
    a.created_ms = 7;
    REQUIRE(store::wait<void>([&](auto cb) { s->create_account(a, cb); }));
    s->close();
  }
  auto s = f.open();
  CHECK(msgids(history(*s, q_of(kind::latest, "#t", star(), 100))) == ids({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  auto a = store::wait<store::account>([&](auto cb) { s->find_account("dana", cb); });
  REQUIRE(a);
  CHECK(a->name == "Dana");
  CHECK(s->snapshot().healthy);
}

TEST_CASE("store: a fresh file gets the current schema version") {
  temp_dir d;
  {
    auto s = open_store(options_for(d.path()));
    CHECK(s->file() == d.db());
  }
  raw_db raw(d.db());
  CHECK(raw.query_int("PRAGMA user_version") == store::kSchemaVersion);
  CHECK(raw.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'messages'") == 1);
  // WAL, set once in the file.
  CHECK(raw.query_int("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1);
}

TEST_CASE("store: a schema newer than this build is refused") {
  temp_dir d;
  {
    raw_db raw(d.db());
    REQUIRE(raw.exec("PRAGMA user_version = 99") == SQLITE_OK);
  }
  auto s = store::store::open(options_for(d.path()));
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error(), Catch::Contains(d.db().string()));
  CHECK_THAT(s.error(), Catch::Contains("99"));
  CHECK_THAT(s.error(), Catch::Contains("newer"));
  // Refused, not touched.
  raw_db raw(d.db());
  CHECK(raw.query_int("PRAGMA user_version") == 99);
}

TEST_CASE("store: the data directory is created") {
  temp_dir d;
  auto o = options_for(d.path() / "a" / "b");
  auto s = open_store(o);
  CHECK(std::filesystem::exists(d.path() / "a" / "b" / store::kDatabaseFile));
}
