// How far apart two names are, to suggest the one a user probably meant
// (a mistyped command, a misspelt configuration key). Pure.
#pragma once

#include <cstddef>
#include <string_view>

namespace protocol {

// The Levenshtein distance: insertions, deletions and substitutions of one
// byte each.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace protocol
