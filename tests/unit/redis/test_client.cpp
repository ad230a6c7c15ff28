// redis::client against a real redis-server: commands, pipelining, AUTH,
// SELECT, timeouts, and losing and regaining the server.
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/strand.hpp>
#include <catch2/catch.hpp>

#include "redis/client.hpp"
#include "support.hpp"
#include "support/redis_server.hpp"

using redis::errc;
using redis::result;
using redis::state;
using namespace redis_test;

namespace {

// A started client whose state changes are recorded.
struct fixture {
  explicit fixture(const std::string& url, redis::options o = fast_options(), std::size_t threads = 1)
      : io(threads), c(redis::client::create(io.io(), endpoint_of(url), o)) {
    c->on_state([this](state s) { states.push(s); });
    c->start();
  }
  ~fixture() {
    c->stop();
    drain(*c);
  }

  result cmd(std::vector<std::string> args) { return io.run(c->command(std::move(args))); }

  io_thread io;
  recorder<state> states;
  std::shared_ptr<redis::client> c;
};

// True once redis shows a client blocked in BLPOP (seen through `other`): the
// command was written, not just queued.
bool blocked_in_blpop(fixture& other) {
  return eventually([&] {
    auto r = other.cmd({"CLIENT", "LIST"});
    return r.has_value() && r->as_string().find("cmd=blpop") != std::string_view::npos;
  });
}

}  // namespace

TEST_CASE("client SET and GET round trip", "[client]") {
  test::redis_server server;
  fixture f(server.url());
  REQUIRE(f.states.wait_for(state::up));
  auto set = f.cmd({"SET", "greeting", "hello"});
  REQUIRE(set.has_value());
  CHECK(set->is_ok());
  auto get = f.cmd({"GET", "greeting"});
  REQUIRE(get.has_value());
  CHECK(get->is_string());
  CHECK(get->as_string() == "hello");
  auto missing = f.cmd({"GET", "nothing-here"});
  REQUIRE(missing.has_value());
  CHECK(missing->is_nil());
}

TEST_CASE("client values are binary-safe", "[client]") {
  test::redis_server server;
  fixture f(server.url());
  REQUIRE(f.states.wait_for(state::up));
  const std::string key("k\0\r\n", 4);
  const std::string value = std::string("a\0b\r\nc\r\n\0", 9) + std::string(100000, '\xff');
  REQUIRE(f.cmd({"SET", key, value}).has_value());
  auto get = f.cmd({"GET", key});
  REQUIRE(get.has_value());
  CHECK(get->as_string() == value);
}

TEST_CASE("client pipelines 1000 concurrent commands and answers them in order", "[client]") {
  test::redis_server server;
  fixture f(server.url());
  REQUIRE(f.states.wait_for(state::up));
  constexpr std::size_t kCommands = 1000;
  std::vector<long long> got(kCommands, -1);
  std::atomic<int> failures{0};
  recorder<int> done;
  for (std::size_t i = 0; i < kCommands; ++i) {
    asio::co_spawn(
        f.io.io(),
        [&, i]() -> asio::awaitable<void> {
          // (A named vector: g++ 12 rejects string literals in a braced list
          // inside a coroutine, "array used as initializer".)
          std::vector<std::string> incr{"INCR", "counter"};
          auto r = co_await f.c->command(std::move(incr));
          if (r && r->is_integer()) {
            got[i] = r->integer;
          } else {
            ++failures;
          }
        },
        [&done](const std::exception_ptr&) { done.push(1); });
  }
  REQUIRE(done.wait([](const auto& s) { return s.size() == kCommands; }));
  CHECK(failures == 0);
  // Issued in order on one connection: command i is the (i+1)th INCR.
  for (std::size_t i = 0; i < kCommands; ++i) REQUIRE(got[i] == static_cast<long long>(i) + 1);
}

TEST_CASE("client error reply is a value", "[client]") {
  test::redis_server server;
  fixture f(server.url());
  REQUIRE(f.states.wait_for(state::up));
  REQUIRE(f.cmd({"SET", "text", "abc"}).has_value());
  auto r = f.cmd({"INCR", "text"});
  REQUIRE(r.has_value());
  CHECK(r->is_error());
  CHECK_THAT(std::string(r->as_string()), Catch::StartsWith("ERR"));
  auto unknown = f.cmd({"NO-SUCH-COMMAND"});
  REQUIRE(unknown.has_value());
  CHECK(unknown->is_error());
  // The connection goes on.
  auto ping = f.cmd({"PING"});
  REQUIRE(ping.has_value());
  CHECK(ping->as_string() == "PONG");
}

TEST_CASE("client AUTH with a password and with a user", "[client]") {
  test::redis_server server({"--requirepass", "s3cret"});
  for (const std::string creds : {":s3cret@", "default:s3cret@", "s3cret@"}) {
    INFO(creds);
    fixture f("redis://" + creds + "127.0.0.1:" + std::to_string(server.port()));
    REQUIRE(f.states.wait_for(state::up));
    auto r = f.cmd({"PING"});
    REQUIRE(r.has_value());
    CHECK(r->as_string() == "PONG");
  }
}

TEST_CASE("client wrong password is a clear error", "[client]") {
  test::redis_server server({"--requirepass", "s3cret"});
  fixture f("redis://:wrong@127.0.0.1:" + std::to_string(server.port()));
  // Down until the first attempt has failed; then its reason is in the error.
  result r;
  REQUIRE(eventually([&] {
    r = f.cmd({"PING"});
    return !r.has_value() && r.error().message.find("AUTH") != std::string::npos;
  }));
  CHECK(r.error().code == errc::down);
  CHECK_THAT(r.error().message, Catch::Contains("AUTH refused") && Catch::Contains("WRONGPASS"));
  CHECK_FALSE(f.c->is_up());
}

TEST_CASE("client SELECT db from the URL", "[client]") {
  test::redis_server server;
  fixture db2(server.url("/2"));
  fixture db0(server.url());
  REQUIRE(db2.states.wait_for(state::up));
  REQUIRE(db0.states.wait_for(state::up));
  REQUIRE(db2.cmd({"SET", "where", "two"}).has_value());
  auto in2 = db2.cmd({"GET", "where"});
  REQUIRE(in2.has_value());
  CHECK(in2->as_string() == "two");
  auto in0 = db0.cmd({"GET", "where"});
  REQUIRE(in0.has_value());
  CHECK(in0->is_nil());
  auto info = db2.cmd({"CLIENT", "INFO"});
  REQUIRE(info.has_value());
  CHECK_THAT(std::string(info->as_string()), Catch::Contains(" db=2 "));
}

TEST_CASE("client command with its own timeout", "[client]") {
  test::redis_server server;
  auto o = fast_options();
  o.command_timeout = 200ms;
  fixture f(server.url(), o);
  REQUIRE(f.states.wait_for(state::up));
  // BLPOP blocks 1 s: past the default timeout, within its own.
  auto blocked = f.io.run(f.c->command({"BLPOP", "empty", "1"}, 5000ms));
  REQUIRE(blocked.has_value());
  CHECK(blocked->is_nil());
  auto short_one = f.io.run(f.c->command({"BLPOP", "empty", "1"}, 100ms));
  REQUIRE_FALSE(short_one.has_value());
  CHECK_THAT(short_one.error().message, Catch::Contains("within 100 ms"));
}

TEST_CASE("client SELECT of a database that does not exist is a clear error", "[client]") {
  test::redis_server server;
  fixture f(server.url("/99"));
  result r;
  REQUIRE(eventually([&] {
    r = f.cmd({"PING"});
    return !r.has_value() && r.error().message.find("SELECT refused") != std::string::npos;
  }));
  CHECK(r.error().code == errc::down);
  CHECK_THAT(r.error().message, Catch::Contains("out of range"));
  CHECK(f.states.size() == 0);
}

TEST_CASE("client command timeout and the late reply is dropped", "[client]") {
  test::redis_server server;
  auto o = fast_options();
  o.command_timeout = 300ms;
  fixture f(server.url(), o);
  REQUIRE(f.states.wait_for(state::up));
  auto slow = f.cmd({"BLPOP", "empty-list", "1"});
  REQUIRE_FALSE(slow.has_value());
  CHECK(slow.error().code == errc::timeout);
  CHECK_THAT(slow.error().message, Catch::Contains("BLPOP") && Catch::Contains("300 ms"));
  // Commands behind BLPOP's late reply time out too until it comes (after
  // 1 s); each one that is answered gets its own reply, never BLPOP's nil.
  int attempt = 0;
  bool wrong = false;
  REQUIRE(eventually([&] {
    const auto mine = "mine-" + std::to_string(++attempt);
    auto r = f.cmd({"ECHO", mine});
    if (r.has_value() && r->as_string() != mine) wrong = true;
    return r.has_value();
  }));
  CHECK_FALSE(wrong);
}

TEST_CASE("client redis killed mid-session fails pending commands and comes back", "[client]") {
  test::redis_server server;
  fixture f(server.url());
  REQUIRE(f.states.wait_for(state::up));
  REQUIRE(f.cmd({"SET", "before", "1"}).has_value());

  // A command that would wait forever, then the server dies under it.
  auto pending = asio::co_spawn(f.io.io(), f.c->command({"BLPOP", "never", "0"}), asio::use_future);
  {
    fixture other(server.url());
    REQUIRE(blocked_in_blpop(other));
  }
  server.kill();
  REQUIRE(pending.wait_for(kDeadline) == std::future_status::ready);
  auto lost = pending.get();
  REQUIRE_FALSE(lost.has_value());
  CHECK(lost.error().code == errc::lost);
  REQUIRE(f.states.wait_for(state::down));

  // While down: fails fast instead of queueing.
  auto down = f.cmd({"PING"});
  REQUIRE_FALSE(down.has_value());
  CHECK(down.error().code == errc::down);

  const auto ups = f.states.size();
  server.restart();
  REQUIRE(f.states.wait_for(state::up, ups));
  auto after = f.cmd({"SET", "after", "2"});
  REQUIRE(after.has_value());
  CHECK(after->is_ok());
}

TEST_CASE("client unreachable at start retries and comes up when redis appears", "[client]") {
  test::redis_server server;
  server.stop();
  fixture f(server.url());
  result r;
  REQUIRE(eventually([&] {
    r = f.cmd({"PING"});
    return !r.has_value() && r.error().message.find("cannot connect") != std::string::npos;
  }));
  CHECK(r.error().code == errc::down);
  CHECK_THAT(r.error().message,
             Catch::Contains("127.0.0.1:" + std::to_string(server.port())) && Catch::Contains("refused"));
  // The wait doubles after each failure, up to backoff_max (400 ms here).
  std::set<std::string> waits;
  REQUIRE(eventually([&] {
    auto p = f.cmd({"PING"});
    if (!p.has_value()) {
      const auto& m = p.error().message;
      if (auto at = m.find("retrying in "); at != std::string::npos) waits.insert(m.substr(at));
    }
    return waits.count("retrying in 400 ms)") == 1;
  }));
  CHECK(waits.count("retrying in 100 ms)") + waits.count("retrying in 200 ms)") >= 1);
  server.restart();
  REQUIRE(f.states.wait_for(state::up));
  auto ping = f.cmd({"PING"});
  REQUIRE(ping.has_value());
  CHECK(ping->as_string() == "PONG");
}

TEST_CASE("client stop fails pending commands and is idempotent", "[client]") {
  test::redis_server server;
  fixture f(server.url());
  REQUIRE(f.states.wait_for(state::up));
  auto pending = asio::co_spawn(f.io.io(), f.c->command({"BLPOP", "never", "0"}), asio::use_future);
  {
    fixture other(server.url());
    REQUIRE(blocked_in_blpop(other));
  }
  f.c->stop();
  f.c->stop();
  REQUIRE(pending.wait_for(kDeadline) == std::future_status::ready);
  auto r = pending.get();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::stopped);
  auto after = f.cmd({"PING"});
  REQUIRE_FALSE(after.has_value());
  CHECK(after.error().code == errc::stopped);
  CHECK(f.states.wait_for(state::down));
}

TEST_CASE("client pending queue is bounded", "[client]") {
  test::redis_server server;
  auto o = fast_options();
  o.max_pending = 2;
  fixture f(server.url(), o);
  REQUIRE(f.states.wait_for(state::up));
  auto a = asio::co_spawn(f.io.io(), f.c->command({"BLPOP", "q", "0"}), asio::use_future);
  auto b = asio::co_spawn(f.io.io(), f.c->command({"BLPOP", "q", "0"}), asio::use_future);
  auto third = f.cmd({"PING"});
  REQUIRE_FALSE(third.has_value());
  CHECK(third.error().code == errc::busy);
  f.c->stop();
  CHECK(a.wait_for(kDeadline) == std::future_status::ready);
  CHECK(b.wait_for(kDeadline) == std::future_status::ready);
}

TEST_CASE("client refuses invalid commands", "[client]") {
  test::redis_server server;
  fixture f(server.url());
  REQUIRE(f.states.wait_for(state::up));
  auto empty = f.cmd({});
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().code == errc::invalid);
  auto many = f.cmd(std::vector<std::string>(redis::kMaxArgs + 1, "x"));
  REQUIRE_FALSE(many.has_value());
  CHECK(many.error().code == errc::invalid);
}

TEST_CASE("client reply past max_reply_bytes closes the connection and it comes back", "[client]") {
  test::redis_server server;
  auto o = fast_options();
  o.max_reply_bytes = 1024;
  fixture f(server.url(), o);
  REQUIRE(f.states.wait_for(state::up));
  REQUIRE(f.cmd({"SET", "big", std::string(4096, 'b')}).has_value());
  auto big = f.cmd({"GET", "big"});
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().code == errc::lost);
  CHECK_THAT(big.error().message, Catch::Contains("larger than 1024 bytes"));
  REQUIRE(f.states.wait_for(state::down));
  REQUIRE(eventually([&] { return f.cmd({"SET", "small", "s"}).has_value(); }));
  auto small = f.cmd({"GET", "small"});
  REQUIRE(small.has_value());
  CHECK(small->as_string() == "s");
}

TEST_CASE("client commands from four threads at once", "[client]") {
  test::redis_server server;
  fixture f(server.url(), fast_options(), 4);
  REQUIRE(f.states.wait_for(state::up));
  constexpr std::size_t kCommands = 2000;
  std::mutex m;
  std::set<long long> got;
  recorder<int> done;
  for (std::size_t i = 0; i < kCommands; ++i) {
    // Each caller on its own strand, so that callers really run in parallel.
    asio::co_spawn(
        asio::make_strand(f.io.io()),
        [&]() -> asio::awaitable<void> {
          std::vector<std::string> incr{"INCR", "shared"};
          auto r = co_await f.c->command(std::move(incr));
          std::lock_guard lock(m);
          got.insert(r && r->is_integer() ? r->integer : -1);
        },
        [&done](const std::exception_ptr&) { done.push(1); });
  }
  REQUIRE(done.wait([](const auto& s) { return s.size() == kCommands; }));
  std::lock_guard lock(m);
  CHECK(got.size() == kCommands);
  CHECK(*got.begin() == 1);
  CHECK(*got.rbegin() == static_cast<long long>(kCommands));
}

TEST_CASE("client health check finds a hung server and comes back when it resumes", "[client]") {
  test::redis_server server;
  auto o = fast_options();
  o.health_interval = 200ms;
  o.connect_timeout = 300ms;
  fixture f(server.url(), o);
  REQUIRE(f.states.wait_for(state::up));
  server.pause();
  // Unanswered, then a PING unanswered too: lost after about two intervals,
  // well before the command's own timeout (5 s).
  auto r = f.cmd({"ECHO", "anyone"});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::lost);
  CHECK_THAT(r.error().message, Catch::Contains("no reply to PING"));
  REQUIRE(f.states.wait_for(state::down));
  // Reconnecting: the kernel still accepts into the backlog, but the PING
  // that ends connecting is not answered, so connecting times out.
  redis::result attempt;
  REQUIRE(eventually([&] {
    attempt = f.cmd({"PING"});
    return !attempt.has_value() &&
           attempt.error().message.find("no connection within 300 ms") != std::string::npos;
  }));
  CHECK(attempt.error().code == errc::down);
  CHECK_FALSE(f.c->is_up());
  const auto seen = f.states.size();
  server.resume();
  REQUIRE(f.states.wait_for(state::up, seen));
  auto ping = f.cmd({"PING"});
  REQUIRE(ping.has_value());
  CHECK(ping->as_string() == "PONG");
}

TEST_CASE("client health check keeps an idle connection up", "[client]") {
  test::redis_server server;
  auto o = fast_options();
  o.health_interval = 50ms;
  fixture f(server.url(), o);
  REQUIRE(f.states.wait_for(state::up));
  // Many intervals of idleness: PINGs answered, never down.
  CHECK_FALSE(f.states.wait_for(state::down, 0, 1000ms));
  auto r = f.cmd({"ECHO", "still here"});
  REQUIRE(r.has_value());
  CHECK(r->as_string() == "still here");
}
