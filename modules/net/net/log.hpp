// Logging helpers: attacker-controlled bytes are logged only as short,
// printable samples.
#pragma once

#include <string>
#include <string_view>

#include "net/asio.hpp"

namespace net {

// "address:port" of an endpoint.
std::string describe(const tcp::endpoint& ep);

// At most `max` bytes of `bytes`, quoted, with anything outside printable
// ASCII shown as \xNN, and "..." if cut.
std::string sample(std::string_view bytes, std::size_t max = 32);

}  // namespace net
