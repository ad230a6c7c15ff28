// Logging helpers: endpoints as text; attacker-controlled bytes only as
// short, printable samples (door::sample).
#pragma once

#include <string>
#include <string_view>

#include "door/log.hpp"
#include "net/asio.hpp"

namespace net {

// "address:port" of an endpoint.
std::string describe(const tcp::endpoint& ep);

using door::sample;

}  // namespace net
