#include "protocol/irc_reply.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include "protocol/irc.hpp"
#include "protocol/limits.hpp"
#include "protocol/utf8.hpp"

namespace protocol::irc {

namespace {

// Appends `s` without NUL, CR or LF.
void append_clean(std::string& out, std::string_view s) {
  if (!has_forbidden(s)) {
    out += s;
    return;
  }
  for (const char c : s) {
    if (c != '\0' && c != '\r' && c != '\n') out += c;
  }
}

std::size_t clean_size(std::string_view s) noexcept {
  if (!has_forbidden(s)) return s.size();
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return c != '\0' && c != '\r' && c != '\n'; }));
}

// A middle parameter as one word; see append_line.
void append_middle(std::string& out, std::string_view p) {
  if (!p.empty() && p.front() != ':' && p.find(' ') == std::string_view::npos && !has_forbidden(p)) {
    out += p;  // the usual case: a channel or a nick
    return;
  }
  if (p.empty() || p.front() == ':') out += '*';
  for (const char c : p) {
    if (c == '\0' || c == '\r' || c == '\n') continue;
    out += c == ' ' ? '_' : c;
  }
}

bool needs_colon(std::string_view p) noexcept {
  return p.empty() || p.front() == ':' || p.find(' ') != std::string_view::npos;
}

// Size of "[:source ]command" plus each middle parameter with its space.
std::size_t head_size(const line_head& head, std::span<const std::string_view> middle) noexcept {
  std::size_t n = head.command.size();
  if (!head.source.empty()) n += head.source.size() + 2;
  for (const auto p : middle) n += 1 + std::max<std::size_t>(p.size() + (!p.empty() && p.front() == ':'), 1);
  return n;
}

void append_head(std::string& out, const line_head& head) {
  if (!head.tags.empty()) {
    out += '@';
    append_clean(out, head.tags);
    out += ' ';
  }
  if (!head.source.empty()) {
    out += ':';
    append_clean(out, head.source);
    out += ' ';
  }
  out += head.command;
}

// The pieces append_text_lines makes of one line of text, each given to `f`.
template <class F>
void for_each_piece(std::string_view line, std::size_t room, F&& f) {
  if (line.size() <= room) {
    f(line);
    return;
  }
  for (const auto piece : split_text(line, std::max<std::size_t>(room, 4))) f(piece);
}

// Calls f(line) for each non-empty line of `text` (LF-separated), or once
// with an empty line if there is none.
template <class F>
void for_each_text_line(std::string_view text, F&& f) {
  bool any = false;
  while (!text.empty()) {
    const auto lf = text.find('\n');
    auto line = text.substr(0, lf);
    text.remove_prefix(lf == std::string_view::npos ? text.size() : lf + 1);
    if (clean_size(line) == 0) continue;
    any = true;
    if (!f(line)) return;
  }
  if (!any) f(std::string_view());
}

}  // namespace

// append_line with the last parameter's cleanliness known (`clean`: it
// holds no NUL, CR or LF), so that the hot path scans it once.
std::size_t write_line(std::string& out, const line_head& head, std::span<const std::string_view> params,
                       last_param last, bool clean) {
  const auto middle = params.empty() ? params : params.first(params.size() - 1);
  const std::size_t used = head_size(head, middle);
  out.reserve(out.size() + head.tags.size() + used + 8 + (params.empty() ? 0 : params.back().size()));
  append_head(out, head);
  for (const auto p : middle) {
    out += ' ';
    append_middle(out, p);
  }
  std::size_t written = 0;
  if (!params.empty()) {
    const auto text = params.back();
    const std::size_t room = used + 4 < kIrcMaxLine ? kIrcMaxLine - used - 4 : 0;  // " :" and CRLF
    out += ' ';
    if (last == last_param::trailing || needs_colon(text)) out += ':';
    if (clean && text.size() <= room) {
      out += text;
      written = text.size();
    } else {
      std::string cleaned;
      append_clean(cleaned, text);
      written = cleaned.size() <= room ? cleaned.size() : utf8_prefix(cleaned, room);
      out.append(cleaned, 0, written);
    }
  }
  out += "\r\n";
  return written;
}

std::size_t append_line(std::string& out, const line_head& head, std::span<const std::string_view> params,
                        last_param last) {
  return write_line(out, head, params, last, params.empty() || !has_forbidden(params.back()));
}

std::size_t append_line(std::string& out, const line_head& head,
                        std::initializer_list<std::string_view> params, last_param last) {
  return append_line(out, head, std::span(params.begin(), params.size()), last);
}

std::string encode_line(const line_head& head, std::initializer_list<std::string_view> params,
                        last_param last) {
  std::string out;
  append_line(out, head, params, last);
  return out;
}

void append_numeric(std::string& out, std::string_view server, numeric n, std::string_view target,
                    std::span<const std::string_view> params, last_param last) {
  const auto digits = code(n);
  const std::string_view command(digits.data(), digits.size());
  // The target goes first; a small array avoids a vector per reply.
  std::array<std::string_view, kIrcMaxParams> all{};
  std::size_t count = 0;
  all[count++] = target.empty() ? std::string_view("*") : target;
  for (const auto p : params) {
    if (count == all.size()) break;
    all[count++] = p;
  }
  append_line(out, line_head{{}, server, command}, std::span(all.data(), count), last);
}

void append_numeric(std::string& out, std::string_view server, numeric n, std::string_view target,
                    std::initializer_list<std::string_view> params, last_param last) {
  append_numeric(out, server, n, target, std::span(params.begin(), params.size()), last);
}

std::string encode_numeric(std::string_view server, numeric n, std::string_view target,
                           std::initializer_list<std::string_view> params, last_param last) {
  std::string out;
  append_numeric(out, server, n, target, params, last);
  return out;
}

void append_numeric_list(std::string& out, std::string_view server, numeric n, std::string_view target,
                         std::span<const std::string_view> middle, std::span<const std::string> items) {
  std::array<std::string_view, kIrcMaxParams> params{};
  const std::size_t count = std::min(middle.size(), params.size() - 1);
  std::copy_n(middle.begin(), count, params.begin());
  const auto digits = code(n);
  std::array<std::string_view, kIrcMaxParams> head_params{};
  head_params[0] = target.empty() ? std::string_view("*") : target;
  std::copy_n(middle.begin(), std::min(count, head_params.size() - 1), head_params.begin() + 1);
  const std::size_t room = room_for_last({{}, server, std::string_view(digits.data(), digits.size())},
                                         std::span(head_params.data(), count + 1));
  std::string list;
  auto flush = [&] {
    params[count] = list;
    append_numeric(out, server, n, target, std::span(params.data(), count + 1));
    list.clear();
  };
  for (const auto& item : items) {
    if (!list.empty() && list.size() + 1 + item.size() > room) flush();
    if (!list.empty()) list += ' ';
    list += item;
  }
  if (!list.empty() || items.empty()) flush();
}

std::string closing_link(std::string_view host, std::string_view reason) {
  std::string text = "Closing Link: ";
  text += host;
  text += " (";
  text += reason;
  text += ')';
  return encode_line(line_head{{}, {}, "ERROR"}, {text});
}

std::size_t room_for_last(const line_head& head, std::span<const std::string_view> middle) noexcept {
  const std::size_t used = head_size(head, middle) + 2 + 2;
  return used < kIrcMaxLine ? kIrcMaxLine - used : 0;
}

std::size_t append_text_lines(std::string& out, const line_head& head,
                              std::span<const std::string_view> middle, std::string_view text,
                              std::size_t max_lines) {
  const std::size_t room = room_for_last(head, middle);
  std::array<std::string_view, kIrcMaxParams> params{};
  const std::size_t n = std::min(middle.size(), params.size() - 1);
  std::copy_n(middle.begin(), n, params.begin());
  if (max_lines == 0) return 0;
  // The usual case, text from IRC: one clean line that fits.
  if (!text.empty() && text.size() <= room && !has_forbidden(text)) {
    params[n] = text;
    write_line(out, head, std::span(params.data(), n + 1), last_param::trailing, /*clean=*/true);
    return 1;
  }
  std::size_t lines = 0;
  std::string clean;
  for_each_text_line(text, [&](std::string_view line) {
    if (has_forbidden(line)) {
      clean.clear();
      append_clean(clean, line);
      line = clean;
    }
    for_each_piece(line, room, [&](std::string_view piece) {
      if (lines == max_lines) return;
      params[n] = piece;
      write_line(out, head, std::span(params.data(), n + 1), last_param::trailing, /*clean=*/true);
      ++lines;
    });
    return lines < max_lines;
  });
  return lines;
}

std::size_t count_text_lines(std::string_view text, std::size_t room, std::size_t max_lines) {
  std::size_t lines = 0;
  std::string clean;
  for_each_text_line(text, [&](std::string_view line) {
    if (has_forbidden(line)) {
      clean.clear();
      append_clean(clean, line);
      line = clean;
    }
    for_each_piece(line, room, [&](std::string_view) {
      if (lines < max_lines) ++lines;
    });
    return lines < max_lines;
  });
  return lines;
}

void append_tag(std::string& section, std::string_view key, std::string_view value) {
  if (!section.empty()) section += ';';
  section += key;
  if (value.empty()) return;
  section += '=';
  for (const char c : value) {
    switch (c) {
      case ';':
        section += "\\:";
        break;
      case ' ':
        section += "\\s";
        break;
      case '\\':
        section += "\\\\";
        break;
      case '\r':
        section += "\\r";
        break;
      case '\n':
        section += "\\n";
        break;
      case '\0':
        break;  // no escape exists, and no line may carry it
      default:
        section += c;
        break;
    }
  }
}

std::string format_server_time(std::chrono::system_clock::time_point at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf.data(), n);
  const auto frac = static_cast<int>(ms % 1000);
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
  out += 'Z';
  return out;
}

namespace {

// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_server_time(std::string_view t) noexcept {
  // YYYY-MM-DDThh:mm:ss[.fff...]Z
  if (t.size() < 20 || t.back() != 'Z') return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n) -> int {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  if (t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':') return std::nullopt;
  const int year = num(0, 4);
  const int month = num(5, 2);
  const int day = num(8, 2);
  const int hour = num(11, 2);
  const int minute = num(14, 2);
  const int second = num(17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  int millis = 0;
  const std::string_view rest = t.substr(19, t.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 10) return std::nullopt;
    for (std::size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] < '0' || rest[i] > '9') return std::nullopt;
      if (i <= 3) millis = millis * 10 + (rest[i] - '0');
    }
    for (std::size_t i = rest.size(); i <= 3; ++i) millis *= 10;
  }
  const auto days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute) * std::int64_t{60'000} + second * std::int64_t{1000} + millis;
}

}  // namespace protocol::irc
