#include "net/admission.hpp"

namespace net {
namespace {

// 10.0.0.1 arriving on an IPv6 socket as ::ffff:10.0.0.1 is the same client.
asio::ip::address canonical(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

// Sweep the table of addresses every this many admissions.
constexpr std::size_t kSweepEvery = 1024;

}  // namespace

std::string_view describe(verdict v) noexcept {
  switch (v) {
    case verdict::admitted:
      return "admitted";
    case verdict::server_full:
      return "the server is full";
    case verdict::address_full:
      return "too many connections from your address";
    case verdict::too_fast:
      return "connecting too fast, try again later";
  }
  return "refused";
}

verdict admission::admit(asio::ip::address a, clock::time_point now, ticket& out) {
  a = canonical(a);
  const std::lock_guard lock(mutex_);
  if (++admits_since_sweep_ >= kSweepEvery) sweep(now);
  if (limits_.max_connections > 0 && total_ >= limits_.max_connections) return verdict::server_full;
  auto [it, fresh] =
      by_address_.try_emplace(a, entry{0, token_bucket(limits_.connect_burst, limits_.connect_rate, now)});
  auto& e = it->second;
  if (limits_.max_per_address > 0 && e.live >= limits_.max_per_address) return verdict::address_full;
  if (e.bucket.enabled() && e.bucket.wait_time(now) > clock::duration::zero()) return verdict::too_fast;
  e.bucket.spend(now);
  ++e.live;
  ++total_;
  out = ticket(shared_from_this(), a);
  return verdict::admitted;
}

void admission::release(const asio::ip::address& a) {
  const std::lock_guard lock(mutex_);
  --total_;
  if (auto it = by_address_.find(a); it != by_address_.end() && it->second.live > 0) {
    --it->second.live;
  }
}

void admission::sweep(clock::time_point now) {
  admits_since_sweep_ = 0;
  // An address with nothing open and a full bucket again is the same as one
  // never seen: forget it, so the table cannot grow without bound.
  std::erase_if(by_address_, [&](const auto& item) {
    const auto& e = item.second;
    return e.live == 0 && (!e.bucket.enabled() || e.bucket.full(now));
  });
}

std::size_t admission::total() const {
  const std::lock_guard lock(mutex_);
  return total_;
}

std::size_t admission::tracked_addresses() const {
  const std::lock_guard lock(mutex_);
  return by_address_.size();
}

}  // namespace net
