#include "config/cli.hpp"

#include <algorithm>

#include "config/file.hpp"

namespace config {

namespace {

std::vector<std::string> long_names(const CLI::App& app, std::span<const std::string_view> skip) {
  std::vector<std::string> keys;
  for (const auto* opt : app.get_options()) {
    for (const auto& name : opt->get_lnames()) {
      if (std::find(skip.begin(), skip.end(), name) == skip.end()) keys.push_back(name);
    }
  }
  return keys;
}

tl::expected<std::vector<std::string>, std::string> words_of(const setting& s, const CLI::App& app,
                                                             const app_factory& make_app) {
  const auto* opt = app.get_option("--" + s.key);
  std::vector<std::string> words;
  if (opt->get_expected_min() == 0) {  // a flag
    if (!s.boolean) return tl::make_unexpected(s.where + ": '" + s.key + "' is a flag: true or false");
    if (s.values.front() == "true") words.push_back("--" + s.key);
  } else {
    for (const auto& v : s.values) words.push_back("--" + s.key + "=" + v);
  }
  try {
    auto alone = make_app();
    parse(*alone, words);
  } catch (const CLI::ParseError& e) {
    return tl::make_unexpected(s.where + ": " + e.what());
  }
  return words;
}

}  // namespace

void parse(CLI::App& app, const std::vector<std::string>& words) {
  std::vector<std::string> reversed(words.rbegin(), words.rend());
  app.parse(reversed);
}

tl::expected<std::vector<std::string>, std::string> file_words(const std::string& path,
                                                               const std::vector<std::string>& given,
                                                               const app_factory& make_app,
                                                               std::span<const std::string_view> skip,
                                                               const profile_choice& profiles) {
  auto app = make_app();
  try {
    parse(*app, given);  // what the command line set; its errors are the caller's
  } catch (const CLI::ParseError&) {
  }
  const auto keys = long_names(*app, skip);
  auto settings = read_config_file(path, keys, profiles);
  if (!settings) return tl::make_unexpected(settings.error());
  // Per option, in the file's order: the setting that counts and its words.
  struct chosen {
    const CLI::Option* option;
    const setting* from;
    std::vector<std::string> words;
  };
  std::vector<chosen> options;
  for (const auto& s : *settings) {
    const auto* opt = app->get_option("--" + s.key);
    if (opt->count() > 0) continue;  // the command line wins
    auto more = words_of(s, *app, make_app);
    if (!more) return tl::make_unexpected(more.error());
    auto same =
        std::find_if(options.begin(), options.end(), [&](const chosen& c) { return c.option == opt; });
    if (same == options.end()) {
      options.push_back({opt, &s, std::move(*more)});
    } else if (s.from_profile && !same->from->from_profile) {
      *same = {opt, &s, std::move(*more)};  // the profile's, over the defaults
    } else {
      return tl::make_unexpected(s.where + ": '" + s.key + "' sets what '" + same->from->key + "' set at " +
                                 same->from->where);
    }
  }
  std::vector<std::string> words;
  for (auto& c : options) words.insert(words.end(), c.words.begin(), c.words.end());
  return words;
}

}  // namespace config
