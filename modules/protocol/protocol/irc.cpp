#include "protocol/irc.hpp"

#include <algorithm>
#include <cassert>

#include "protocol/chars.hpp"
#include "protocol/irc_reply.hpp"
#include "protocol/utf8.hpp"

namespace protocol::irc {

namespace {

void skip_spaces(std::string_view& s) noexcept {
  const auto n = s.find_first_not_of(' ');
  s.remove_prefix(n == std::string_view::npos ? s.size() : n);
}

// Removes and returns the text up to the next space (or the end).
std::string_view take_word(std::string_view& s) noexcept {
  const auto n = std::min(s.find(' '), s.size());
  const auto word = s.substr(0, n);
  s.remove_prefix(n);
  return word;
}

bool valid_command(std::string_view command) noexcept {
  if (command.size() == 3 && std::all_of(command.begin(), command.end(), is_digit)) {
    return true;
  }
  return !command.empty() && std::all_of(command.begin(), command.end(), is_letter);
}

std::string unescape_value(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const char c = escaped[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == escaped.size()) {
      break;  // a trailing lone backslash is dropped
    }
    switch (escaped[i]) {
      case ':':
        out += ';';
        break;
      case 's':
        out += ' ';
        break;
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      default:  // `\\`, and any unknown escape, stands for the character itself
        out += escaped[i];
        break;
    }
  }
  return out;
}

// `body` is the tag section without its '@'.
std::vector<tag> parse_tags(std::string_view body) {
  std::vector<tag> tags;
  while (!body.empty()) {
    const auto end = std::min(body.find(';'), body.size());
    const auto item = body.substr(0, end);
    body.remove_prefix(std::min(end + 1, body.size()));
    const auto eq = item.find('=');
    const auto key = item.substr(0, eq);
    if (key.empty()) {
      continue;  // `;;` or `=v`: nothing to name, nothing to keep
    }
    tags.push_back(tag{std::string(key),
                       eq == std::string_view::npos ? std::string() : unescape_value(item.substr(eq + 1))});
  }
  return tags;
}

#ifndef NDEBUG
bool needs_colon(std::string_view param) noexcept {
  return param.empty() || param.front() == ':' || param.find(' ') != std::string_view::npos;
}
#endif

}  // namespace

bool has_forbidden(std::string_view s) noexcept {
  // Three vectorised scans beat one loop testing three characters per byte.
  return s.find('\n') != std::string_view::npos || s.find('\r') != std::string_view::npos ||
         s.find('\0') != std::string_view::npos;
}

tl::expected<message_view, errc> parse_view(std::string_view line) {
  if (has_forbidden(line)) {
    return tl::make_unexpected(errc::irc_bad_character);
  }
  if (line.find_first_not_of(' ') == std::string_view::npos) {
    return tl::make_unexpected(errc::irc_empty_line);
  }
  message_view m;
  auto rest = line;
  if (rest.front() == '@') {
    const auto space = std::min(rest.find(' '), rest.size());
    // The tag section counts its '@' and the one space that ends it.
    if (space + 1 > kIrcMaxClientTags) {
      return tl::make_unexpected(errc::irc_tags_too_long);
    }
    m.tags = rest.substr(1, space - 1);
    rest.remove_prefix(std::min(space + 1, rest.size()));
  }
  if (rest.size() + 2 > kIrcMaxLine) {
    return tl::make_unexpected(errc::irc_line_too_long);
  }
  skip_spaces(rest);
  if (!rest.empty() && rest.front() == ':') {
    rest.remove_prefix(1);
    m.source = take_word(rest);
    skip_spaces(rest);
  }
  if (rest.empty()) {
    // Not an empty line (checked above), so there were tags or a source.
    return tl::make_unexpected(errc::irc_no_command);
  }
  m.command = take_word(rest);
  if (!valid_command(m.command)) {
    return tl::make_unexpected(errc::irc_bad_command);
  }
  for (;;) {
    skip_spaces(rest);
    if (rest.empty()) {
      break;
    }
    if (m.param_count == kIrcMaxParams) {
      return tl::make_unexpected(errc::irc_too_many_params);
    }
    if (rest.front() == ':') {
      m.param_slots[m.param_count++] = rest.substr(1);
      break;
    }
    m.param_slots[m.param_count++] = take_word(rest);
  }
  return m;
}

message to_message(const message_view& v) {
  message m;
  m.source.assign(v.source);
  m.command.assign(v.command);
  std::transform(m.command.begin(), m.command.end(), m.command.begin(), to_upper);
  m.params.assign(v.params().begin(), v.params().end());
  m.tags = parse_tags(v.tags);
  return m;
}

tl::expected<message, errc> parse_message(std::string_view line) {
  return parse_view(line).map(to_message);
}

bool is_command(std::string_view command, std::string_view upper) noexcept {
  if (command.size() != upper.size()) return false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    if (to_upper(command[i]) != upper[i]) return false;
  }
  return true;
}

std::string encode_message(const message& m) {
  std::size_t size = m.source.size() + m.command.size() + m.params.size() * 2 + 6;
  for (const auto& t : m.tags) size += t.key.size() + t.value.size() * 2 + 2;
  for (const auto& p : m.params) size += p.size();
  std::string out;
  out.reserve(size);
  if (!m.tags.empty()) {
    std::string section;
    for (const auto& t : m.tags) {
      assert(!t.key.empty() && t.key.find_first_of(std::string_view("=; \0\r\n", 6)) == std::string::npos);
      assert(t.value.find('\0') == std::string::npos);
      append_tag(section, t.key, t.value);
    }
    out += '@';
    out += section;
    out += ' ';
  }
  if (!m.source.empty()) {
    assert(!has_forbidden(m.source) && m.source.find(' ') == std::string::npos);
    out += ':';
    out += m.source;
    out += ' ';
  }
  assert(!has_forbidden(m.command));
  out += m.command;
  for (std::size_t i = 0; i < m.params.size(); ++i) {
    const auto& p = m.params[i];
    assert(!has_forbidden(p));
    out += ' ';
    if (i + 1 == m.params.size()) {
      if (p.empty() || p.front() == ':' || p.find(' ') != std::string::npos) {
        out += ':';
      }
    } else {
      assert(!needs_colon(p));  // only the last parameter may need a ':'
    }
    out += p;
  }
  out += "\r\n";
  return out;
}

std::vector<std::string_view> split_text(std::string_view text, std::size_t max_bytes) {
  assert(max_bytes >= 4);
  std::vector<std::string_view> pieces;
  if (text.size() <= max_bytes) {
    pieces.push_back(text);
    return pieces;
  }
  pieces.reserve(text.size() / max_bytes + 2);
  while (!text.empty()) {
    if (text.size() <= max_bytes) {
      pieces.push_back(text);
      break;
    }
    auto cut = utf8_prefix(text, max_bytes);
    if (cut == 0) {
      cut = max_bytes;  // not valid UTF-8 here: make progress anyway
    }
    const auto space = text.substr(0, cut).rfind(' ');
    if (space != std::string_view::npos && space >= cut / 2) {
      cut = space + 1;
    }
    pieces.push_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  return pieces;
}

bool line_decoder::partial_too_long(std::string_view partial) const noexcept {
  // A final CR may still be the first half of a CRLF, so it does not count yet.
  const auto at_least = partial.size() - (!partial.empty() && partial.back() == '\r' ? 1 : 0);
  return at_least > max_line_;
}

void line_decoder::shrink_if_empty() {
  if (buffered() == 0) {
    std::string().swap(buf_);
    begin_ = 0;
  }
}

}  // namespace protocol::irc
