#include "core/text.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cwchar>
#include <string_view>

#include "protocol/chars.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

namespace client {

std::size_t display_width(std::string_view text) {
  std::mbstate_t state{};
  std::size_t columns = 0;
  while (!text.empty()) {
    wchar_t wc = 0;
    const auto n = std::mbrtowc(&wc, text.data(), text.size(), &state);
    if (n == 0 || n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
      state = {};
      ++columns;
      text.remove_prefix(1);
      continue;
    }
    const int w = ::wcwidth(wc);
    columns += w > 0 ? static_cast<std::size_t>(w) : 0;
    text.remove_prefix(n);
  }
  return columns;
}
namespace {

// Decodes one UTF-8 sequence at the front of s: the code point and its
// length, or length 0 if the bytes there are not a valid sequence (the
// protocol module's validation decides).
struct decoded {
  std::uint32_t cp = 0;
  std::size_t length = 0;
};

decoded decode_one(std::string_view s) {
  const auto n = protocol::utf8_sequence_length(s);
  if (n == 0) return {};
  static constexpr unsigned char kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  std::uint32_t cp = static_cast<unsigned char>(s[0]) & kLeadMask[n];
  for (std::size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3Fu);
  return {cp, n};
}

bool is_irc_formatting(unsigned char c) {
  switch (c) {
    case 0x02:  // bold
    case 0x0F:  // reset
    case 0x11:  // monospace
    case 0x16:  // reverse
    case 0x1D:  // italics
    case 0x1E:  // strikethrough
    case 0x1F:  // underline
      return true;
    default:
      return false;
  }
}

using protocol::is_digit;

// Length of the colour arguments after ^C: [N[N][,N[N]]].
std::size_t colour_args(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t n = 0;
    while (n < 2 && i < s.size() && is_digit(s[i])) ++i, ++n;
    return n;
  };
  if (digits() == 0) return 0;
  if (i + 1 < s.size() && s[i] == ',' && is_digit(s[i + 1])) {
    ++i;
    digits();
  }
  return i;
}

// Length of the hex colour arguments after ^D: [RRGGBB[,RRGGBB]].
std::size_t hex_colour_args(std::string_view s) {
  auto six = [&](std::size_t at) {
    if (s.size() < at + 6) return false;
    for (std::size_t k = 0; k < 6; ++k)
      if (!protocol::is_hex_digit(s[at + k])) return false;
    return true;
  };
  if (!six(0)) return 0;
  if (s.size() > 6 && s[6] == ',' && six(7)) return 13;
  return 6;
}

void append_code_point(std::string& out, std::uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "<U+%04X>", static_cast<unsigned>(cp));
  out += buf;
}

}  // namespace

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto c = static_cast<unsigned char>(text.front());
    if (c == 0x03) {
      text.remove_prefix(1 + colour_args(text.substr(1)));
      continue;
    }
    if (c == 0x04) {
      text.remove_prefix(1 + hex_colour_args(text.substr(1)));
      continue;
    }
    if (is_irc_formatting(c)) {
      text.remove_prefix(1);
      continue;
    }
    if (c == '\t') {
      out += ' ';
      text.remove_prefix(1);
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      out += '^';
      out += static_cast<char>(c ^ 0x40);  // ESC -> '[', DEL -> '?'
      text.remove_prefix(1);
      continue;
    }
    const auto d = decode_one(text);
    if (d.length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      text.remove_prefix(1);
      continue;
    }
    const bool c1 = d.cp >= 0x80 && d.cp <= 0x9F;
    const bool bidi = (d.cp >= 0x202A && d.cp <= 0x202E) || (d.cp >= 0x2066 && d.cp <= 0x2069);
    if (c1 || bidi) {
      append_code_point(out, d.cp);
    } else {
      out.append(text.substr(0, d.length));
    }
    text.remove_prefix(d.length);
  }
  return out;
}

std::string style::nick(std::string_view nick) const {
  auto clean = sanitize(nick);
  if (!colour_) return clean;
  // Six colours that read on dark and light backgrounds alike.
  constexpr std::array<std::string_view, 6> kColours{"31", "32", "33", "34", "35", "36"};
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (const char ch : nick) {
    const auto folded = static_cast<unsigned char>(protocol::to_lower(ch));
    hash = (hash ^ folded) * 16777619u;
  }
  return "\x1b[" + std::string(kColours[hash % kColours.size()]) + "m" + clean + "\x1b[0m";
}

std::string style::dim(std::string_view text) const {
  if (!colour_) return std::string(text);
  return "\x1b[2m" + std::string(text) + "\x1b[0m";
}

std::string style::strong(std::string_view text) const {
  if (!colour_) return std::string(text);
  return "\x1b[1m" + std::string(text) + "\x1b[0m";
}

bool colour_wanted(bool stdout_is_tty, const char* no_color, const char* term) noexcept {
  if (!stdout_is_tty) return false;
  if (no_color != nullptr && no_color[0] != '\0') return false;
  return term == nullptr || std::string_view(term) != "dumb";
}

std::string style::mention(std::string_view text) const {
  if (!colour_) return std::string(text);
  return "\x1b[1;7m" + std::string(text) + "\x1b[0m";
}

bool mentions(std::string_view text, std::string_view nick) {
  if (nick.empty() || text.size() < nick.size()) return false;
  const auto folded = protocol::fold_nick(text);
  const auto wanted = protocol::fold_nick(nick);
  // Letters, digits and the special characters a nick may hold.
  const auto nick_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("-[]\\`^{}|_").find(c) != std::string_view::npos;
  };
  for (auto at = folded.find(wanted); at != std::string::npos; at = folded.find(wanted, at + 1)) {
    const bool starts = at == 0 || !nick_char(folded[at - 1]);
    const auto end = at + wanted.size();
    const bool ends = end == folded.size() || !nick_char(folded[end]);
    if (starts && ends) return true;
  }
  return false;
}

std::optional<std::time_t> parse_server_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS, then an optional .fraction, then Z.
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text.back() != 'Z') {
    return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t len, int& out) {
    const auto* first = text.data() + at;
    if (text.substr(at, len).find_first_not_of("0123456789") != std::string_view::npos) return false;
    const auto [ptr, ec] = std::from_chars(first, first + len, out);
    return ec == std::errc() && ptr == first + len;
  };
  std::tm tm{};
  int year = 0;
  int month = 0;
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, tm.tm_mday) ||
      !number(11, 2, tm.tm_hour) || !number(14, 2, tm.tm_min) || !number(17, 2, tm.tm_sec)) {
    return std::nullopt;
  }
  const auto rest = text.substr(19, text.size() - 20);  // between the seconds and the Z
  if (!rest.empty() && (rest.size() < 2 || rest[0] != '.' ||
                        rest.substr(1).find_first_not_of("0123456789") != std::string_view::npos)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  const auto t = ::timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return t;
}

std::string clock_prefix(std::time_t when, std::time_t now) {
  std::tm local{};
  std::tm today{};
  ::localtime_r(&when, &local);
  ::localtime_r(&now, &today);
  const bool same_day =
      local.tm_year == today.tm_year && local.tm_mon == today.tm_mon && local.tm_mday == today.tm_mday;
  std::array<char, 32> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), same_day ? "%H:%M:%S " : "%Y-%m-%d %H:%M ", &local);
  return {buf.data(), n};
}

}  // namespace client
