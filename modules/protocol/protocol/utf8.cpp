#include "protocol/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace protocol {

namespace {

// Eight ASCII bytes at a time: most chat text is ASCII.
bool all_ascii8(const unsigned char* p) noexcept {
  std::uint64_t word = 0;
  std::memcpy(&word, p, sizeof word);
  return (word & 0x8080808080808080ULL) == 0;
}

// The length of the well-formed sequence at p (1 to 4), or 0 if there is none.
std::size_t sequence_length(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned char c = *p;
  if (c < 0x80) {
    return 1;
  }
  std::size_t need = 0;
  unsigned char lo = 0x80;  // allowed range of the second byte
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c == 0xE0) {
    need = 2;
    lo = 0xA0;  // no overlong three-byte forms
  } else if (c == 0xED) {
    need = 2;
    hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xE1 && c <= 0xEF) {
    need = 2;
  } else if (c == 0xF0) {
    need = 3;
    lo = 0x90;  // no overlong four-byte forms
  } else if (c >= 0xF1 && c <= 0xF3) {
    need = 3;
  } else if (c == 0xF4) {
    need = 3;
    hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 or F5..FF as a lead byte
  }
  if (static_cast<std::size_t>(end - p) <= need || p[1] < lo || p[1] > hi) {
    return 0;
  }
  for (std::size_t i = 2; i <= need; ++i) {
    if ((p[i] & 0xC0) != 0x80) {
      return 0;
    }
  }
  return need + 1;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* const end = p + bytes.size();
  while (p < end) {
    if (end - p >= 8 && all_ascii8(p)) {
      p += 8;
      continue;
    }
    const auto n = sequence_length(p, end);
    if (n == 0) {
      return false;
    }
    p += n;
  }
  return true;
}

std::size_t utf8_sequence_length(std::string_view bytes) noexcept {
  if (bytes.empty()) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  return sequence_length(p, p + bytes.size());
}

std::string replace_invalid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* const end = p + bytes.size();
  while (p < end) {
    const auto n = sequence_length(p, end);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++p;
      continue;
    }
    out.append(reinterpret_cast<const char*>(p), n);
    p += n;
  }
  return out;
}

std::size_t utf8_prefix(std::string_view bytes, std::size_t limit) noexcept {
  if (bytes.size() <= limit) {
    return bytes.size();
  }
  std::size_t cut = limit;
  // Step back over continuation bytes to the start of the character at `cut`.
  while (cut > 0 && (static_cast<unsigned char>(bytes[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return cut;
}

}  // namespace protocol
