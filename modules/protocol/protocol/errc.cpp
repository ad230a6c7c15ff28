#include "protocol/errc.hpp"

namespace protocol {

std::string_view describe(errc e) noexcept {
  switch (e) {
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
  }
  return "unknown error";
}

}  // namespace protocol
