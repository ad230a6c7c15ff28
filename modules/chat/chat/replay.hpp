// Replay on join (channel mode +H <count>:<age>, as InspIRCd has it): a
// room may ask that newcomers without CHATHISTORY see its last lines. The
// room keeps the setting; the door fetches the lines from the history.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

// The most lines +H may replay, and the oldest a replayed line may be.
inline constexpr std::size_t kMaxReplayLines = 100;
inline constexpr std::chrono::seconds kMaxReplayAge{std::chrono::hours(24 * 365)};

struct replay_setting {
  std::size_t lines = 0;        // 1..kMaxReplayLines
  std::chrono::seconds age{0};  // 1 s..kMaxReplayAge: lines older than this are not replayed
  friend bool operator==(const replay_setting&, const replay_setting&) = default;
};

// "<count>:<age>": a count, and an age in seconds or with a unit (s, m, h,
// d, w; several may follow each other: "1h30m"). Null if malformed or out
// of range.
std::optional<replay_setting> parse_replay(std::string_view text);

// The setting as +H shows it: "<count>:<age>" with the age in the largest
// unit that divides it ("50:1d", "10:90m").
std::string format_replay(const replay_setting& r);

}  // namespace chat
