#include "chat/replay.hpp"

#include <array>
#include <cstdint>
#include <utility>

namespace chat {

std::optional<replay_setting> parse_replay(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
  std::uint64_t lines = 0;
  for (const char c : text.substr(0, colon)) {
    if (c < '0' || c > '9') return std::nullopt;
    lines = lines * 10 + static_cast<std::uint64_t>(c - '0');
    if (lines > kMaxReplayLines) return std::nullopt;
  }
  if (lines == 0) return std::nullopt;
  const auto max_age = static_cast<std::uint64_t>(kMaxReplayAge.count());
  std::uint64_t age = 0;
  std::uint64_t number = 0;
  bool digits = false;
  for (const char c : text.substr(colon + 1)) {
    if (c >= '0' && c <= '9') {
      number = number * 10 + static_cast<std::uint64_t>(c - '0');
      if (number > max_age) return std::nullopt;
      digits = true;
      continue;
    }
    std::uint64_t unit = 0;
    switch (c) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86'400;
        break;
      case 'w':
        unit = 604'800;
        break;
      default:
        return std::nullopt;
    }
    if (!digits) return std::nullopt;
    age += number * unit;
    if (age > max_age) return std::nullopt;
    number = 0;
    digits = false;
  }
  age += number;  // a trailing number without a unit: seconds
  if (age == 0 || age > max_age) return std::nullopt;
  return replay_setting{static_cast<std::size_t>(lines),
                        std::chrono::seconds(static_cast<std::int64_t>(age))};
}

std::string format_replay(const replay_setting& r) {
  static constexpr std::array<std::pair<std::int64_t, char>, 4> kUnits{
      {{604'800, 'w'}, {86'400, 'd'}, {3600, 'h'}, {60, 'm'}}};
  const auto s = r.age.count();
  std::string age = std::to_string(s) + "s";
  for (const auto& [size, unit] : kUnits) {
    if (s % size == 0) {
      age = std::to_string(s / size) + unit;
      break;
    }
  }
  return std::to_string(r.lines) + ":" + age;
}

}  // namespace chat
