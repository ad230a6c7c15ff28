// What of a peer's bytes may go into a log line or an error message: a
// short prefix, non-printable bytes replaced, so that a hostile server
// cannot flood the log or write control characters into it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace redis {

inline constexpr std::size_t kSampleBytes = 64;

inline std::string sample(std::string_view bytes, std::size_t max = kSampleBytes) {
  std::string out;
  const std::size_t n = bytes.size() < max ? bytes.size() : max;
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? bytes[i] : '?');
  }
  if (bytes.size() > max) out += "...";
  return out;
}

}  // namespace redis
