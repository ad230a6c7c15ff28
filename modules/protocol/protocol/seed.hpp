// The seed protocol: wire-compatible with the original Python chatroom.
// Framing (10-byte ASCII length + UTF-8 payload), the incremental decoder, the
// commands a client sends, and the exact texts the server answers with.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <tl/expected.hpp>

#include "protocol/errc.hpp"
#include "protocol/limits.hpp"

namespace protocol::seed {

// ---- Framing --------------------------------------------------------------

// Parses a 10-byte header leniently, like the original's int(header.strip()):
// ASCII white space around an optional '+' and decimal digits. Returns the
// payload length, frame_header_invalid, or frame_too_large above max_payload.
tl::expected<std::size_t, errc> parse_header(std::string_view header,
                                             std::size_t max_payload = kMaxSeedPayload);

// One complete frame found at the front of a byte stream.
struct frame {
  std::string_view payload;  // points into the input
  std::size_t wire_size;     // header plus payload: bytes to consume
};

// Decodes the frame at the front of `input`.
//  - value with a frame: complete;
//  - value with nullopt: incomplete, more bytes are needed;
//  - error: the stream is invalid and cannot be resynchronised.
// An invalid header is reported as soon as a byte rules it out, so garbage is
// refused without waiting for ten bytes.
tl::expected<std::optional<frame>, errc> decode_frame(std::string_view input,
                                                      std::size_t max_payload = kMaxSeedPayload);

// Appends header and payload to `out`. The header is the original's
// f'{len:<10}': left-aligned decimal, space-padded.
void append_frame(std::string& out, std::string_view payload);
std::string encode_frame(std::string_view payload);

// Incremental decoder over a byte stream that owns its buffer. Reads land in
// prepare()/commit() (or feed()); next() hands out frames as views that stay
// valid until the next prepare() or feed(). An error is sticky.
class frame_decoder {
 public:
  explicit frame_decoder(std::size_t max_payload = kMaxSeedPayload) : max_payload_(max_payload) {}

  std::span<char> prepare(std::size_t n);
  void commit(std::size_t n);
  void feed(std::string_view bytes);

  tl::expected<std::optional<std::string_view>, errc> next();

  // Decodes the buffered bytes followed by `bytes`, calling
  // `on_frame(payload) -> bool` for each complete frame until it returns
  // false; whatever was not handed out (frames after a false, a trailing
  // partial frame) stays buffered: consume("") resumes with it. With nothing buffered,
  // frames are decoded straight from `bytes` without a copy. Payload views
  // are valid during the call only. Returns the error of an invalid stream.
  template <class OnFrame>
  tl::expected<void, errc> consume(std::string_view bytes, OnFrame&& on_frame);

  // Bytes received but not yet handed out as frames.
  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }
  // Returns the buffer's memory once nothing is pending (idle connections).
  void shrink_if_empty();

 private:
  std::string buf_;
  std::size_t begin_ = 0;  // first byte not yet consumed
  std::size_t end_ = 0;    // one past the last committed byte
  std::size_t max_payload_;
  std::optional<errc> failed_;
};

template <class OnFrame>
tl::expected<void, errc> frame_decoder::consume(std::string_view bytes, OnFrame&& on_frame) {
  if (failed_) {
    return tl::make_unexpected(*failed_);
  }
  if (buffered() == 0) {
    while (!bytes.empty()) {
      auto decoded = decode_frame(bytes, max_payload_);
      if (!decoded.has_value()) {
        failed_ = decoded.error();
        return tl::make_unexpected(decoded.error());
      }
      if (!decoded->has_value()) {
        break;
      }
      const auto payload = (*decoded)->payload;
      bytes.remove_prefix((*decoded)->wire_size);
      if (!on_frame(payload)) {
        break;  // what follows stays buffered for the next call
      }
    }
    if (!bytes.empty()) {
      feed(bytes);
    }
    return {};
  }
  feed(bytes);
  for (;;) {
    auto next_frame = next();
    if (!next_frame.has_value()) {
      return tl::make_unexpected(next_frame.error());
    }
    if (!next_frame->has_value() || !on_frame(**next_frame)) {
      break;
    }
  }
  shrink_if_empty();
  return {};
}

// ---- Commands (client to server) -------------------------------------------

struct say {
  std::string_view text;
};
struct who {};
struct private_message {
  std::string_view to;
  std::string_view text;
};
struct logout {};
using command = std::variant<say, who, private_message, logout>;

// Parses one payload from a logged-in client. Commands match exactly and
// case-sensitively, like the original: `!who`, `!logout`, and `!msg <user>
// <text>` (split at the first two spaces). Errors: invalid_utf8,
// empty_message, msg_usage (`!msg` with no user or no text).
tl::expected<command, errc> parse_command(std::string_view payload);

// Parses the first frame of a connection: the username. Errors: invalid_utf8
// and those of parse_nick.
tl::expected<std::string_view, errc> parse_username(std::string_view payload);

// ---- Texts (server to client), byte-exact with the original ----------------

inline constexpr std::string_view kYouJoined = "You have joined the chat!";
inline constexpr std::string_view kNoOneElse = "No one but you is active";

std::string joined_text(std::string_view name);                          // "<name> has joined the chat!"
std::string left_text(std::string_view name);                            // "<name> has left the chat!"
std::string said_text(std::string_view name, std::string_view text);     // "<name> > <text>"
std::string private_text(std::string_view from, std::string_view text);  // "privately <from> > <text>"
std::string not_online_text(std::string_view user);                      // "<user> is not online"
// An IRC user's emote (/me), which the original had no words for.
std::string action_text(std::string_view name, std::string_view action);  // "* <name> <action>"
std::string private_action_text(std::string_view from,
                                std::string_view action);  // "privately * <from> <action>"
// "-> a\n-> b" for the given names in order, or kNoOneElse when there are none.
std::string who_text(std::span<const std::string_view> others);

// ---- Texts we add where the original crashed or stalled (README lists them) ---

// "Error: <describe(e)>", plus the limit where one applies; for msg_usage
// "Usage: !msg <user> <message>".
std::string error_text(errc e);
// "Error: message has too many lines for IRC users (limit <n>)"
std::string too_many_lines_text(std::size_t limit);
// "Error: username <name> is already taken"
std::string name_taken_text(std::string_view name);
// "Error: username <name> is registered" (log in with "<name> <password>")
std::string name_registered_text(std::string_view name);
// "Error: wrong name or password"
inline constexpr std::string_view kBadLogin = "Error: wrong name or password";
inline constexpr std::string_view kLoginTimeout = "Error: login timed out";
inline constexpr std::string_view kOutboxOverflow = "Error: too much unread data, disconnecting";
inline constexpr std::string_view kServerShutdown = "Server is shutting down";
inline constexpr std::string_view kExcessFlood = "Error: too many messages too fast, disconnecting";

// Texts for what IRC users can do to the shared #lobby room.
// "<old> is now known as <new>"
std::string nick_changed_text(std::string_view old_nick, std::string_view new_nick);
// "You were kicked from the chat by <by>" plus ": <reason>" when there is one.
std::string kicked_text(std::string_view by, std::string_view reason);
// "You were disconnected by <by>: <reason>" (an IRC operator's KILL).
std::string killed_text(std::string_view by, std::string_view reason);
inline constexpr std::string_view kCannotSend =
    "Error: you cannot send to the chat now (moderated or banned)";
inline constexpr std::string_view kBanned = "Error: you are banned from the chat";
inline constexpr std::string_view kInviteOnly = "Error: the chat is invite-only";
inline constexpr std::string_view kNeedsKey = "Error: the chat needs a key, which seed clients cannot send";
inline constexpr std::string_view kChatFull = "Error: the chat is full";

}  // namespace protocol::seed
