// WebSocket framing (RFC 6455, section 5) for IRC over WebSocket (IRCv3's
// WebSocket specification): one IRC line per message, without CR LF. Pure:
// a decoder of what a client sends and an encoder of what the server sends,
// with every limit a peer can hit named here and answered with the close
// code RFC 6455 gives for it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "protocol/limits.hpp"

namespace protocol::ws {

// Largest message a client may send: one IRC line with the longest tag
// section we accept (kIrcMaxClientTags + kIrcMaxLine). Larger messages, or
// fragments adding up to more, are refused with 1009 (message too big): the
// IRC door would refuse the line anyway, and the decoder holds no more than
// one such message per connection.
inline constexpr std::size_t kMaxMessage = kIrcMaxClientTags + kIrcMaxLine;

// Control frames (close, ping, pong) carry at most 125 bytes and are never
// fragmented (RFC 6455, 5.5).
inline constexpr std::size_t kMaxControlPayload = 125;

// The longest frame header: 2 bytes, 8 of extended length, 4 of mask.
inline constexpr std::size_t kMaxHeader = 14;

enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close codes (RFC 6455, 7.4.1) the server sends.
enum class close_code : std::uint16_t {
  normal = 1000,
  going_away = 1001,      // the server shuts down
  protocol_error = 1002,  // a frame breaks RFC 6455
  invalid_data = 1007,    // a text message that is not UTF-8
  policy = 1008,          // a message breaks our rules (a line break inside one)
  too_big = 1009,         // above kMaxMessage
};

// Why the decoder gave up: the code and reason to close with.
struct failure {
  close_code code;
  std::string_view reason;  // static text, under kMaxControlPayload - 2
};

// A whole message or a control frame from the client. `payload` is unmasked
// and valid until the next call to next() or feed().
struct frame_event {
  opcode op;  // text or binary (a whole message), close, ping or pong
  std::string_view payload;
  // For close: the peer's code, if it sent one.
  std::optional<std::uint16_t> close_code;
};

// Decodes what a client sends. Feed bytes as they come, then take events
// with next() until it returns an empty optional (more bytes needed). After
// a failure the decoder is spent: close the connection with the code.
class decoder {
 public:
  // Clients must mask their frames (RFC 6455, 5.1); a test of the server's
  // own output may decode unmasked ones.
  explicit decoder(bool require_mask = true, std::size_t max_message = kMaxMessage)
      : require_mask_(require_mask), max_message_(max_message) {}

  void feed(std::string_view bytes);
  tl::expected<std::optional<frame_event>, failure> next();

  // Bytes held: an unfinished frame and an unfinished fragmented message.
  [[nodiscard]] std::size_t buffered() const noexcept { return input_.size() - pos_ + message_.size(); }

 private:
  bool require_mask_;
  std::size_t max_message_;
  std::string input_;  // bytes fed and not yet consumed, from pos_
  std::size_t pos_ = 0;
  // A fragmented message being assembled, and its opcode.
  std::string message_;
  std::optional<opcode> fragmented_;
  bool failed_ = false;
};

// Appends one frame to `out`: final, unmasked (the server's frames) unless
// `mask` is given (a client's).
void encode_frame(std::string& out, opcode op, std::string_view payload,
                  const std::optional<std::array<unsigned char, 4>>& mask = std::nullopt);

// A close frame's payload: the code, then the reason cut to fit.
std::string close_payload(close_code code, std::string_view reason);

// Whether a peer may send `code` in a close frame (RFC 6455, 7.4).
bool is_valid_close_code(std::uint16_t code) noexcept;

}  // namespace protocol::ws
