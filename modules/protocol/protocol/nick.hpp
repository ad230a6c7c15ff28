// Nicks, shared by both front doors: one namespace for seed usernames and IRC
// nicks. The alphabet is RFC 2812's, so every seed user is a valid IRC nick.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "protocol/errc.hpp"
#include "protocol/limits.hpp"

namespace protocol {

// Accepts `name` if it is 1..max_length bytes, starts with a letter or one of
// `[]\`_^{|}`, and continues with letters, digits, those or `-`. Returns the
// name itself, or nick_empty / nick_too_long / nick_invalid.
tl::expected<std::string_view, errc> parse_nick(std::string_view name,
                                                std::size_t max_length = kMaxNickLength);

// The case-folded key under which a nick is unique (CASEMAPPING=ascii).
std::string fold_nick(std::string_view nick);

// Hashing and ordering under the same folding as fold_nick(), for maps whose
// keys are folded names: a name as the user typed it finds its entry without
// a folded copy first (lookups run for every private and channel message).
struct fold_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view name) const noexcept;
};
struct fold_equal {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};
struct fold_less {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};

// Case-insensitive glob match: `*` matches any run of bytes, `?` one byte.
// Used for ban masks such as `*!*@10.0.0.*`. Linear in practice: it never
// backtracks more than once per star.
bool match_mask(std::string_view mask, std::string_view text) noexcept;

// Accepts a room (channel) name: `#` then 1..max_length-1 bytes with no
// space, comma, colon, BEL, NUL, CR or LF, and valid UTF-8.
tl::expected<std::string_view, errc> parse_room_name(std::string_view name, std::size_t max_length);

}  // namespace protocol
