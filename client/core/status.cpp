#include "core/status.hpp"

#include "core/text.hpp"

namespace client {

namespace {

constexpr const char* kSeparator = " | ";

struct segment {
  std::string text;
  bool mention = false;
};

// The status as pieces in order; the mentions apart, to highlight them.
std::vector<segment> segments(const status& s) {
  std::vector<segment> out;
  std::string head;
  const auto add = [&](const std::string& part) {
    if (part.empty()) return;
    head += (head.empty() ? "" : kSeparator) + part;
  };
  add(s.place);
  add(s.nick);
  add(s.server);
  if (s.away) add("away");
  if (s.waiting.empty() && s.more == 0) {
    out.push_back({head});
    return out;
  }
  if (!head.empty()) head += kSeparator;
  out.push_back({head});
  bool first = true;
  for (const auto& p : s.waiting) {
    if (!first) out.push_back({" "});
    first = false;
    out.push_back({std::to_string(p.number) + ":" + p.name + "(" + std::to_string(p.unread) +
                       (p.mention ? "!" : "") + ")",
                   p.mention});
  }
  if (s.more > 0) out.push_back({std::string(first ? "" : " ") + "+" + std::to_string(s.more)});
  return out;
}

// The longest prefix of `text` that takes at most `columns`; `used` gets
// the columns it takes.
std::string_view fit(std::string_view text, std::size_t columns, std::size_t& used) {
  std::size_t end = 0;
  used = 0;
  while (end < text.size()) {
    std::size_t next = end + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    const auto w = display_width(text.substr(end, next - end));
    if (used + w > columns) break;
    used += w;
    end = next;
  }
  return text.substr(0, end);
}

}  // namespace

std::string status_text(const status& s) {
  std::string out;
  for (const auto& seg : segments(s)) out += seg.text;
  return out;
}

std::string render_status(const status& s, std::size_t width, bool colour) {
  const std::string on = colour ? "\x1b[1;33m" : "\x1b[1m";
  const std::string off = colour ? "\x1b[22;39m" : "\x1b[22m";
  std::string out = "\x1b[0;7m";
  if (width == 0) return out + "\x1b[0m";
  // One column of margin on the left, as irssi's.
  std::size_t left = width - 1;
  out += ' ';
  const auto all = segments(s);
  std::size_t total = 0;
  for (const auto& seg : all) total += display_width(seg.text);
  const bool cut = total > left;
  if (cut && left > 0) --left;  // room for the '>'
  for (const auto& seg : all) {
    std::size_t used = 0;
    const auto part = fit(seg.text, left, used);
    if (!part.empty()) out += seg.mention ? on + std::string(part) + off : std::string(part);
    left -= used;
    if (part.size() < seg.text.size()) break;
  }
  if (cut && width > 1) {
    out.append(left, ' ');  // a wide character that did not fit leaves a column
    left = 0;
    out += '>';
  }
  out.append(left, ' ');
  return out + "\x1b[0m";
}

}  // namespace client
