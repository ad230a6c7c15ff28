#include "chat/event.hpp"

#include <array>
#include <atomic>
#include <random>

namespace chat {

namespace {

constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";

std::uint64_t process_origin() noexcept {
  static const std::uint64_t origin = [] {
    std::random_device rd;
    const auto hi = static_cast<std::uint64_t>(rd());
    const auto lo = static_cast<std::uint64_t>(rd());
    return (hi << 32U) ^ lo;
  }();
  return origin;
}

}  // namespace

std::string message_id::to_string() const {
  // 128 bits, five at a time from the top: 26 digits, the last one holding 3.
  std::string out(26, 'a');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t bit = i * 5;
    unsigned v = 0;
    for (std::size_t b = 0; b < 5; ++b) {
      const std::size_t at = bit + b;
      if (at >= 128) {
        v <<= 1U;
        continue;
      }
      const std::uint64_t word = at < 64 ? origin : serial;
      v = (v << 1U) | static_cast<unsigned>((word >> (63 - at % 64)) & 1U);
    }
    out[i] = kBase32[v];
  }
  return out;
}

message_id next_message_id() noexcept {
  static std::atomic<std::uint64_t> last{0};
  return message_id{process_origin(), last.fetch_add(1, std::memory_order_relaxed) + 1};
}

std::optional<message_id> parse_message_id(std::string_view text) noexcept {
  if (text.size() != 26) return std::nullopt;
  message_id id;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto v = kBase32.find(text[i]);
    if (v == std::string_view::npos) return std::nullopt;
    for (std::size_t b = 0; b < 5; ++b) {
      const std::size_t at = i * 5 + b;
      const bool one = ((v >> (4 - b)) & 1U) != 0;
      if (at >= 128) {
        if (one) return std::nullopt;  // the padding bits are zero
        continue;
      }
      auto& word = at < 64 ? id.origin : id.serial;
      if (one) word |= std::uint64_t{1} << (63 - at % 64);
    }
  }
  return id;
}

}  // namespace chat
