// Writing IRC lines. Every line the server sends is built here, so that none
// is longer than kIrcMaxLine, none carries NUL, CR or LF, and each parses
// back into the parameters it was meant to have. Pure functions: no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/irc_numeric.hpp"

namespace protocol::irc {

// What comes before the parameters.
struct line_head {
  std::string_view tags;     // the tag section, escaped, without '@'; empty for none
  std::string_view source;   // without the ':'; empty for none
  std::string_view command;  // a command or three digits
};

// How the last parameter is written: always after ':' (the convention for
// human-readable text, which clients expect), or with ':' only where the
// grammar needs it (JOIN #chan, MODE #chan +o nick).
enum class last_param { trailing, plain };

// Appends "[@tags ][:source ]command params...\r\n" to `out`.
//  - NUL, CR and LF are dropped from every field: nothing we relay can end a
//    line early and smuggle in a command.
//  - A middle parameter is kept to one word: spaces become '_', and an empty
//    one or one starting with ':' gets a leading '*'.
//  - The line without its tag section is at most kIrcMaxLine bytes, CRLF
//    included: the last parameter is cut between UTF-8 characters to fit.
// Returns how many bytes of the last parameter were written (its size unless
// cut; 0 without parameters).
std::size_t append_line(std::string& out, const line_head& head, std::span<const std::string_view> params,
                        last_param last = last_param::trailing);
std::size_t append_line(std::string& out, const line_head& head,
                        std::initializer_list<std::string_view> params,
                        last_param last = last_param::trailing);
std::string encode_line(const line_head& head, std::initializer_list<std::string_view> params,
                        last_param last = last_param::trailing);

// A numeric reply: ":server NNN target params... :last\r\n" (an empty
// target is written "*"). Replies whose last parameter is a word (324's
// modes, 341's channel) may ask for `plain`.
void append_numeric(std::string& out, std::string_view server, numeric n, std::string_view target,
                    std::initializer_list<std::string_view> params, last_param last = last_param::trailing);
void append_numeric(std::string& out, std::string_view server, numeric n, std::string_view target,
                    std::span<const std::string_view> params, last_param last = last_param::trailing);
std::string encode_numeric(std::string_view server, numeric n, std::string_view target,
                           std::initializer_list<std::string_view> params,
                           last_param last = last_param::trailing);

// A numeric whose last parameter is a space-separated list (319's channels,
// 353's names, 303's nicks): as many lines as it takes, each within
// kIrcMaxLine, every item whole on one of them. No items: one line with an
// empty list. An item too long for any line is cut.
void append_numeric_list(std::string& out, std::string_view server, numeric n, std::string_view target,
                         std::span<const std::string_view> middle, std::span<const std::string> items);

// "ERROR :Closing Link: <host> (<reason>)\r\n", the last line a server sends
// to a client it disconnects.
std::string closing_link(std::string_view host, std::string_view reason);

// Bytes left for a last parameter after `head` and `middle` (and the " :"
// before it and the CRLF after it), so that a sender can cut its text at
// input to what a relay will carry. 0 if the head alone fills the line.
std::size_t room_for_last(const line_head& head, std::span<const std::string_view> middle) noexcept;

// Text of any origin (the seed protocol allows any UTF-8, newlines included)
// as IRC messages: one per line of `text` (LF ends a line; CR and NUL are
// dropped; empty lines are skipped, but an empty text is one empty message),
// each cut between characters into pieces that fit a line. Appends
// "head middle... :piece" for each piece, at most `max_lines` of them, and
// returns how many it appended.
std::size_t append_text_lines(std::string& out, const line_head& head,
                              std::span<const std::string_view> middle, std::string_view text,
                              std::size_t max_lines);

// How many messages append_text_lines would make of `text` with `room` bytes
// for each piece (at most `max_lines` are counted).
std::size_t count_text_lines(std::string_view text, std::size_t room, std::size_t max_lines);

// Appends `key` and, if not empty, `=value` (escaped) to a tag section,
// with a ';' first unless the section is empty.
void append_tag(std::string& section, std::string_view key, std::string_view value);

// The IRCv3 server-time form of `at`: "2026-12-01T23:21:59.123Z" (UTC, ms).
std::string format_server_time(std::chrono::system_clock::time_point at);

// The inverse, in milliseconds since the epoch: "YYYY-MM-DDThh:mm:ss" with
// an optional fraction (up to milliseconds are kept) and "Z"; nullopt for
// anything else (other offsets, out-of-range fields).
std::optional<std::int64_t> parse_server_time(std::string_view text) noexcept;

}  // namespace protocol::irc
