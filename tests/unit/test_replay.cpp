// +H's setting: "<count>:<age>", parsed and shown back, at its edges.
#include <catch2/catch.hpp>

#include "chat/replay.hpp"

using chat::format_replay;
using chat::parse_replay;
using chat::replay_setting;
using std::chrono::seconds;

TEST_CASE("replay setting: counts and ages with units", "[replay]") {
  CHECK(parse_replay("5:30") == replay_setting{5, seconds(30)});
  CHECK(parse_replay("5:30s") == replay_setting{5, seconds(30)});
  CHECK(parse_replay("1:10m") == replay_setting{1, seconds(600)});
  CHECK(parse_replay("50:1h30m") == replay_setting{50, seconds(5400)});
  CHECK(parse_replay("7:2d") == replay_setting{7, seconds(172'800)});
  CHECK(parse_replay("7:1w") == replay_setting{7, seconds(604'800)});
}

TEST_CASE("replay setting: the edges of count and age", "[replay]") {
  CHECK(parse_replay("1:1") == replay_setting{1, seconds(1)});
  CHECK(parse_replay(std::to_string(chat::kMaxReplayLines) + ":1h").has_value());
  CHECK_FALSE(parse_replay(std::to_string(chat::kMaxReplayLines + 1) + ":1h").has_value());
  CHECK_FALSE(parse_replay("0:1h").has_value());
  CHECK(parse_replay("5:" + std::to_string(chat::kMaxReplayAge.count())).has_value());
  CHECK_FALSE(parse_replay("5:" + std::to_string(chat::kMaxReplayAge.count() + 1)).has_value());
  CHECK(parse_replay("5:365d").has_value());
  CHECK_FALSE(parse_replay("5:365d1s").has_value());
  CHECK_FALSE(parse_replay("5:0").has_value());
  CHECK_FALSE(parse_replay("5:99999999999999999999").has_value());
}

TEST_CASE("replay setting: malformed", "[replay]") {
  for (const char* bad :
       {"", ":", "5", "5:", ":5", "x:5", "5:x", "5:1y", "5:h", "5:1hh", "-1:5", "5:-5", "5 :5"}) {
    INFO(bad);
    CHECK_FALSE(parse_replay(bad).has_value());
  }
}

TEST_CASE("replay setting: shown in the largest unit that divides the age", "[replay]") {
  CHECK(format_replay({3, seconds(5400)}) == "3:90m");
  CHECK(format_replay({3, seconds(86'400)}) == "3:1d");
  CHECK(format_replay({3, seconds(1'209'600)}) == "3:2w");
  CHECK(format_replay({3, seconds(61)}) == "3:61s");
  CHECK(format_replay({3, seconds(7200)}) == "3:2h");
  CHECK(parse_replay(format_replay({9, seconds(5400)})) == replay_setting{9, seconds(5400)});
}
