// Logging helpers for what clients send: attacker-controlled bytes are
// logged only as short, printable samples.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace door {

// At most `max` bytes of `bytes`, quoted, with anything outside printable
// ASCII shown as \xNN, and "..." if cut.
std::string sample(std::string_view bytes, std::size_t max = 32);

}  // namespace door
