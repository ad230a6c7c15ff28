// The configuration file: TOML whose keys are the program's long options
// without their dashes. Tables group keys for the reader and are not part of
// them, so `[irc]` then `irc-port = 6667` is `--irc-port 6667`; one table may
// hold named profiles instead (see profile_choice). Pure: the text in, the
// settings or the first problem out, with its file and line.
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
  bool from_profile = false;        // in the chosen profile: overrides the same option outside it
};

// Named profiles (chat-client's [servers.NAME]): the sub-tables of one
// top-level table, of which one is read, its keys after the others. A
// profile may say `default = true`: the one read when none is named, else
// the first in the file. Keys directly in the table (not in a profile) are
// groupings as anywhere else.
struct profile_choice {
  std::string table;  // "servers"; empty: the file has no profiles
  std::string name;   // the profile asked for; empty: the default one
};

// Reads `path`. Every key must be one of `known` (long option names without
// "--"), and appear once in the whole file (once outside the profiles and
// once in the chosen one); values are strings, integers, floats, booleans
// or arrays of them. The problem names the file, line and column, and for
// an unknown key the nearest known one; for an unknown profile, the known
// ones.
tl::expected<std::vector<setting>, std::string> read_config_file(const std::string& path,
                                                                 std::span<const std::string> known,
                                                                 const profile_choice& profiles = {});

// The same for `text`, read from `path` (which only names it in messages).
tl::expected<std::vector<setting>, std::string> parse_config(std::string_view text, std::string_view path,
                                                             std::span<const std::string> known,
                                                             const profile_choice& profiles = {});

// The key of `known` closest to `key` (edit distance), or "" when none is
// close enough to be a likely misspelling.
std::string nearest_key(std::string_view key, std::span<const std::string> known);

}  // namespace config
