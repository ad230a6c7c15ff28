// A configuration file behind CLI11: the command-line words a file stands
// for, so that the file and the command line go through the same parser and
// checks, and the command line wins. Used by chat-server and chat-client.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <tl/expected.hpp>

#include "config/file.hpp"

namespace config {

// Makes a fresh CLI::App with every option of the program (bound to storage
// the pointer keeps alive).
using app_factory = std::function<std::shared_ptr<CLI::App>()>;

// The words ("--irc-port=6667", "--no-seed") that the file at `path` stands
// for, for the options the command line `given` (without the program name)
// did not set. Keys are the apps' long option names, less `skip` (options
// that are about one run, such as --config itself); a flag takes a boolean.
// Each setting is parsed alone first, so that a bad value is reported with
// its file and line; so is every error (config/file.hpp). With `profiles`,
// the chosen profile's settings replace the rest's for the same option
// (whichever of its names they use); two names of one option at the same
// level are an error.
tl::expected<std::vector<std::string>, std::string> file_words(const std::string& path,
                                                               const std::vector<std::string>& given,
                                                               const app_factory& make_app,
                                                               std::span<const std::string_view> skip,
                                                               const profile_choice& profiles = {});

// Parses `words` (without the program name) with `app`; CLI11 takes them
// last first.
void parse(CLI::App& app, const std::vector<std::string>& words);

}  // namespace config
