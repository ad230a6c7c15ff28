// A mutex of 4 bytes for the per-connection locks (outbox, door details),
// where std::mutex takes 40 and thousands of idle connections each hold two.
// Their critical sections are a few pointer moves and are rarely contended.
//
// The three-state futex mutex of Drepper's "Futexes Are Tricky" (mutex2),
// on std::atomic wait/notify: 0 unlocked, 1 locked, 2 locked with waiters.
// Meets Lockable, so std::lock_guard works with it.
#pragma once

#include <atomic>
#include <cstdint>

namespace chat {

class small_mutex {
 public:
  small_mutex() = default;
  small_mutex(const small_mutex&) = delete;
  small_mutex& operator=(const small_mutex&) = delete;

  void lock() noexcept {
    std::uint32_t seen = kUnlocked;
    if (state_.compare_exchange_strong(seen, kLocked, std::memory_order_acquire, std::memory_order_relaxed)) {
      return;
    }
    // Contended: say there are waiters, then sleep until it is released.
    if (seen != kContended) {
      seen = state_.exchange(kContended, std::memory_order_acquire);
    }
    while (seen != kUnlocked) {
      state_.wait(kContended, std::memory_order_relaxed);
      seen = state_.exchange(kContended, std::memory_order_acquire);
    }
  }

  bool try_lock() noexcept {
    std::uint32_t seen = kUnlocked;
    return state_.compare_exchange_strong(seen, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void unlock() noexcept {
    if (state_.exchange(kUnlocked, std::memory_order_release) == kContended) {
      state_.notify_one();
    }
  }

 private:
  static constexpr std::uint32_t kUnlocked = 0;
  static constexpr std::uint32_t kLocked = 1;
  static constexpr std::uint32_t kContended = 2;
  std::atomic<std::uint32_t> state_{kUnlocked};
};

}  // namespace chat
