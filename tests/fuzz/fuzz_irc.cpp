// libFuzzer harness for IRC: parse_message, encode_message, split_text and the
// incremental line_decoder. Input: one byte whose low two bits pick the
// sub-target and whose high six bits are its parameter, then the bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "protocol/errc.hpp"
#include "protocol/irc.hpp"
#include "protocol/limits.hpp"
#include "protocol/utf8.hpp"

namespace {

namespace irc = protocol::irc;
using protocol::errc;

bool has_any(std::string_view s, std::string_view chars) noexcept {
  return s.find_first_of(chars) != std::string_view::npos;
}
constexpr std::string_view kForbidden("\0\r\n", 3);
constexpr std::string_view kBadKey("=; \0\r\n", 6);
constexpr std::string_view kBadSource(" \0\r\n", 4);

bool valid_command(std::string_view c) noexcept {
  if (c.size() == 3 && std::all_of(c.begin(), c.end(), [](char x) { return x >= '0' && x <= '9'; })) {
    return true;
  }
  return !c.empty() && std::all_of(c.begin(), c.end(), [](char x) { return x >= 'A' && x <= 'Z'; });
}

// The preconditions of encode_message and its round-trip law (irc.hpp).
bool encodable(const irc::message& m) {
  for (const auto& t : m.tags) {
    if (t.key.empty() || has_any(t.key, kBadKey) || t.value.find('\0') != std::string::npos) {
      return false;
    }
  }
  if (has_any(m.source, kBadSource) || !valid_command(m.command)) {
    return false;
  }
  for (std::size_t i = 0; i < m.params.size(); ++i) {
    const auto& p = m.params[i];
    if (has_any(p, kForbidden)) {
      return false;
    }
    if (i + 1 < m.params.size() && (p.empty() || p.front() == ':' || p.find(' ') != std::string::npos)) {
      return false;
    }
  }
  return m.params.size() <= protocol::kIrcMaxParams;
}

// True if `line` (an encoding without CRLF) respects the parser's limits.
bool within_limits(const irc::message& m, std::string_view line) {
  std::size_t tag_section = 0;
  if (!m.tags.empty()) {
    tag_section = line.find(' ') + 1;  // keys and escaped values have no space
    if (tag_section > protocol::kIrcMaxClientTags) {
      return false;
    }
  }
  return line.size() - tag_section + 2 <= protocol::kIrcMaxLine;
}

// The round-trip law: parse_message(encode_message(m) minus CRLF) == m.
void check_round_trip(const irc::message& m) {
  if (!encodable(m)) {
    return;
  }
  const auto wire = irc::encode_message(m);
  FUZZ_CHECK(wire.size() >= 2 && wire.substr(wire.size() - 2) == "\r\n");
  const std::string_view line(wire.data(), wire.size() - 2);
  FUZZ_CHECK(!has_any(line, kForbidden));
  if (!within_limits(m, line)) {
    return;
  }
  const auto again = irc::parse_message(line);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == m);
}

void check_parse(std::string_view line) {
  const auto m = irc::parse_message(line);
  if (!m.has_value()) {
    const auto e = m.error();
    FUZZ_CHECK(e == errc::irc_bad_character || e == errc::irc_empty_line || e == errc::irc_tags_too_long ||
               e == errc::irc_line_too_long || e == errc::irc_no_command || e == errc::irc_bad_command ||
               e == errc::irc_too_many_params);
    FUZZ_CHECK((e == errc::irc_bad_character) == has_any(line, kForbidden));
    return;
  }
  FUZZ_CHECK(!has_any(line, kForbidden));
  FUZZ_CHECK(valid_command(m->command));
  FUZZ_CHECK(m->params.size() <= protocol::kIrcMaxParams);
  check_round_trip(*m);
}

// What a byte stream frames into: lines (nullopt for a too-long report), then
// the bytes left buffered.
struct framing {
  std::vector<std::optional<std::string>> lines;
  std::size_t buffered = 0;
  friend bool operator==(const framing&, const framing&) = default;
};

void record(framing& f, const tl::expected<std::string_view, errc>& r, std::size_t max_line) {
  if (r.has_value()) {
    FUZZ_CHECK(r->size() <= max_line && r->find('\n') == std::string_view::npos);
    f.lines.emplace_back(std::string(*r));
  } else {
    FUZZ_CHECK(r.error() == errc::irc_line_too_long);
    f.lines.emplace_back(std::nullopt);
  }
}

void check_line_decoder(std::string_view stream, std::size_t max_line) {
  framing whole;
  irc::line_decoder a(max_line);
  a.consume(stream, [&](const tl::expected<std::string_view, errc>& r) {
    record(whole, r, max_line);
    return true;
  });
  whole.buffered = a.buffered();

  // Chunks, with on_line sometimes asking to stop; an empty consume() resumes.
  framing chunked;
  irc::line_decoder b(max_line);
  fuzz::rng r(fuzz::hash(stream) ^ max_line);
  while (!stream.empty()) {
    const auto n = r.chunk(stream.size());
    auto bytes = stream.substr(0, n);
    stream.remove_prefix(n);
    for (bool stopped = true; stopped; bytes = {}) {
      stopped = false;
      b.consume(bytes, [&](const tl::expected<std::string_view, errc>& line) {
        record(chunked, line, max_line);
        stopped = r.next() % 4 == 0;
        return !stopped;
      });
    }
    if (r.next() % 3 == 0) {
      b.shrink_if_empty();
    }
  }
  chunked.buffered = b.buffered();
  FUZZ_CHECK(chunked == whole);

  for (const auto& line : whole.lines) {
    if (line) {
      check_parse(*line);
    }
  }
}

void check_split(std::string_view text, std::size_t max_bytes) {
  const auto pieces = irc::split_text(text, max_bytes);
  FUZZ_CHECK(!pieces.empty());
  const bool valid = protocol::is_valid_utf8(text);
  const char* at = text.data();
  std::size_t total = 0;
  for (const auto piece : pieces) {
    FUZZ_CHECK(piece.data() == at);  // consecutive views into `text`
    FUZZ_CHECK(piece.size() <= max_bytes);
    FUZZ_CHECK(!piece.empty() || text.empty());
    FUZZ_CHECK(!valid || protocol::is_valid_utf8(piece));
    at += piece.size();
    total += piece.size();
  }
  FUZZ_CHECK(total == text.size());
}

// Reads the bytes as a recipe for a message that meets encode_message's
// preconditions, then checks the round-trip law on it.
class reader {
 public:
  explicit reader(std::string_view in) noexcept : in_(in) {}
  unsigned char byte() noexcept {
    if (in_.empty()) {
      return 0;
    }
    const auto c = static_cast<unsigned char>(in_.front());
    in_.remove_prefix(1);
    return c;
  }
  // Up to 63 bytes, without any of `drop`.
  std::string text(std::string_view drop) {
    const auto n = std::min<std::size_t>(byte() % 64, in_.size());
    std::string out;
    for (const char c : in_.substr(0, n)) {
      if (drop.find(c) == std::string_view::npos) out += c;
    }
    in_.remove_prefix(n);
    return out;
  }

 private:
  std::string_view in_;
};

void check_built(std::string_view recipe) {
  reader in(recipe);
  irc::message m;
  for (auto n = in.byte() % 5; n > 0; --n) {
    irc::tag t{in.text(kBadKey), in.text(std::string_view("\0", 1))};
    if (!t.key.empty()) m.tags.push_back(std::move(t));
  }
  m.source = in.text(kBadSource);
  const auto kind = in.byte();
  for (auto n = kind % 3 == 0 ? 3 : 1 + kind % 9; n > 0; --n) {
    const auto c = in.byte();
    m.command += kind % 3 == 0 ? static_cast<char>('0' + c % 10) : static_cast<char>('A' + c % 26);
  }
  for (auto n = in.byte() % (protocol::kIrcMaxParams + 1); n > 0; --n) {
    m.params.push_back(in.text(n == 1 ? kForbidden : kBadSource));
    if (n > 1 && (m.params.back().empty() || m.params.back().front() == ':')) {
      m.params.back().insert(0, "x");
    }
  }
  FUZZ_CHECK(encodable(m));
  check_round_trip(m);
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
      check_parse(rest);
      break;
    case 1:
      // Small limits make overlong lines reachable; 0 picks the default.
      check_line_decoder(rest, param == 0 ? protocol::kIrcMaxClientTags + protocol::kIrcMaxLine : param);
      break;
    case 2:
      check_split(rest, 4 + param);
      break;
    default:
      check_built(rest);
      break;
  }
  return 0;
}
