// libFuzzer harness for names and text predicates: parse_nick, fold_nick,
// parse_room_name, match_mask, is_valid_utf8 and utf8_prefix. Input: one byte
// whose low two bits pick the sub-target and whose high six bits are its
// parameter (a length limit), then the bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "protocol/errc.hpp"
#include "protocol/limits.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

namespace {

using protocol::errc;

bool same_view(std::string_view a, std::string_view b) noexcept {
  return a.data() == b.data() && a.size() == b.size();
}

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
char upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

void check_nick(std::string_view name, std::size_t max_length) {
  for (const auto limit : {protocol::kMaxNickLength, max_length}) {
    const auto r = protocol::parse_nick(name, limit);
    if (r.has_value()) {
      FUZZ_CHECK(same_view(*r, name) && !name.empty() && name.size() <= limit);
    } else {
      FUZZ_CHECK((r.error() == errc::nick_empty) == name.empty());
      FUZZ_CHECK((r.error() == errc::nick_too_long) == (name.size() > limit));
      FUZZ_CHECK(r.error() == errc::nick_empty || r.error() == errc::nick_too_long ||
                 r.error() == errc::nick_invalid);
    }
  }
  const auto folded = protocol::fold_nick(name);
  FUZZ_CHECK(protocol::fold_nick(folded) == folded);
  FUZZ_CHECK(folded.size() == name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    FUZZ_CHECK(folded[i] == lower(name[i]));
  }
  // Folding keeps a nick valid: the key is a nick too.
  FUZZ_CHECK(protocol::parse_nick(name).has_value() == protocol::parse_nick(folded).has_value());
}

void check_room(std::string_view name, std::size_t max_length) {
  const auto r = protocol::parse_room_name(name, max_length);
  if (r.has_value()) {
    FUZZ_CHECK(same_view(*r, name) && name.size() >= 2 && name.size() <= max_length && name.front() == '#');
    FUZZ_CHECK(name.find_first_of(std::string_view(" ,:\a\0\r\n", 7)) == std::string_view::npos);
    FUZZ_CHECK(protocol::is_valid_utf8(name));
  } else if (r.error() == errc::room_name_too_long) {
    FUZZ_CHECK(name.size() > max_length && name.front() == '#');
  } else {
    FUZZ_CHECK(r.error() == errc::room_name_invalid);
  }
}

// Glob matching by dynamic programming: slow, obviously right.
bool reference_match(std::string_view mask, std::string_view text) {
  std::vector<bool> row(text.size() + 1, false);  // mask so far matches text[0, j)
  row[0] = true;
  for (const char m : mask) {
    std::vector<bool> next(text.size() + 1, false);
    bool any = false;
    for (std::size_t j = 0; j <= text.size(); ++j) {
      any = any || row[j];
      if (m == '*') {
        next[j] = any;
      } else if (j > 0) {
        next[j] = row[j - 1] && (m == '?' || lower(m) == lower(text[j - 1]));
      }
    }
    row.swap(next);
  }
  return row[text.size()];
}

void check_mask(std::string_view input) {
  // mask NUL text; without a NUL the input is both.
  const auto nul = input.find('\0');
  const auto mask = input.substr(0, nul);
  const auto text = nul == std::string_view::npos ? input : input.substr(nul + 1);
  const bool matched = protocol::match_mask(mask, text);
  if (mask.size() * text.size() <= 1U << 16) {
    FUZZ_CHECK(matched == reference_match(mask, text));
  }
  FUZZ_CHECK(protocol::match_mask("*", text));
  FUZZ_CHECK(protocol::match_mask(mask, mask) || mask.find_first_of("*?") != std::string_view::npos);
  FUZZ_CHECK(protocol::match_mask(text, text) || text.find_first_of("*?") != std::string_view::npos);
  std::string shouted(text);
  std::transform(shouted.begin(), shouted.end(), shouted.begin(), upper);
  FUZZ_CHECK(protocol::match_mask(mask, shouted) == matched);  // case-insensitive
  FUZZ_CHECK(protocol::match_mask(std::string(mask) + "*", text) || !matched);
}

// RFC 3629 by decoding code points: a second, independent reading.
bool reference_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<std::uint32_t>(static_cast<unsigned char>(s[i]));
    std::size_t len = 1;
    std::uint32_t cp = lead;
    std::uint32_t min = 0;
    if (lead >= 0x80) {
      if ((lead & 0xE0) == 0xC0) {
        len = 2, cp = lead & 0x1F, min = 0x80;
      } else if ((lead & 0xF0) == 0xE0) {
        len = 3, cp = lead & 0x0F, min = 0x800;
      } else if ((lead & 0xF8) == 0xF0) {
        len = 4, cp = lead & 0x07, min = 0x10000;
      } else {
        return false;
      }
    }
    if (s.size() - i < len) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<std::uint32_t>(static_cast<unsigned char>(s[i + k]));
      if ((c & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

bool is_continuation(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

void check_utf8(std::string_view bytes, std::size_t limit) {
  const bool valid = protocol::is_valid_utf8(bytes);
  FUZZ_CHECK(valid == reference_utf8(bytes));
  const auto cut = protocol::utf8_prefix(bytes, limit);
  FUZZ_CHECK(cut <= std::min(limit, bytes.size()));
  if (bytes.size() <= limit) {
    FUZZ_CHECK(cut == bytes.size());
  } else if (valid) {
    // The longest prefix ending on a character boundary.
    FUZZ_CHECK(protocol::is_valid_utf8(bytes.substr(0, cut)));
    FUZZ_CHECK(limit - cut <= 3);
    for (auto j = cut + 1; j <= limit; ++j) {
      FUZZ_CHECK(is_continuation(bytes[j]));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const auto param = static_cast<std::size_t>(data[0] >> 2);  // 0..63
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] & 3) {
    case 0:
      check_nick(rest, param);
      break;
    case 1:
      check_room(rest, param == 0 ? protocol::kMaxRoomNameLength : param);
      break;
    case 2:
      check_mask(rest);
      break;
    default:
      check_utf8(rest, param);
      break;
  }
  return 0;
}
