// server-time in both directions: what CHATHISTORY's timestamp= parses.
#include <chrono>

#include <catch2/catch.hpp>

#include "protocol/irc_reply.hpp"

using protocol::irc::format_server_time;
using protocol::irc::parse_server_time;

TEST_CASE("server time parses what it formats", "[irc][time]") {
  for (const std::int64_t ms : {std::int64_t{0}, std::int64_t{951782400123}, std::int64_t{1796250119999},
                                std::int64_t{4102444800000}}) {
    const auto text =
        format_server_time(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
    REQUIRE(parse_server_time(text) == ms);
  }
}

TEST_CASE("server time takes any fraction and keeps milliseconds", "[irc][time]") {
  CHECK(parse_server_time("2026-12-02T18:00:00Z") == std::int64_t{1796234400000});
  CHECK(parse_server_time("2026-12-02T18:00:00.5Z") == std::int64_t{1796234400500});
  CHECK(parse_server_time("2026-12-02T18:00:00.123456Z") == std::int64_t{1796234400123});
  CHECK(parse_server_time("2024-02-29T00:00:00.000Z") == std::int64_t{1709164800000});
}

TEST_CASE("server time refuses anything else", "[irc][time]") {
  for (const char* bad :
       {"", "*", "2026-12-02", "2026-12-02T18:00:00", "2026-12-02T18:00:00+01:00", "2026-13-02T18:00:00Z",
        "2026-12-32T18:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T18:60:00Z", "2026-12-02 18:00:00Z",
        "2026-12-02T18:00:00.Z", "2026-12-02T18:00:00.12a4Z", "20x6-12-02T18:00:00Z",
        "2026-12-02T18:00:00.12345678901Z"}) {
    INFO(bad);
    CHECK_FALSE(parse_server_time(bad).has_value());
  }
}
