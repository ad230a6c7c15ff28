// The checks prometheus_text.hpp lists, one line at a time.
#include "support/prometheus_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>
#include <variant>

namespace test {

namespace {

using labels = std::vector<std::pair<std::string, std::string>>;

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

bool valid_metric_name(std::string_view s) {
  if (s.empty() || !(name_start(s[0]) || s[0] == ':')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return name_char(c) || c == ':'; });
}

bool valid_label_name(std::string_view s) {
  if (s.empty() || !name_start(s[0]) || s.starts_with("__")) return false;
  return std::all_of(s.begin(), s.end(), name_char);
}

// A float as the format writes them: Go's ParseFloat, with +Inf, -Inf, NaN.
std::optional<double> parse_float(std::string_view s) {
  if (s == "+Inf" || s == "Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s.starts_with('+')) s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

struct sample {
  std::string name;
  labels tags;
  std::string key;  // as written, up to the value
  double value = 0;
};

// Parses one sample line, or says what is wrong with it.
std::variant<sample, std::string> parse_sample(std::string_view line) {
  sample s;
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t') ++i;
  s.name = std::string(line.substr(0, i));
  if (!valid_metric_name(s.name)) return "bad metric name '" + s.name + "'";
  if (i < line.size() && line[i] == '{') {
    ++i;
    if (i < line.size() && line[i] == '}') return std::string("empty label set");
    for (;;) {
      const std::size_t start = i;
      while (i < line.size() && line[i] != '=') ++i;
      const std::string name(line.substr(start, i - start));
      if (!valid_label_name(name)) return "bad label name '" + name + "'";
      if (i + 1 >= line.size() || line[i + 1] != '"') return "label " + name + " has no quoted value";
      i += 2;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\n') return std::string("raw line feed in a label value");
        if (c != '\\') {
          value += c;
          continue;
        }
        if (i >= line.size()) break;
        const char e = line[i++];
        if (e == '\\') {
          value += '\\';
        } else if (e == '"') {
          value += '"';
        } else if (e == 'n') {
          value += '\n';
        } else {
          return std::string("bad escape \\") + e + " in label " + name;
        }
      }
      if (!closed) return "label " + name + " is not closed";
      if (std::any_of(s.tags.begin(), s.tags.end(), [&](const auto& t) { return t.first == name; })) {
        return "label " + name + " twice";
      }
      s.tags.emplace_back(name, std::move(value));
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      return "expected , or } after label " + name;
    }
  }
  s.key = std::string(line.substr(0, i));
  if (i >= line.size() || (line[i] != ' ' && line[i] != '\t')) return std::string("no value");
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  std::size_t end = i;
  while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
  const auto v = parse_float(line.substr(i, end - i));
  if (!v) return "bad value '" + std::string(line.substr(i, end - i)) + "'";
  s.value = *v;
  while (end < line.size() && (line[end] == ' ' || line[end] == '\t')) ++end;
  if (end < line.size()) {  // a timestamp: an integer of milliseconds
    const auto ts = line.substr(end);
    std::int64_t t = 0;
    const auto [p, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
    if (ec != std::errc() || p != ts.data() + ts.size()) return "bad timestamp '" + std::string(ts) + "'";
  }
  return s;
}

// A histogram's buckets for one set of other labels.
struct bucket_run {
  double last_le = -std::numeric_limits<double>::infinity();
  double last_count = 0;
  bool saw_inf = false;
  double inf_count = 0;
  std::optional<double> count;
  bool sum = false;
};

// The labels without `le`, as one string: which run a sample belongs to.
std::string others(const labels& tags) {
  labels rest;
  for (const auto& t : tags) {
    if (t.first != "le") rest.push_back(t);
  }
  std::sort(rest.begin(), rest.end());
  std::string k;
  for (const auto& [n, v] : rest) k.append(n).append("=").append(v).append(",");
  return k;
}

}  // namespace

std::optional<double> exposition::value(const std::string& series) const {
  const auto it = samples.find(series);
  if (it == samples.end()) return std::nullopt;
  return it->second;
}

exposition parse_exposition(std::string_view text) {
  exposition out;
  std::string current;             // the family whose lines these are
  std::set<std::string> finished;  // families whose lines are over
  std::set<std::string> helped;
  std::set<std::string> sampled;
  std::set<std::string> series;  // name and sorted labels
  std::map<std::string, std::map<std::string, bucket_run>> runs;
  std::size_t number = 0;
  auto fail = [&](const std::string& what) {
    out.errors.push_back(number == 0 ? what : "line " + std::to_string(number) + ": " + what);
  };
  // Moves on to family `name` (a HELP or TYPE line names it).
  auto enter = [&](const std::string& name) {
    if (name == current) return true;
    if (finished.count(name) > 0) {
      fail("family " + name + " continues after another");
      return false;
    }
    if (!current.empty()) finished.insert(current);
    current = name;
    return true;
  };

  if (!text.empty() && !text.ends_with('\n')) {
    number = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    fail("the last line does not end with a line feed");
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++number;
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const auto line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;  // the format ignores empty lines
    if (line.starts_with('#')) {
      auto rest = line.substr(1);
      while (rest.starts_with(' ') || rest.starts_with('\t')) rest.remove_prefix(1);
      const bool help = rest.starts_with("HELP ");
      const bool type = rest.starts_with("TYPE ");
      if (!help && !type) continue;  // any other comment
      rest.remove_prefix(5);
      const auto space = rest.find(' ');
      const std::string name(rest.substr(0, space));
      const auto arg = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
      if (!valid_metric_name(name)) {
        fail("bad metric name '" + name + "'");
        continue;
      }
      if (!enter(name)) continue;
      if (sampled.count(name) > 0) fail((help ? "HELP" : "TYPE") + std::string(" after samples of ") + name);
      if (help) {
        if (!helped.insert(name).second) fail("second HELP for " + name);
        for (std::size_t i = 0; i < arg.size(); ++i) {
          if (arg[i] == '\\' && (i + 1 >= arg.size() || (arg[i + 1] != '\\' && arg[i + 1] != 'n'))) {
            fail("bad escape in HELP of " + name);
          }
          if (arg[i] == '\\') ++i;
        }
      } else {
        static const std::set<std::string_view> kTypes{"counter", "gauge", "histogram", "summary", "untyped"};
        if (kTypes.count(arg) == 0) fail("unknown TYPE '" + std::string(arg) + "'");
        if (!out.types.emplace(name, std::string(arg)).second) fail("second TYPE for " + name);
      }
      continue;
    }
    auto parsed = parse_sample(line);
    if (const auto* why = std::get_if<std::string>(&parsed)) {
      fail(*why);
      continue;
    }
    auto& s = std::get<sample>(parsed);
    // Which family it belongs to: the current one, by its type's names.
    const auto type = out.types.find(current);
    if (current.empty() || type == out.types.end()) {
      fail(s.name + " before any TYPE of its family");
      continue;
    }
    if (helped.count(current) == 0) fail(s.name + " before the HELP of " + current);
    std::string suffix;
    if (s.name != current) {
      if (!s.name.starts_with(current)) {
        fail(s.name + " is not of family " + current);
        continue;
      }
      suffix = s.name.substr(current.size());
    }
    const bool histogram = type->second == "histogram";
    const bool summary = type->second == "summary";
    const bool ok = suffix.empty() ? !histogram
                    : histogram    ? (suffix == "_bucket" || suffix == "_sum" || suffix == "_count")
                    : summary      ? (suffix == "_sum" || suffix == "_count")
                                   : false;
    if (!ok) {
      fail(s.name + " is not of family " + current);
      continue;
    }
    sampled.insert(current);
    {
      auto sorted = s.tags;
      std::sort(sorted.begin(), sorted.end());
      std::string id = s.name;
      for (const auto& [n, v] : sorted) id.append("|").append(n).append("=").append(v);
      if (!series.insert(id).second) fail("series " + s.key + " twice");
    }
    if ((type->second == "counter" || histogram) && s.value < 0) fail(s.key + " is negative");
    if (histogram) {
      auto& run = runs[current][others(s.tags)];
      if (suffix == "_bucket") {
        const auto le =
            std::find_if(s.tags.begin(), s.tags.end(), [](const auto& t) { return t.first == "le"; });
        const auto bound = le == s.tags.end() ? std::nullopt : parse_float(le->second);
        if (!bound) {
          fail(s.key + " has no valid le");
        } else {
          if (run.saw_inf) fail(s.key + " after the +Inf bucket");
          if (!(*bound > run.last_le)) fail(s.key + ": le does not rise");
          if (s.value < run.last_count) fail(s.key + ": buckets are not cumulative");
          run.last_le = *bound;
          run.last_count = s.value;
          if (std::isinf(*bound) && *bound > 0) {
            run.saw_inf = true;
            run.inf_count = s.value;
          }
        }
      } else if (suffix == "_count") {
        run.count = s.value;
      } else {
        run.sum = true;
      }
    } else if (std::any_of(s.tags.begin(), s.tags.end(), [](const auto& t) { return t.first == "le"; })) {
      fail(s.key + ": le outside a histogram");
    }
    out.samples.emplace(s.key, s.value);
  }
  number = 0;
  for (const auto& [family, by_labels] : runs) {
    for (const auto& [rest, run] : by_labels) {
      const auto where = family + "{" + rest + "}";  // NOLINT(performance-inefficient-string-concatenation)
      if (!run.saw_inf) fail(where + ": no +Inf bucket");
      if (!run.count) fail(where + ": no _count");
      if (!run.sum) fail(where + ": no _sum");
      if (run.count && run.saw_inf && *run.count != run.inf_count)
        fail(where + ": +Inf bucket is not _count");
    }
  }
  return out;
}

std::optional<std::string> label_value(std::string_view series, std::string_view name) {
  const auto open = series.find('{');
  if (open == std::string_view::npos) return std::nullopt;
  auto parsed = parse_sample(std::string(series) + " 0");
  if (const auto* s = std::get_if<sample>(&parsed)) {
    for (const auto& [n, v] : s->tags) {
      if (n == name) return v;
    }
  }
  return std::nullopt;
}

}  // namespace test
