// What the fuzz harnesses share: the oracle check and deterministic
// pseudo-random choices derived from the input.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// An oracle failure aborts, so libFuzzer saves the input and the replay fails.
#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "fuzz oracle failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

namespace fuzz {

// Deterministic "random" numbers derived from the input (xorshift64).
class rng {
 public:
  explicit rng(std::uint64_t seed) noexcept : state_(seed * 0x9E3779B97F4A7C15ULL | 1) {}
  std::uint64_t next() noexcept {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  // A read size: mostly small, sometimes large, now and then zero.
  std::size_t chunk(std::size_t left) noexcept {
    const auto r = next();
    const auto n = r % 8 == 0 ? (r >> 8) % 700 : r % 8 == 1 ? 0 : 1 + (r >> 8) % 13;
    return std::min(static_cast<std::size_t>(n), left);
  }

 private:
  std::uint64_t state_;
};

std::uint64_t hash(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (const char c : s) {
    h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  }
  return h;
}

}  // namespace fuzz
