// IRC messages (RFC 1459/2812 as read by modern.ircdocs.horse, IRCv3
// message-tags): parsing and serialising one line, splitting long text, and
// framing a byte stream into lines. Pure functions: no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "protocol/errc.hpp"
#include "protocol/limits.hpp"

namespace protocol::irc {

// ---- Messages -----------------------------------------------------------------

struct tag {
  std::string key;
  std::string value;  // unescaped; empty for `key` and `key=` alike
  friend bool operator==(const tag&, const tag&) = default;
};

struct message {
  std::vector<tag> tags;
  std::string source;               // without the leading ':'; empty if none
  std::string command;              // parse_message uppercases letters
  std::vector<std::string> params;  // the trailing parameter is just the last element
  friend bool operator==(const message&, const message&) = default;
};

// Parses one line given WITHOUT its terminator.
//  - Tags: `@k=v;k2 ` before everything; values are unescaped (\: ; \s space,
//    \\ backslash, \r CR, \n LF, an unknown escape drops its backslash, a
//    trailing lone backslash is dropped); a tag without '=' has an empty value;
//    empty entries (`@a;;b`, a key-less `=v`) are skipped.
//  - Spaces: leading spaces before source and command are skipped and runs of
//    spaces separate like one; trailing spaces after the last middle
//    parameter are ignored; a trailing parameter (after " :") is kept verbatim.
//  - Command: letters (uppercased) or exactly three digits.
// Errors, in the order checked: irc_bad_character (NUL, CR or LF anywhere),
// irc_empty_line (nothing but spaces), irc_tags_too_long (tag section with
// its '@' and the following space above kIrcMaxClientTags), irc_line_too_long
// (the rest of the line plus CRLF above kIrcMaxLine), irc_no_command (tags or
// source only), irc_bad_command, irc_too_many_params (above kIrcMaxParams).
tl::expected<message, errc> parse_message(std::string_view line);

// The same parse without copies: every field borrows from `line`, nothing is
// allocated. The command keeps its letter case and the tag section stays
// raw (escaped, without its '@'); parse_message() is this plus copies,
// uppercasing and tag unescaping. Same rules, same errors.
struct message_view {
  std::string_view tags;
  std::string_view source;
  std::string_view command;
  std::array<std::string_view, kIrcMaxParams> param_slots{};
  std::size_t param_count = 0;
  std::span<const std::string_view> params() const noexcept { return {param_slots.data(), param_count}; }
};
tl::expected<message_view, errc> parse_view(std::string_view line);

// The owning form of a parsed view (what parse_message returns for its line).
message to_message(const message_view& v);

// True if `command` is `upper` in any letter case (commands are ASCII).
bool is_command(std::string_view command, std::string_view upper) noexcept;

// True if `s` holds a NUL, CR or LF: what no IRC line may carry.
bool has_forbidden(std::string_view s) noexcept;

// Serialises `m` followed by "\r\n": tags escaped as the inverse of the above
// (`@k=v;k2 `, no '=' for an empty value), the source as `:src `, the command,
// then the parameters, the last one prefixed with ':' iff it is empty,
// contains a space or starts with ':'.
// Preconditions (asserted in debug builds only): no parameter but the last is
// empty, contains a space or starts with ':'; no NUL, CR or LF in the source,
// command or parameters; tag keys are non-empty and free of '=', ';', space,
// NUL, CR and LF; the source has no space; tag values have no NUL.
// Round-trip law: for m meeting these with an uppercase, valid command,
// parse_message(encode_message(m) without its CRLF) == m (within the limits).
std::string encode_message(const message& m);

// ---- Text -----------------------------------------------------------------------

// Splits `text` into consecutive pieces of at most `max_bytes` bytes that
// concatenate back to `text`. A cut never falls inside a UTF-8 sequence (for
// valid UTF-8; invalid input is cut at max_bytes if it must be), and falls
// just after the piece's last space when that space lies in the piece's second
// half. Empty text gives one empty piece. Views point into `text`.
// Precondition: max_bytes >= 4.
std::vector<std::string_view> split_text(std::string_view text, std::size_t max_bytes);

// ---- Framing ----------------------------------------------------------------------

// Incremental line framing over a byte stream. A line ends at LF; one CR right
// before it is removed. A bare CR stays inside the line (parse_message rejects
// it). A line longer than max_line bytes (without terminator) is reported once
// as irc_line_too_long, as soon as that is certain; the rest of it is dropped
// through its LF and the next line decodes normally.
class line_decoder {
 public:
  explicit line_decoder(std::size_t max_line = kIrcMaxClientTags + kIrcMaxLine) noexcept
      : max_line_(max_line) {}

  // Decodes the buffered bytes followed by `bytes`, calling
  // `on_line(tl::expected<std::string_view, errc>) -> bool` for each complete
  // line (empty ones included) or too-long report, until it returns false;
  // whatever was not handed out stays buffered for the next call. With nothing
  // buffered, lines are handed out straight from `bytes` without a copy. Views
  // are valid during the call only; on_line must not call consume().
  template <class OnLine>
  void consume(std::string_view bytes, OnLine&& on_line);

  // Keeps `bytes` for a later consume() without handing anything out (the
  // reader is busy with something else, such as a long reply).
  void hold(std::string_view bytes) { buf_.append(bytes); }

  // Bytes received but not yet handed out (a partial line, or lines left
  // after on_line returned false).
  [[nodiscard]] std::size_t buffered() const noexcept { return buf_.size() - begin_; }
  // Returns the buffer's memory once nothing is pending (idle connections).
  void shrink_if_empty();

 private:
  using result = tl::expected<std::string_view, errc>;

  // Hands out every complete line in data[pos..], advancing pos past each;
  // false if on_line asked to stop.
  template <class OnLine>
  bool deliver_lines(std::string_view data, std::size_t& pos, OnLine& on_line);
  // True if a partial line (no LF yet) is already certain to be too long.
  [[nodiscard]] bool partial_too_long(std::string_view partial) const noexcept;

  std::string buf_;
  std::size_t begin_ = 0;  // first byte of buf_ not yet handed out
  std::size_t max_line_;
  bool discarding_ = false;  // inside a reported overlong line, until its LF
};

template <class OnLine>
bool line_decoder::deliver_lines(std::string_view data, std::size_t& pos, OnLine& on_line) {
  for (;;) {
    const auto lf = data.find('\n', pos);
    if (lf == std::string_view::npos) {
      return true;
    }
    auto line = data.substr(pos, lf - pos);
    pos = lf + 1;
    if (discarding_) {
      discarding_ = false;  // the tail of a line already reported
      continue;
    }
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const bool go = line.size() > max_line_ ? on_line(result(tl::unexpect, errc::irc_line_too_long))
                                            : on_line(result(line));
    if (!go) {
      return false;
    }
  }
}

template <class OnLine>
void line_decoder::consume(std::string_view bytes, OnLine&& on_line) {
  if (buffered() > 0) {
    // Complete the buffered line with bytes up to the first LF only; the rest
    // is then decoded in place.
    const auto lf = bytes.find('\n');
    const auto take = lf == std::string_view::npos ? bytes.size() : lf + 1;
    buf_.append(bytes.data(), take);
    bytes.remove_prefix(take);
    std::size_t pos = begin_;
    const bool go = deliver_lines(std::string_view(buf_), pos, on_line);
    begin_ = pos;
    if (!go) {
      buf_.append(bytes);
      if (begin_ == buf_.size()) {
        buf_.clear();
        begin_ = 0;
      }
      return;
    }
    if (begin_ < buf_.size()) {
      // A partial line remains, so `bytes` is used up.
      if (partial_too_long(std::string_view(buf_).substr(begin_))) {
        buf_.clear();
        begin_ = 0;
        discarding_ = true;
        on_line(result(tl::unexpect, errc::irc_line_too_long));
      } else if (begin_ > 0) {
        buf_.erase(0, begin_);
        begin_ = 0;
      }
      return;
    }
    buf_.clear();
    begin_ = 0;
  }
  // Nothing is buffered here: buf_ starts afresh.
  begin_ = 0;
  std::size_t pos = 0;
  if (!deliver_lines(bytes, pos, on_line)) {
    buf_.assign(bytes.substr(pos));
    return;
  }
  const auto partial = bytes.substr(pos);
  if (partial.empty() || discarding_) {
    return;
  }
  if (partial_too_long(partial)) {
    discarding_ = true;
    on_line(result(tl::unexpect, errc::irc_line_too_long));
    return;
  }
  buf_.assign(partial);
}

}  // namespace protocol::irc
