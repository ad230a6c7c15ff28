#include "net/log.hpp"

#include <fmt/format.h>

namespace net {

std::string describe(const tcp::endpoint& ep) {
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace net
