#include "protocol/errc.hpp"

namespace protocol {

std::string_view describe(errc e) noexcept {
  switch (e) {
    case errc::room_name_invalid:
      return "invalid room name";
    case errc::room_name_too_long:
      return "room name is too long";
    case errc::frame_header_invalid:
      return "invalid frame header";
    case errc::frame_too_large:
      return "frame too large";
    case errc::nick_empty:
      return "username is empty";
    case errc::nick_too_long:
      return "username is too long";
    case errc::nick_invalid:
      return "username has a character that is not allowed";
    case errc::invalid_utf8:
      return "message is not valid UTF-8";
    case errc::empty_message:
      return "message is empty";
    case errc::msg_usage:
      return "usage: !msg <user> <message>";
    case errc::irc_empty_line:
      return "empty line";
    case errc::irc_no_command:
      return "no command";
    case errc::irc_bad_character:
      return "line contains NUL, CR or LF";
    case errc::irc_line_too_long:
      return "input line too long";
    case errc::irc_tags_too_long:
      return "message tags too long";
    case errc::irc_too_many_params:
      return "too many parameters";
    case errc::irc_bad_command:
      return "invalid command";
  }
  return "unknown error";
}

}  // namespace protocol
