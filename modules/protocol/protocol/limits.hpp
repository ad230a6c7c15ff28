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

// The longest `nick!user@host` a relayed line can carry: a nick, a user name
// of '~' and up to kMaxNickLength characters, and an address (an IPv6
// address with an IPv4 tail is at most 45 characters).
inline constexpr std::size_t kMaxUserLength = kMaxNickLength + 1;
inline constexpr std::size_t kMaxHostLength = 45;
inline constexpr std::size_t kMaxSourceLength = kMaxNickLength + 1 + kMaxUserLength + 1 + kMaxHostLength;

// Longest server name (--server-name), as a DNS label.
inline constexpr std::size_t kMaxServerNameLength = 63;

// Longest topic (IRC TOPICLEN), kick, part and quit reason (KICKLEN) and away
// message (AWAYLEN). Longer ones are cut between characters, as IRC servers
// do. Chosen so that every line that carries one fits kIrcMaxLine with the
// longest source, channel, nick and server name: a KICK is the longest,
// ":<source> KICK <channel> <nick> :<reason>" = 200 bytes + the reason.
inline constexpr std::size_t kMaxTopicLength = 300;
inline constexpr std::size_t kMaxReasonLength = 300;
inline constexpr std::size_t kMaxAwayLength = 300;

// Longest real name (USER's last parameter), cut between characters beyond:
// a WHO reply (352) carries it after every other field.
inline constexpr std::size_t kMaxRealnameLength = 130;

// Most entries in a room's ban list (IRC MAXLIST=b:100); past it 478
// ERR_BANLISTFULL. Every message from a member who is not an operator or
// voiced is checked against the list, and the list is a reply of its own.
inline constexpr std::size_t kMaxListEntries = 100;

// Most IRC lines one message may become for IRC users. Only text from the
// seed protocol can hold newlines; more lines than this is refused at input
// with an error, so that what one message costs each recipient is bounded.
// An 8192-byte seed message on one line (18 lines of 470 bytes) fits.
inline constexpr std::size_t kMaxLinesPerMessage = 20;

// Most targets of one PRIVMSG, NOTICE or KICK (IRC TARGMAX); NAMES takes
// one. Each target past the first costs a flood token, as a command of its
// own would; targets past the limit get 407 ERR_TOOMANYTARGETS.
inline constexpr std::size_t kMaxTargets = 4;

// Most rooms one user may be in (IRC CHANLIMIT); past it 405 ERR_TOOMANYCHANNELS.
inline constexpr std::size_t kMaxRoomsPerUser = 50;

}  // namespace protocol
