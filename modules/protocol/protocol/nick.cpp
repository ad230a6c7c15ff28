#include "protocol/nick.hpp"

namespace protocol {

namespace {

bool is_letter(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_special(char c) noexcept {
  switch (c) {
    case '[':
    case ']':
    case '\\':
    case '`':
    case '_':
    case '^':
    case '{':
    case '|':
    case '}':
      return true;
    default:
      return false;
  }
}

}  // namespace

tl::expected<std::string_view, errc> parse_nick(std::string_view name, std::size_t max_length) {
  if (name.empty()) {
    return tl::make_unexpected(errc::nick_empty);
  }
  if (name.size() > max_length) {
    return tl::make_unexpected(errc::nick_too_long);
  }
  if (!is_letter(name.front()) && !is_special(name.front())) {
    return tl::make_unexpected(errc::nick_invalid);
  }
  for (const char c : name.substr(1)) {
    if (!is_letter(c) && !is_digit(c) && !is_special(c) && c != '-') {
      return tl::make_unexpected(errc::nick_invalid);
    }
  }
  return name;
}

std::string fold_nick(std::string_view nick) {
  std::string folded(nick);
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return folded;
}

}  // namespace protocol
