#include "door/log.hpp"

#include <fmt/format.h>

namespace door {

std::string sample(std::string_view bytes, std::size_t max) {
  std::string out = "\"";
  for (const char c : bytes.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '"' && c != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  out += bytes.size() > max ? "\"..." : "\"";
  return out;
}

}  // namespace door
