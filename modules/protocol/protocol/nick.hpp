// Nicks, shared by both front doors: one namespace for seed usernames and IRC
// nicks. The alphabet is RFC 2812's, so every seed user is a valid IRC nick.
#pragma once

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

}  // namespace protocol
