// Flood control: a token bucket per connection. Each command spends one
// token; a connection holds at most `burst` tokens and earns `rate` per
// second. When the tokens run out the connection's next command waits (fake
// lag): nothing is dropped, the client is only slowed. Pure: the caller
// passes the time, so the unit tests need no clock.
#pragma once

#include <algorithm>
#include <chrono>

namespace net {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  // rate <= 0 turns flood control off: spend() always allows more.
  token_bucket(double burst, double rate, clock::time_point now) noexcept
      : burst_(std::max(burst, 1.0)), rate_(rate), tokens_(burst_), at_(now) {}

  [[nodiscard]] bool enabled() const noexcept { return rate_ > 0; }

  // Spends one token for a command just handled; true if the next command may
  // run at once, false if it must wait for wait_time().
  bool spend(clock::time_point now) noexcept {
    if (!enabled()) return true;
    refill(now);
    tokens_ -= 1.0;
    return tokens_ >= 1.0;
  }

  // True once idle long enough to hold a whole burst again.
  [[nodiscard]] bool full(clock::time_point now) const noexcept {
    return !enabled() || tokens_ + seconds(now - at_) * rate_ >= burst_;
  }

  // Spends a token if one is there: for rate-limiting something optional.
  bool allow(clock::time_point now) noexcept {
    if (!enabled()) return true;
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // Time until the next command may run (zero if it may now).
  [[nodiscard]] clock::duration wait_time(clock::time_point now) const noexcept {
    if (!enabled()) return clock::duration::zero();
    const double tokens = std::min(burst_, tokens_ + seconds(now - at_) * rate_);
    if (tokens >= 1.0) return clock::duration::zero();
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>((1.0 - tokens) / rate_));
  }

 private:
  static double seconds(clock::duration d) noexcept { return std::chrono::duration<double>(d).count(); }
  void refill(clock::time_point now) noexcept {
    if (now > at_) {
      tokens_ = std::min(burst_, tokens_ + seconds(now - at_) * rate_);
      at_ = now;
    }
  }

  double burst_;
  double rate_;
  double tokens_;
  clock::time_point at_;
};

}  // namespace net
