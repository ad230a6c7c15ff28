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
  reader(std::string_view path, std::span<const std::string> known, const profile_choice& profiles)
      : path_(path), known_(known), profiles_(profiles) {}

  // Every key under `table`, a grouping whose keys are options (or more
  // groupings), then those of the chosen profile. toml++ keeps a table's
  // keys sorted: put them back in the file's order before anything is
  // reported, so that "already set at" and the first error are the ones a
  // reader of the file expects.
  tl::expected<std::vector<setting>, std::string> read(const toml::table& table) && {
    collect(table, true, false);
    if (!profiles_.table.empty()) {
      auto chosen = choose(table);
      if (!chosen) return tl::make_unexpected(chosen.error());
      if (*chosen != nullptr) collect(**chosen, false, true);
    }
    std::stable_sort(found_.begin(), found_.end(), [](const found& a, const found& b) {
      return std::tie(a.profile, a.at.begin.line, a.at.begin.column) <
             std::tie(b.profile, b.at.begin.line, b.at.begin.column);
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
    bool profile = false;
  };

  // `top`: the file's own table, where the profiles' table is; `profile`:
  // the keys are the chosen profile's (`default` is not an option there).
  void collect(const toml::table& table, bool top, bool profile) {
    for (auto&& [key, value] : table) {
      const auto* group = value.as_table();
      if (top && group != nullptr && key.str() == profiles_.table) {
        // Its sub-tables are profiles, read only when chosen; its own keys
        // are a grouping.
        for (auto&& [k, v] : *group) {
          if (!v.is_table()) found_.push_back({std::string(k.str()), k.source(), &v, false});
        }
      } else if (group != nullptr) {
        collect(*group, false, profile);
      } else if (!(profile && &table == profile_ && key.str() == "default")) {
        found_.push_back({std::string(key.str()), key.source(), &value, profile});
      }
    }
  }

  // The profile to read: the one named, else the default, else the first;
  // nullptr when the file has none and none was named.
  tl::expected<const toml::table*, std::string> choose(const toml::table& root) {
    struct named {
      std::string name;
      toml::source_region at;
      const toml::table* table;
      bool is_default;
    };
    std::vector<named> all;
    if (const auto* group = root[profiles_.table].as_table()) {
      for (auto&& [key, value] : *group) {
        const auto* t = value.as_table();
        if (t == nullptr) continue;
        bool is_default = false;
        if (const auto* d = t->get("default")) {
          if (!d->is_boolean())
            return tl::make_unexpected(
                fmt::format("{}: 'default' is true or false", where(path_, d->source())));
          is_default = d->as_boolean()->get();
        }
        all.push_back({std::string(key.str()), key.source(), t, is_default});
      }
    }
    std::stable_sort(all.begin(), all.end(), [](const named& a, const named& b) {
      return std::tie(a.at.begin.line, a.at.begin.column) < std::tie(b.at.begin.line, b.at.begin.column);
    });
    const named* pick = nullptr;
    if (!profiles_.name.empty()) {
      for (const auto& n : all) {
        if (n.name == profiles_.name) pick = &n;
      }
      if (pick == nullptr) {
        std::string names;
        for (const auto& n : all) names += (names.empty() ? "" : ", ") + n.name;
        return tl::make_unexpected(all.empty()
                                       ? fmt::format("{}: no profile '{}': the file has no [{}.NAME] table",
                                                     path_, profiles_.name, profiles_.table)
                                       : fmt::format("{}: no profile '{}' in [{}]; known: {}", path_,
                                                     profiles_.name, profiles_.table, names));
      }
    } else {
      for (const auto& n : all) {
        if (!n.is_default) continue;
        if (pick != nullptr)
          return tl::make_unexpected(fmt::format("{}: profile '{}' is the default too, as '{}' at {}",
                                                 where(path_, n.at), n.name, pick->name,
                                                 where(path_, pick->at)));
        pick = &n;
      }
      if (pick == nullptr && !all.empty()) pick = &all.front();
    }
    if (pick == nullptr) return nullptr;
    profile_ = pick->table;
    return pick->table;
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
    // Once outside the profile and once in it (which overrides).
    if (auto [it, fresh] = seen_.emplace((f.profile ? "profile:" : "") + name, here); !fresh) {
      return tl::make_unexpected(fmt::format("{}: '{}' is already set at {}", here, name, it->second));
    }
    setting s{name, {}, value.is_boolean(), here, f.profile};
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
  const profile_choice& profiles_;
  const toml::table* profile_ = nullptr;  // the chosen one
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
                                                             std::span<const std::string> known,
                                                             const profile_choice& profiles) {
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return tl::make_unexpected(fmt::format("{}: {}", where(path, e.source()), e.description()));
  }
  return reader(path, known, profiles).read(table);
}

tl::expected<std::vector<setting>, std::string> read_config_file(const std::string& path,
                                                                 std::span<const std::string> known,
                                                                 const profile_choice& profiles) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::make_unexpected(fmt::format("{}: cannot be read", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, known, profiles);
}

}  // namespace config
