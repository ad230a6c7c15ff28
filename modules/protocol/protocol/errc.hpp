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
  room_name_invalid,     // not '#' and a name without space, comma, colon or control bytes
  room_name_too_long,    // room name longer than kMaxRoomNameLength
  irc_empty_line,        // IRC line of nothing but spaces
  irc_no_command,        // IRC tags or source but no command
  irc_bad_character,     // NUL, CR or LF inside an IRC line
  irc_line_too_long,     // IRC line (tags excluded) above kIrcMaxLine with CRLF
  irc_tags_too_long,     // IRC tag section above kIrcMaxClientTags
  irc_too_many_params,   // more than kIrcMaxParams IRC parameters
  irc_bad_command,       // IRC command neither letters nor three digits
};

// A short, stable, human-readable description (no trailing period).
std::string_view describe(errc e) noexcept;

}  // namespace protocol
