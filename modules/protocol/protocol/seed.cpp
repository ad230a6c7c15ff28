#include "protocol/seed.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "protocol/chars.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

namespace protocol::seed {

namespace {

// Python's str.strip() with no argument strips these (among non-ASCII ones
// that cannot appear in a 10-byte ASCII header).
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// True if some completion of `prefix` (shorter than a header) could still be a
// valid header: spaces, then '+' or digits, then digits, then spaces.
bool header_prefix_plausible(std::string_view prefix) noexcept {
  enum { lead, sign, digits, trail } state = lead;
  for (const char c : prefix) {
    switch (state) {
      case lead:
        if (is_space(c)) break;
        if (c == '+') {
          state = sign;
          break;
        }
        if (is_digit(c)) {
          state = digits;
          break;
        }
        return false;
      case sign:
        if (is_digit(c)) {
          state = digits;
          break;
        }
        return false;
      case digits:
        if (is_digit(c)) break;
        if (is_space(c)) {
          state = trail;
          break;
        }
        return false;
      case trail:
        if (is_space(c)) break;
        return false;
    }
  }
  return true;
}

}  // namespace

tl::expected<std::size_t, errc> parse_header(std::string_view header, std::size_t max_payload) {
  while (!header.empty() && is_space(header.front())) header.remove_prefix(1);
  while (!header.empty() && is_space(header.back())) header.remove_suffix(1);
  if (!header.empty() && header.front() == '+') header.remove_prefix(1);
  if (header.empty() || !std::all_of(header.begin(), header.end(), is_digit)) {
    return tl::make_unexpected(errc::frame_header_invalid);
  }
  std::size_t length = 0;
  const auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), length);
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && length > max_payload)) {
    return tl::make_unexpected(errc::frame_too_large);
  }
  if (ec != std::errc{} || end != header.data() + header.size()) {
    return tl::make_unexpected(errc::frame_header_invalid);
  }
  return length;
}

tl::expected<std::optional<frame>, errc> decode_frame(std::string_view input, std::size_t max_payload) {
  if (input.size() < kSeedHeaderSize) {
    if (!header_prefix_plausible(input)) {
      return tl::make_unexpected(errc::frame_header_invalid);
    }
    return std::optional<frame>{};
  }
  auto length = parse_header(input.substr(0, kSeedHeaderSize), max_payload);
  if (!length.has_value()) {
    return tl::make_unexpected(length.error());
  }
  if (input.size() - kSeedHeaderSize < *length) {
    return std::optional<frame>{};
  }
  return frame{input.substr(kSeedHeaderSize, *length), kSeedHeaderSize + *length};
}

void append_frame(std::string& out, std::string_view payload) {
  char header[kSeedHeaderSize];
  std::memset(header, ' ', sizeof header);
  // A payload above 10^10 bytes cannot exist here; to_chars cannot fail.
  std::to_chars(header, header + sizeof header, payload.size());
  out.append(header, sizeof header);
  out.append(payload);
}

std::string encode_frame(std::string_view payload) {
  std::string out;
  out.reserve(kSeedHeaderSize + payload.size());
  append_frame(out, payload);
  return out;
}

std::span<char> frame_decoder::prepare(std::size_t n) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0 && buf_.size() - end_ < n) {
    // Slide the unconsumed tail to the front before growing.
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < n) {
    buf_.resize(end_ + n);
  }
  return {buf_.data() + end_, n};
}

void frame_decoder::commit(std::size_t n) {
  end_ = std::min(end_ + n, buf_.size());
}

void frame_decoder::feed(std::string_view bytes) {
  if (bytes.empty()) return;  // (an empty view's data() may be null: no memcpy from it)
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

tl::expected<std::optional<std::string_view>, errc> frame_decoder::next() {
  if (failed_) {
    return tl::make_unexpected(*failed_);
  }
  auto result = decode_frame(std::string_view(buf_).substr(begin_, end_ - begin_), max_payload_);
  if (!result.has_value()) {
    failed_ = result.error();
    return tl::make_unexpected(result.error());
  }
  if (!result->has_value()) {
    return std::optional<std::string_view>{};
  }
  begin_ += (*result)->wire_size;
  return std::optional<std::string_view>{(*result)->payload};
}

void frame_decoder::shrink_if_empty() {
  if (begin_ == end_) {
    std::string().swap(buf_);
    begin_ = end_ = 0;
  }
}

tl::expected<command, errc> parse_command(std::string_view payload) {
  if (payload.empty()) {
    return tl::make_unexpected(errc::empty_message);
  }
  if (!is_valid_utf8(payload)) {
    return tl::make_unexpected(errc::invalid_utf8);
  }
  if (payload == "!who") {
    return who{};
  }
  if (payload == "!logout") {
    return logout{};
  }
  constexpr std::string_view kMsg = "!msg";
  if (payload.starts_with(kMsg) && (payload.size() == kMsg.size() || payload[kMsg.size()] == ' ')) {
    // Like the original's split(' ', 2): user up to the next space, text is the rest.
    auto rest = payload.substr(std::min(payload.size(), kMsg.size() + 1));
    const auto space = rest.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == rest.size()) {
      return tl::make_unexpected(errc::msg_usage);
    }
    return private_message{rest.substr(0, space), rest.substr(space + 1)};
  }
  return say{payload};
}

tl::expected<std::string_view, errc> parse_username(std::string_view payload) {
  if (!is_valid_utf8(payload)) {
    return tl::make_unexpected(errc::invalid_utf8);
  }
  return parse_nick(payload);
}

namespace {

std::string concat(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (auto p : parts) size += p.size();
  std::string out;
  out.reserve(size);
  for (auto p : parts) out.append(p);
  return out;
}

}  // namespace

std::string joined_text(std::string_view name) {
  return concat({name, " has joined the chat!"});
}
std::string left_text(std::string_view name) {
  return concat({name, " has left the chat!"});
}
std::string said_text(std::string_view name, std::string_view text) {
  return concat({name, " > ", text});
}
std::string private_text(std::string_view from, std::string_view text) {
  return concat({"privately ", from, " > ", text});
}
std::string too_many_lines_text(std::size_t limit) {
  return "Error: message has too many lines for IRC users (limit " + std::to_string(limit) + ")";
}
std::string action_text(std::string_view name, std::string_view action) {
  return concat({"* ", name, " ", action});
}
std::string private_action_text(std::string_view from, std::string_view action) {
  return concat({"privately * ", from, " ", action});
}
std::string not_online_text(std::string_view user) {
  return concat({user, " is not online"});
}

std::string who_text(std::span<const std::string_view> others) {
  if (others.empty()) {
    return std::string(kNoOneElse);
  }
  std::string out;
  for (const auto name : others) {
    if (!out.empty()) out += '\n';
    out += "-> ";
    out += name;
  }
  return out;
}

std::string error_text(errc e) {
  if (e == errc::msg_usage) {
    return "Usage: !msg <user> <message>";
  }
  std::string out = concat({"Error: ", describe(e)});
  if (e == errc::frame_too_large) {
    out += " (limit " + std::to_string(kMaxSeedPayload) + " bytes)";
  } else if (e == errc::nick_too_long) {
    out += " (limit " + std::to_string(kMaxNickLength) + " bytes)";
  } else if (e == errc::nick_invalid) {
    out += " (use letters, digits and []\\`_^{|}-, not starting with a digit or -)";
  }
  return out;
}

std::string nick_changed_text(std::string_view old_nick, std::string_view new_nick) {
  return concat({old_nick, " is now known as ", new_nick});
}

std::string killed_text(std::string_view by, std::string_view reason) {
  return concat({"You were disconnected by ", by, ": ", reason});
}

std::string kicked_text(std::string_view by, std::string_view reason) {
  if (reason.empty()) {
    return concat({"You were kicked from the chat by ", by});
  }
  return concat({"You were kicked from the chat by ", by, ": ", reason});
}

std::string name_taken_text(std::string_view name) {
  return concat({"Error: username ", name, " is already taken"});
}

std::string name_registered_text(std::string_view name) {
  return concat({"Error: username ", name, " is registered"});
}

}  // namespace protocol::seed
