// The cluster's wire format between nodes, as Redis carries it: a frame is
// a list of binary-safe fields, each a netstring ("5:hello,"), the first
// two being the format version and the message type. Pure and fuzzable: a
// frame from Redis may come from a buggy or older node, so decoding checks
// every length and names what is wrong.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace protocol::cluster {

// The version every frame starts with. A node reads only its own version;
// a frame of another is logged and ignored (see decode_frame).
inline constexpr std::string_view kFrameVersion = "1";

// A frame larger than this is refused by both sides (a chat message is at
// most a few KiB with its tags).
inline constexpr std::size_t kMaxFrameBytes = 64 * 1024;

// Fields per frame at most: a message's client tags are two fields each,
// and a tag section of kIrcMaxClientTags bytes holds up to ~2,000 of them.
inline constexpr std::size_t kMaxFrameFields = 4096;

enum class frame_error {
  too_large,        // more than kMaxFrameBytes
  too_many_fields,  // more than kMaxFrameFields
  bad_length,       // a field's length is not a decimal number, or too long
  truncated,        // a field ends past the frame
  no_comma,         // a field is not followed by its ','
  wrong_version,    // the first field is not kFrameVersion
  no_type,          // fewer than two fields
};

std::string_view describe(frame_error e) noexcept;

// Encodes `fields` after the version. The law: decode_frame(encode_frame(f))
// gives back f with the version in front, for any f within the limits.
std::string encode_frame(const std::vector<std::string_view>& fields);

// The fields of `bytes`, version first. Views into `bytes`.
tl::expected<std::vector<std::string_view>, frame_error> decode_frame(std::string_view bytes);

}  // namespace protocol::cluster
