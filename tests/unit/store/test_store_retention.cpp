// Retention in a real SQLite file and in a real Redis: max_age at its edge, max_per_target
// exactly, chunked deletes, the first pass after open, expire_now's count.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "store/history.hpp"  // kRetentionChunk
#include "support.hpp"

using namespace store_test;
using namespace std::chrono_literals;

namespace {

std::size_t expire(store::store& s) {
  auto r = store::wait<std::size_t>([&](auto cb) { s.expire_now(cb); });
  if (!r) FAIL("expire_now: " << store::describe(r.error()));
  return *r;
}

std::vector<std::string> all(store::store& s, const std::string& target) {
  store::query q;
  q.target = target;
  q.a.none = true;
  q.limit = store::kMaxQueryLimit;
  return msgids(history(s, q));
}

}  // namespace

TEST_CASE("store: max_age removes lines older than the edge and keeps those inside") {
  STORE_FIXTURE(f);
  auto o = f.options();
  o.max_age = 1h;
  auto s = f.open(o);
  const std::int64_t edge = now_ms() - std::chrono::milliseconds(1h).count();
  // A minute either side of now - max_age: the pass runs a little after
  // `edge` was computed, never a minute after. Exactly at the edge a line
  // stays (older than max_age goes; max_age old does not).
  s->append(make_line("#a", "old1", edge - 60'000));
  s->append(make_line("#b", "old2", edge - 3'600'000));
  s->append(make_line("#a", "old3", 0));
  s->append(make_line("#a", "inside", edge + 60'000));
  s->append(make_line("#b", "new", now_ms()));
  CHECK(expire(*s) == 3);
  CHECK(all(*s, "#a") == std::vector<std::string>{"inside"});
  CHECK(all(*s, "#b") == std::vector<std::string>{"new"});
  CHECK(expire(*s) == 0);
}

TEST_CASE("store: max_per_target keeps exactly the newest N of each target") {
  STORE_FIXTURE(f);
  auto o = f.options();
  o.max_per_target = 5;
  auto s = f.open(o);
  for (int i = 0; i < 5; ++i) s->append(make_line("#five", "f" + std::to_string(i), i));
  for (int i = 0; i < 6; ++i) s->append(make_line("#six", "s" + std::to_string(i), i));
  for (int i = 0; i < 20; ++i) s->append(make_line("#many", "m" + std::to_string(i), 100 + i));
  CHECK(expire(*s) == 1 + 15);
  CHECK(all(*s, "#five") == std::vector<std::string>{"f0", "f1", "f2", "f3", "f4"});
  CHECK(all(*s, "#six") == std::vector<std::string>{"s1", "s2", "s3", "s4", "s5"});
  CHECK(all(*s, "#many") == std::vector<std::string>{"m15", "m16", "m17", "m18", "m19"});
  CHECK(expire(*s) == 0);
  // Ties in time: the insertion order decides which is newer.
  for (int i = 0; i < 7; ++i) s->append(make_line("#tie", "t" + std::to_string(i), 42));
  CHECK(expire(*s) == 2);
  CHECK(all(*s, "#tie") == std::vector<std::string>{"t2", "t3", "t4", "t5", "t6"});
}

TEST_CASE("store: the first pass after open trims targets written before it") {
  STORE_FIXTURE(f);
  {
    auto s = f.open();
    for (int i = 0; i < 10; ++i) s->append(make_line("#old", "o" + std::to_string(i), i));
    s->append(make_line(store::private_key("a", "b"), "p", 1));
  }
  auto o = f.options();
  o.max_per_target = 3;
  auto s = f.open(o);
  CHECK(expire(*s) == 7);
  CHECK(all(*s, "#old") == std::vector<std::string>{"o7", "o8", "o9"});
  CHECK(all(*s, store::private_key("a", "b")) == std::vector<std::string>{"p"});
}

TEST_CASE("store: a big expiry goes in chunks and counts every line") {
  STORE_FIXTURE(f);
  auto o = f.options();
  o.max_per_target = 10;
  auto s = f.open(o);
  const int n = static_cast<int>(store::history::kRetentionChunk) * 2 + 500;  // three chunks
  for (int i = 0; i < n; ++i) s->append(make_line("#big", "b" + std::to_string(i), i));
  s->append(make_line("#small", "x", 1));
  CHECK(expire(*s) == static_cast<std::size_t>(n - 10));
  const auto left = all(*s, "#big");
  REQUIRE(left.size() == 10);
  CHECK(left.front() == "b" + std::to_string(n - 10));
  CHECK(all(*s, "#small") == std::vector<std::string>{"x"});
}

TEST_CASE("store: without retention expire_now removes nothing") {
  STORE_FIXTURE(f);
  auto s = f.open();
  s->append(make_line("#a", "x", 0));
  CHECK(expire(*s) == 0);
  CHECK(all(*s, "#a").size() == 1);
}

TEST_CASE("store: retention runs by itself every interval") {
  STORE_FIXTURE(f);
  auto o = f.options();
  o.max_per_target = 2;
  o.retention_interval = 50ms;
  auto s = f.open(o);
  for (int i = 0; i < 5; ++i) s->append(make_line("#auto", "a" + std::to_string(i), i));
  CHECK(eventually([&] { return all(*s, "#auto").size() == 2; }));
}
