// Named protocol errors: the error half of every parse result in this module.
#pragma once

#include <string_view>

namespace protocol {

enum class errc {
  frame_header_invalid,  // seed header is not a trimmed, non-negative decimal
  frame_too_large,       // seed payload length above kMaxSeedPayload
  nick_empty,            // nick or username of zero bytes
  nick_too_long,         // nick or username longer than kMaxNickLength
  nick_invalid,          // a character outside the nick alphabet
  invalid_utf8,          // payload is not well-formed UTF-8
  empty_message,         // nothing to send
  msg_usage,             // `!msg` without a user or without text
};

// A short, stable, human-readable description (no trailing period).
std::string_view describe(errc e) noexcept;

}  // namespace protocol
