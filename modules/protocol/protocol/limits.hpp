// Input limits of the wire protocols. Every limit a peer can hit is named here,
// documented in README.md ("Limits"), and tested at its edge.
#pragma once

#include <cstddef>

namespace protocol {

// Seed protocol: every frame starts with a 10-byte ASCII decimal length.
inline constexpr std::size_t kSeedHeaderSize = 10;

// Largest seed payload (bytes after the header) we accept. The original server
// had no cap; a larger frame is answered with an error frame, then a close.
inline constexpr std::size_t kMaxSeedPayload = 8192;

// Longest nick (IRC NICKLEN), also the longest seed username, in bytes.
inline constexpr std::size_t kMaxNickLength = 30;

}  // namespace protocol
