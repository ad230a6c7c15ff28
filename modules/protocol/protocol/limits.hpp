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

// IRC (RFC 1459/2812, IRCv3 message-tags): the longest line in bytes,
// including CRLF but excluding the tag section.
inline constexpr std::size_t kIrcMaxLine = 512;

// Longest tag section a client may send, in bytes, including the leading '@'
// and the space after it (IRCv3: 4094 bytes of tag data).
inline constexpr std::size_t kIrcMaxClientTags = 4096;

// Most parameters one IRC message may carry (RFC 2812).
inline constexpr std::size_t kIrcMaxParams = 15;

// Longest room (channel) name, '#' included (IRC CHANNELLEN).
inline constexpr std::size_t kMaxRoomNameLength = 50;

// Longest topic, away message, kick or quit reason, real name (IRC TOPICLEN,
// AWAYLEN, KICKLEN). Longer ones are cut between characters, as IRC servers do.
inline constexpr std::size_t kMaxTopicLength = 390;

// Most rooms one user may be in (IRC CHANLIMIT); past it 405 ERR_TOOMANYCHANNELS.
inline constexpr std::size_t kMaxRoomsPerUser = 50;

}  // namespace protocol
