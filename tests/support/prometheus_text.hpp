// A strict reader of the Prometheus text exposition format (version 0.0.4),
// written from the format's rules rather than from our renderer, to check
// metrics::render() and read numbers out of it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace test {

struct exposition {
  // Every rule broken, with its line number; empty when the text is valid.
  std::vector<std::string> errors;
  // Each sample's value, by the sample as written up to its value:
  // `chat_connections{door="irc",transport="tcp"}`.
  std::map<std::string, double> samples;
  // Each family's TYPE, by family name.
  std::map<std::string, std::string> types;

  // The value of `series`; nullopt if there is no such sample.
  std::optional<double> value(const std::string& series) const;
};

// Parses `text`, checking: every line ends with LF; comments are HELP or
// TYPE, at most one of each per family, both before its first sample;
// metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]* (none starting with "__"), label values are quoted
// with only \\, \" and \n escaped; no label twice in a sample, no series
// twice; a family's samples are contiguous and belong to it (a histogram's
// are _bucket, _sum and _count); counters are not negative; a histogram's
// buckets have `le`, rise with it, are cumulative, end in +Inf, and the +Inf
// bucket equals _count.
exposition parse_exposition(std::string_view text);

// The unescaped value of label `name` in `series` (as the keys of
// exposition::samples are written); nullopt if it has none.
std::optional<std::string> label_value(std::string_view series, std::string_view name);

}  // namespace test
