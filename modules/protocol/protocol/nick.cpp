#include "protocol/nick.hpp"

#include <algorithm>
#include <cstdint>

#include "protocol/chars.hpp"
#include "protocol/utf8.hpp"

namespace protocol {

tl::expected<std::string_view, errc> parse_nick(std::string_view name, std::size_t max_length) {
  if (name.empty()) {
    return tl::make_unexpected(errc::nick_empty);
  }
  if (name.size() > max_length) {
    return tl::make_unexpected(errc::nick_too_long);
  }
  if (!is_letter(name.front()) && !is_nick_special(name.front())) {
    return tl::make_unexpected(errc::nick_invalid);
  }
  for (const char c : name.substr(1)) {
    if (!is_letter(c) && !is_digit(c) && !is_nick_special(c) && c != '-') {
      return tl::make_unexpected(errc::nick_invalid);
    }
  }
  return name;
}

bool match_mask(std::string_view mask, std::string_view text) noexcept {
  std::size_t m = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;  // position after the last '*'
  std::size_t resume = 0;                     // where text resumes after that star
  while (t < text.size()) {
    // A star first: a '*' in the text must not be taken for the wildcard.
    if (m < mask.size() && mask[m] == '*') {
      star = ++m;
      resume = t;
    } else if (m < mask.size() && (mask[m] == '?' || to_lower(mask[m]) == to_lower(text[t]))) {
      ++m;
      ++t;
    } else if (star != std::string_view::npos) {
      m = star;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (m < mask.size() && mask[m] == '*') ++m;
  return m == mask.size();
}

tl::expected<std::string_view, errc> parse_room_name(std::string_view name, std::size_t max_length) {
  if (name.size() < 2 || name.front() != '#') {
    return tl::make_unexpected(errc::room_name_invalid);
  }
  if (name.size() > max_length) {
    return tl::make_unexpected(errc::room_name_too_long);
  }
  for (const char c : name) {
    if (c == ' ' || c == ',' || c == ':' || c == '\a' || c == '\0' || c == '\r' || c == '\n') {
      return tl::make_unexpected(errc::room_name_invalid);
    }
  }
  if (!is_valid_utf8(name)) {
    return tl::make_unexpected(errc::room_name_invalid);
  }
  return name;
}

namespace {

constexpr unsigned char fold(char c) noexcept {
  return static_cast<unsigned char>(to_lower(c));
}

}  // namespace

std::string fold_nick(std::string_view nick) {
  std::string folded(nick);
  for (char& c : folded) c = static_cast<char>(fold(c));
  return folded;
}

std::size_t fold_hash::operator()(std::string_view name) const noexcept {
  // FNV-1a over the folded bytes.
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : name) {
    h ^= fold(c);
    h *= 1099511628211ULL;
  }
  return static_cast<std::size_t>(h);
}

bool fold_equal::operator()(std::string_view a, std::string_view b) const noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

bool fold_less::operator()(std::string_view a, std::string_view b) const noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = fold(a[i]);
    const auto y = fold(b[i]);
    if (x != y) return x < y;
  }
  return a.size() < b.size();
}

}  // namespace protocol
