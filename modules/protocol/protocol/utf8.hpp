// UTF-8 well-formedness (RFC 3629): no overlong forms, no surrogates, nothing
// above U+10FFFF, no truncated sequences.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace protocol {

bool is_valid_utf8(std::string_view bytes) noexcept;

// The length (1 to 4) of the well-formed sequence at the front of `bytes`,
// or 0 if none starts there (an invalid or truncated one, or empty input).
std::size_t utf8_sequence_length(std::string_view bytes) noexcept;

// `bytes` with every byte that does not begin a well-formed sequence
// replaced by U+FFFD; valid input comes back unchanged.
std::string replace_invalid_utf8(std::string_view bytes);

// Length of the longest prefix of `bytes`, at most `limit` bytes, that does not
// end inside a multi-byte sequence. Used to cut text without splitting a
// character; assumes `bytes` is valid UTF-8.
std::size_t utf8_prefix(std::string_view bytes, std::size_t limit) noexcept;

// `text` cut to at most `limit` bytes without splitting a character (a
// view into `text`; assumes valid UTF-8, as utf8_prefix does).
inline std::string_view utf8_clip(std::string_view text, std::size_t limit) noexcept {
  return text.size() <= limit ? text : text.substr(0, utf8_prefix(text, limit));
}

}  // namespace protocol
