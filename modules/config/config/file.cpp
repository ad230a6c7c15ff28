#include "config/file.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "protocol/spelling.hpp"

namespace config {

namespace {

std::string where(std::string_view path, const toml::source_region& at) {
  return fmt::format("{}:{}:{}", path, at.begin.line, at.begin.column);
}

// One scalar as a command-line word; false if it is none of ours.
bool scalar_word(const toml::node& v, std::string& out) {
  if (const auto* s = v.as_string()) {
    out = s->get();
  } else if (const auto* i = v.as_integer()) {
    out = std::to_string(i->get());
  } else if (const auto* f = v.as_floating_point()) {
    out = fmt::format("{}", f->get());
  } else if (const auto* b = v.as_boolean()) {
    out = b->get() ? "true" : "false";
  } else {
    return false;
  }
  return true;
}

class reader {
 public:
  reader(std::string_view path, std::span<const std::string> known) : path_(path), known_(known) {}

  // Every key under `table`, a grouping whose keys are options (or more
  // groupings). toml++ keeps a table's keys sorted: put them back in the
  // file's order before anything is reported, so that "already set at" and
  // the first error are the ones a reader of the file expects.
  tl::expected<std::vector<setting>, std::string> read(const toml::table& table) && {
    collect(table);
    std::stable_sort(found_.begin(), found_.end(), [](const found& a, const found& b) {
      return std::tie(a.at.begin.line, a.at.begin.column) < std::tie(b.at.begin.line, b.at.begin.column);
    });
    std::vector<setting> settings;
    for (const auto& f : found_) {
      auto s = take(f);
      if (!s) return tl::make_unexpected(s.error());
      settings.push_back(std::move(*s));
    }
    return settings;
  }

 private:
  struct found {
    std::string key;
    toml::source_region at;
    const toml::node* value;
  };

  void collect(const toml::table& table) {
    for (auto&& [key, value] : table) {
      if (const auto* group = value.as_table()) {
        collect(*group);
      } else {
        found_.push_back({std::string(key.str()), key.source(), &value});
      }
    }
  }

  tl::expected<setting, std::string> take(const found& f) {
    const auto& name = f.key;
    const auto& value = *f.value;
    const auto here = where(path_, f.at);
    if (std::find(known_.begin(), known_.end(), name) == known_.end()) {
      const auto near = nearest_key(name, known_);
      return tl::make_unexpected(
          near.empty() ? fmt::format("{}: unknown key '{}'", here, name)
                       : fmt::format("{}: unknown key '{}' (did you mean '{}'?)", here, name, near));
    }
    if (auto [it, fresh] = seen_.emplace(name, here); !fresh) {
      return tl::make_unexpected(fmt::format("{}: '{}' is already set at {}", here, name, it->second));
    }
    setting s{name, {}, value.is_boolean(), here};
    if (const auto* array = value.as_array()) {
      for (const auto& element : *array) {
        std::string word;
        if (element.is_array() || element.is_table() || !scalar_word(element, word)) {
          return tl::make_unexpected(fmt::format("{}: '{}': an array of strings or numbers is expected",
                                                 where(path_, element.source()), name));
        }
        s.values.push_back(std::move(word));
      }
    } else {
      std::string word;
      if (!scalar_word(value, word)) {
        return tl::make_unexpected(
            fmt::format("{}: '{}': a string, number, boolean or array is expected", here, name));
      }
      s.values.push_back(std::move(word));
    }
    return s;
  }

  std::string_view path_;
  std::span<const std::string> known_;
  std::vector<found> found_;
  std::map<std::string, std::string> seen_;  // key -> where it was set
};

}  // namespace

std::string nearest_key(std::string_view key, std::span<const std::string> known) {
  // A misspelling changes a few letters: at most a third of the key, and
  // never fewer than two.
  const std::size_t limit = std::max<std::size_t>(2, key.size() / 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& k : known) {
    const auto d = protocol::edit_distance(key, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

tl::expected<std::vector<setting>, std::string> parse_config(std::string_view text, std::string_view path,
                                                             std::span<const std::string> known) {
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return tl::make_unexpected(fmt::format("{}: {}", where(path, e.source()), e.description()));
  }
  return reader(path, known).read(table);
}

tl::expected<std::vector<setting>, std::string> read_config_file(const std::string& path,
                                                                 std::span<const std::string> known) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::make_unexpected(fmt::format("{}: cannot be read", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, known);
}

}  // namespace config
