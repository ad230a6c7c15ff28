// Admission at its edges: exactly max_per_address connections from one
// address, exactly max_connections in all, exactly `burst` new connections
// at once and then `rate` per second; releasing a slot admits the next.
#include <chrono>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "net/admission.hpp"

using net::admission;
using net::verdict;
using namespace std::chrono_literals;

namespace {

const auto t0 = admission::clock::time_point{} + 1h;
const auto a = asio::ip::make_address("10.0.0.1");
const auto b = asio::ip::make_address("10.0.0.2");

net::admission_limits no_limits() {
  net::admission_limits lim;
  lim.max_connections = 0;
  lim.max_per_address = 0;
  lim.connect_rate = 0;
  return lim;
}

}  // namespace

TEST_CASE("admission: exactly max_per_address connections from one address", "[admission]") {
  auto lim = no_limits();
  lim.max_per_address = 3;
  auto gate = std::make_shared<admission>(lim);
  std::vector<admission::ticket> held(3);
  for (auto& t : held) REQUIRE(gate->admit(a, t0, t) == verdict::admitted);
  admission::ticket extra;
  CHECK(gate->admit(a, t0, extra) == verdict::address_full);
  // Another address is not affected.
  CHECK(gate->admit(b, t0, extra) == verdict::admitted);
  // A released slot admits the next one.
  held[0].reset();
  admission::ticket again;
  CHECK(gate->admit(a, t0, again) == verdict::admitted);
  CHECK(gate->total() == 4);
}

TEST_CASE("admission: exactly max_connections in all", "[admission]") {
  auto lim = no_limits();
  lim.max_connections = 2;
  auto gate = std::make_shared<admission>(lim);
  admission::ticket t1;
  admission::ticket t2;
  admission::ticket t3;
  REQUIRE(gate->admit(a, t0, t1) == verdict::admitted);
  REQUIRE(gate->admit(b, t0, t2) == verdict::admitted);
  CHECK(gate->admit(asio::ip::make_address("10.0.0.3"), t0, t3) == verdict::server_full);
  {
    const admission::ticket gone = std::move(t1);  // destroyed: released
  }
  CHECK(gate->admit(a, t0, t3) == verdict::admitted);
}

TEST_CASE("admission: a burst of new connections, then `rate` per second per address", "[admission]") {
  auto lim = no_limits();
  lim.connect_burst = 5;
  lim.connect_rate = 2;
  auto gate = std::make_shared<admission>(lim);
  std::vector<admission::ticket> held;
  for (int i = 0; i < 5; ++i) {
    INFO("connection " << i);
    REQUIRE(gate->admit(a, t0, held.emplace_back()) == verdict::admitted);
  }
  admission::ticket t;
  CHECK(gate->admit(a, t0, t) == verdict::too_fast);
  CHECK(gate->admit(a, t0 + 499ms, t) == verdict::too_fast);
  CHECK(gate->admit(a, t0 + 500ms, t) == verdict::admitted);
  // Closing connections does not give back the rate: it counts arrivals.
  held.clear();
  admission::ticket u;
  CHECK(gate->admit(a, t0 + 500ms, u) == verdict::too_fast);
  CHECK(gate->admit(b, t0, u) == verdict::admitted);
}

TEST_CASE("admission: an IPv4-mapped IPv6 address is the IPv4 address", "[admission]") {
  auto lim = no_limits();
  lim.max_per_address = 1;
  auto gate = std::make_shared<admission>(lim);
  admission::ticket t1;
  admission::ticket t2;
  REQUIRE(gate->admit(a, t0, t1) == verdict::admitted);
  CHECK(gate->admit(asio::ip::make_address("::ffff:10.0.0.1"), t0, t2) == verdict::address_full);
}

TEST_CASE("admission: idle addresses are forgotten, so the table stays small", "[admission]") {
  auto lim = no_limits();
  lim.connect_burst = 10;
  lim.connect_rate = 10;
  auto gate = std::make_shared<admission>(lim);
  for (unsigned i = 0; i < 3000; ++i) {
    admission::ticket t;  // connects and leaves at once
    const auto addr = asio::ip::make_address_v4(0x0A000000u + i);
    REQUIRE(gate->admit(addr, t0, t) == verdict::admitted);
  }
  // A second later every bucket is full again and the next sweep drops them.
  for (unsigned i = 0; i < 1100; ++i) {
    admission::ticket t;
    REQUIRE(gate->admit(b, t0 + 2s + std::chrono::milliseconds(i * 100), t) == verdict::admitted);
  }
  CHECK(gate->tracked_addresses() <= 2);
  CHECK(gate->total() == 0);
}
