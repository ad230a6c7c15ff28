// Each front door's number in chat::render_key: the high byte of the keys
// under which it caches rendered events.
#pragma once

#include <cstdint>

namespace door {

inline constexpr std::uint8_t kSeedDoor = 1;
inline constexpr std::uint8_t kIrcDoor = 2;

}  // namespace door
