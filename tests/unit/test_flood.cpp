// Flood control's token bucket, at its edges: exactly `burst` commands run at
// once, the next one waits 1/rate, and a rate of 0 turns it off.
#include <chrono>

#include <catch2/catch.hpp>

#include "net/flood.hpp"

using net::token_bucket;
using namespace std::chrono_literals;

TEST_CASE("token_bucket: a burst of exactly `burst` commands runs at once", "[flood]") {
  const auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket bucket(20, 2, t0);
  // A paste of 20 lines: the first 19 leave a token for the next one.
  for (int i = 1; i < 20; ++i) {
    INFO("command " << i);
    CHECK(bucket.spend(t0));
    CHECK(bucket.wait_time(t0) == 0s);
  }
  // The 20th empties the bucket: the 21st must wait 1/rate.
  CHECK_FALSE(bucket.spend(t0));
  CHECK(bucket.wait_time(t0) == 500ms);
  CHECK(bucket.wait_time(t0 + 250ms) == 250ms);
  CHECK(bucket.wait_time(t0 + 500ms) == 0s);
}

TEST_CASE("token_bucket: after the burst, commands flow at `rate` per second", "[flood]") {
  const auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket bucket(5, 10, t0);
  auto now = t0;
  for (int i = 0; i < 5; ++i) bucket.spend(now);
  // One command per 100 ms from here on, however many are waiting.
  for (int i = 0; i < 100; ++i) {
    const auto wait = bucket.wait_time(now);
    CHECK(wait > 99ms);
    CHECK(wait <= 100ms);
    now += wait;
    CHECK(bucket.wait_time(now) == 0s);
    CHECK_FALSE(bucket.spend(now));
  }
  CHECK(now - t0 >= 9900ms);
}

TEST_CASE("token_bucket: idle time refills the bucket up to the burst only", "[flood]") {
  const auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket bucket(3, 1, t0);
  for (int i = 0; i < 3; ++i) bucket.spend(t0);
  // An hour idle earns 3 tokens, not 3600.
  const auto later = t0 + 1h;
  CHECK(bucket.spend(later));
  CHECK(bucket.spend(later));
  CHECK_FALSE(bucket.spend(later));
}

TEST_CASE("token_bucket: a rate of 0 turns flood control off", "[flood]") {
  const auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket bucket(1, 0, t0);
  CHECK_FALSE(bucket.enabled());
  for (int i = 0; i < 10000; ++i) REQUIRE(bucket.spend(t0));
  CHECK(bucket.wait_time(t0) == 0s);
}
