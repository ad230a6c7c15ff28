// The Redis backend's own faults, against a real redis-server: Redis not
// there at open, killed while lines are appended, the queue's bound while
// it is down, garbage in its keys, a bad URL, calls after close.
#include <stdlib.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace store_test;

namespace {

// A command to the test's redis-server by redis-cli; its exit status.
int redis_cli(const test::redis_server& r, const std::string& args) {
  const std::string line =
      "redis-cli -h 127.0.0.1 -p " + std::to_string(r.port()) + " " + args + " >/dev/null 2>&1";
  return std::system(line.c_str());
}

store::query latest(const std::string& target) {
  store::query q;
  q.target = target;
  q.a.none = true;
  q.limit = store::kMaxQueryLimit;
  return q;
}

}  // namespace

TEST_CASE("store redis: a node starts while Redis is not there and catches up once it is") {
  fixture f(backend::redis);
  f.redis()->stop();
  auto s = f.open();  // answers, after at most kRedisOpenWait
  CHECK_FALSE(s->snapshot().healthy);
  CHECK_FALSE(s->snapshot().last_error.empty());
  auto a = store::wait<store::account>([&](auto cb) { s->find_account("x", cb); });
  REQUIRE_FALSE(a);
  CHECK(a.error() == store::errc::unavailable);
  for (int i = 0; i < 20; ++i) s->append(make_line("#late", "l" + std::to_string(i), i));
  f.redis()->restart();
  CHECK(eventually([&] { return s->snapshot().committed == 20; }));
  CHECK(s->snapshot().healthy);
  CHECK(msgids(history(*s, latest("#late"))).size() == 20);
}

TEST_CASE("store redis: lines appended while Redis is killed are written once it is back") {
  fixture f(backend::redis);
  auto o = f.options();
  o.retry_interval = std::chrono::milliseconds(50);
  auto s = f.open(o);
  s->append(make_line("#k", "before", 1));
  s->flush();
  REQUIRE(s->snapshot().committed == 1);
  f.redis()->kill();
  for (int i = 0; i < 200; ++i) s->append(make_line("#k", "d" + std::to_string(i), 10 + i));
  s->flush();  // one attempt, which fails
  CHECK(eventually([&] { return !s->snapshot().healthy; }));
  CHECK(s->snapshot().pending == 200);
  CHECK(s->snapshot().dropped == 0);
  f.redis()->restart();  // empty: the test's server keeps nothing on disk
  CHECK(eventually([&] { return s->snapshot().pending == 0; }));
  CHECK(s->snapshot().healthy);
  const auto got = msgids(history(*s, latest("#k")));
  REQUIRE(got.size() == 200);
  CHECK(got.front() == "d0");
  CHECK(got.back() == "d199");
}

TEST_CASE("store redis: past kMaxPendingRows lines are dropped and counted while Redis is down") {
  fixture f(backend::redis);
  f.redis()->stop();
  auto s = f.open();
  for (std::size_t i = 0; i < store::kMaxPendingRows + 10; ++i) s->append(make_line("#q", "", 1));
  const auto st = s->snapshot();
  CHECK(st.queued == store::kMaxPendingRows);
  CHECK(st.dropped == 10);
  CHECK(st.pending == store::kMaxPendingRows);
  s->close();  // Redis never came: what is held is lost, and counted
  CHECK(s->snapshot().dropped == store::kMaxPendingRows + 10);
  CHECK(s->snapshot().pending == 0);
}

TEST_CASE("store redis: garbage in its keys is skipped with a log line and never crashes") {
  log_capture logs;
  fixture f(backend::redis);
  auto& r = *f.redis();
  {
    auto s = f.open();
    s->append(make_line("#g", "good1", 1));
    s->append(make_line("#g", "good2", 2));
    s->flush();
    // A line that is not ours, listed among the others; another target's
    // key of the wrong type; an account and a channel that are garbage.
    REQUIRE(redis_cli(r, "ZADD 'chat:1:store:t:#g:all' 0 8000000000000001ffffffffffffffff") == 0);
    REQUIRE(redis_cli(r, "ZADD 'chat:1:store:t:#g:msg' 0 8000000000000001ffffffffffffffff") == 0);
    REQUIRE(redis_cli(r, "HSET 'chat:1:store:t:#g:lines' 8000000000000001ffffffffffffffff 'garbage'") == 0);
    REQUIRE(redis_cli(r, "SET 'chat:1:store:t:#bad:all' 'not a sorted set'") == 0);
    REQUIRE(redis_cli(r, "HSET 'chat:1:store:acct:eve' name '' iterations 'many'") == 0);
    REQUIRE(redis_cli(r, "HSET 'chat:1:store:channels' '#junk' '9999:x'") == 0);

    CHECK(msgids(history(*s, latest("#g"))) == std::vector<std::string>{"good1", "good2"});
    s->append(make_line("#bad", "b1", 3));
    s->append(make_line("#g", "good3", 4));
    s->flush();
    CHECK(msgids(history(*s, latest("#g"))) == std::vector<std::string>{"good1", "good2", "good3"});
    CHECK(s->snapshot().dropped == 1);  // the #bad line
    auto eve = store::wait<store::account>([&](auto cb) { s->find_account("eve", cb); });
    REQUIRE_FALSE(eve);
    CHECK(eve.error() == store::errc::not_found);
    auto chans = store::wait<std::vector<store::channel>>([&](auto cb) { s->list_channels(cb); });
    REQUIRE(chans);
    CHECK(chans->empty());
    // A read of the wrong-typed key fails, answered, not thrown.
    auto q = latest("#bad");
    q.events = true;  // reads t:#bad:all
    auto bad = try_history(*s, q);
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == store::errc::failed);
  }
  const auto all = logs.all();
  const auto said = [&](const std::string& what) {
    for (const auto& l : all) {
      if (l.find(what) != std::string::npos) return true;
    }
    return false;
  };
  CHECK(said("not readable"));
  CHECK(said("hold something else"));
}

TEST_CASE("store redis: a URL that does not parse is refused at open") {
  store::redis_options o;
  o.url = "http://127.0.0.1:1";
  auto s = store::store::open_redis(o);
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error(), Catch::Contains("Redis URL"));
}

TEST_CASE("store redis: after close every call answers unavailable") {
  fixture f(backend::redis);
  auto s = f.open();
  s->close();
  auto a = store::wait<store::account>([&](auto cb) { s->find_account("x", cb); });
  REQUIRE_FALSE(a);
  CHECK(a.error() == store::errc::unavailable);
  auto h = try_history(*s, latest("#x"));
  REQUIRE_FALSE(h);
  CHECK(h.error() == store::errc::unavailable);
  s->append(make_line("#x", "late", 1));
  CHECK(s->snapshot().dropped == 1);
  CHECK(s->where().find("127.0.0.1") != std::string::npos);
  CHECK(s->file().empty());
}

TEST_CASE("store redis: two nodes on one Redis share accounts and keep a line both saw once") {
  fixture f(backend::redis);
  auto a = f.open();
  auto b = f.open();
  store::account acc;
  acc.name = "Nia";
  acc.created_ms = 3;
  REQUIRE(store::wait<void>([&](auto cb) { a->create_account(acc, cb); }));
  auto seen = store::wait<store::account>([&](auto cb) { b->find_account("nia", cb); });
  REQUIRE(seen);
  CHECK(seen->name == "Nia");
  // Both nodes have members in #both: each records the line, one msgid.
  const auto l = make_line("#both", "same-id", 10, "hello");
  a->append(l);
  b->append(l);
  b->append(make_line("#both", "other", 11));
  a->flush();
  b->flush();
  CHECK(msgids(history(*a, latest("#both"))) == std::vector<std::string>{"same-id", "other"});
  CHECK(msgids(history(*b, latest("#both"))) == std::vector<std::string>{"same-id", "other"});
}
