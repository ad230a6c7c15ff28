// The configuration file: TOML whose keys are chat-server's long options
// without their dashes. Tables group keys for the reader and are not part of
// them, so `[irc]` then `irc-port = 6667` is `--irc-port 6667`. Pure: the
// text in, the settings or the first problem out, with its file and line.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace config {

// One key of the file, as command-line words.
struct setting {
  std::string key;                  // "irc-port"
  std::vector<std::string> values;  // "6667"; an array gives several; a boolean "true" or "false"
  bool boolean = false;             // the value was a TOML boolean
  std::string where;                // "chat.toml:3:1", for messages
};

// Reads `path`. Every key must be one of `known` (long option names without
// "--"), and appear once in the whole file; values are strings, integers,
// floats, booleans or arrays of them. The problem names the file, line and
// column, and for an unknown key the nearest known one.
tl::expected<std::vector<setting>, std::string> read_config_file(const std::string& path,
                                                                 std::span<const std::string> known);

// The same for `text`, read from `path` (which only names it in messages).
tl::expected<std::vector<setting>, std::string> parse_config(std::string_view text, std::string_view path,
                                                             std::span<const std::string> known);

// The key of `known` closest to `key` (edit distance), or "" when none is
// close enough to be a likely misspelling.
std::string nearest_key(std::string_view key, std::span<const std::string> known);

}  // namespace config
