// parse_url at each edge of the grammar, and its error messages.
#include <string>

#include <catch2/catch.hpp>

#include "redis/url.hpp"

using redis::parse_url;

TEST_CASE("url host alone takes the defaults", "[url]") {
  auto ep = parse_url("redis://localhost");
  REQUIRE(ep.has_value());
  CHECK(ep->host == "localhost");
  CHECK(ep->port == 6379);
  CHECK(ep->db == 0);
  CHECK(ep->user.empty());
  CHECK(ep->password.empty());
  CHECK_FALSE(ep->tls);
}

TEST_CASE("url with everything", "[url]") {
  auto ep = parse_url("rediss://alice:s%40cr%3At@redis.example:6380/3");
  REQUIRE(ep.has_value());
  CHECK(ep->tls);
  CHECK(ep->user == "alice");
  CHECK(ep->password == "s@cr:t");
  CHECK(ep->host == "redis.example");
  CHECK(ep->port == 6380);
  CHECK(ep->db == 3);
}

TEST_CASE("url password without a user", "[url]") {
  auto a = parse_url("redis://:secret@h");
  REQUIRE(a.has_value());
  CHECK(a->user.empty());
  CHECK(a->password == "secret");
  auto b = parse_url("redis://secret@h");
  REQUIRE(b.has_value());
  CHECK(b->user.empty());
  CHECK(b->password == "secret");
}

TEST_CASE("url IPv6 in brackets", "[url]") {
  auto ep = parse_url("redis://[::1]:7000/1");
  REQUIRE(ep.has_value());
  CHECK(ep->host == "::1");
  CHECK(ep->port == 7000);
  CHECK(ep->db == 1);
  CHECK(redis::describe(*ep) == "[::1]:7000");
  auto bare = parse_url("redis://[::1]");
  REQUIRE(bare.has_value());
  CHECK(bare->port == 6379);
}

TEST_CASE("url trailing slash means database 0", "[url]") {
  auto ep = parse_url("redis://h:1/");
  REQUIRE(ep.has_value());
  CHECK(ep->db == 0);
  CHECK(ep->port == 1);
}

TEST_CASE("url describe never shows the password", "[url]") {
  auto ep = parse_url("redis://u:hunter2@127.0.0.1:6000");
  REQUIRE(ep.has_value());
  CHECK(redis::describe(*ep) == "127.0.0.1:6000");
}

TEST_CASE("url errors say what is wrong", "[url]") {
  struct bad_case {
    const char* url;
    const char* says;
  };
  const bad_case cases[] = {
      {"http://h", "must start with redis://"},
      {"", "must start with redis://"},
      {"redis://", "host is missing"},
      {"redis://:6379", "host is missing"},
      {"redis://u:p@", "host is missing"},
      {"redis://h:", "port is empty"},
      {"redis://h:0", "not a number from 1 to 65535"},
      {"redis://h:65536", "not a number from 1 to 65535"},
      {"redis://h:12ab", "not a number from 1 to 65535"},
      {"redis://h:-1", "not a number from 1 to 65535"},
      {"redis://h/x", "database \"x\""},
      {"redis://h/-1", "database \"-1\""},
      {"redis://h/1/2", "database \"1/2\""},
      {"redis://[::1", "closing ']'"},
      {"redis://[::1]x", "expected ':port'"},
      {"redis://[::1]:", "port is empty"},
      {"redis://u:%zz@h", "percent-encoding in the password"},
      {"redis://%4@h", "percent-encoding in the user name"},
      {"redis://u:%4@h", "percent-encoding in the password"},
      {"redis://user:@h", "needs a password"},
      {"redis://h?timeout=1", "query strings"},
      {"redis://h#x", "query strings"},
      {"redis://h st", "whitespace"},
  };
  for (const auto& c : cases) {
    auto ep = parse_url(c.url);
    INFO(c.url);
    REQUIRE_FALSE(ep.has_value());
    CHECK_THAT(ep.error(), Catch::Contains(c.says));
    CHECK_THAT(ep.error(), Catch::StartsWith("redis URL"));
  }
}

TEST_CASE("url errors never show the password", "[url]") {
  auto ep = parse_url("redis://alice:hunter2@h:99999");
  REQUIRE_FALSE(ep.has_value());
  CHECK_THAT(ep.error(), !Catch::Contains("hunter2") && !Catch::Contains("alice"));
  CHECK_THAT(ep.error(), Catch::Contains("redis://***@h:99999"));
  auto ctl = parse_url(std::string("redis://h\x1b[2J:1x"));
  REQUIRE_FALSE(ctl.has_value());
  CHECK(ctl.error().find('\x1b') == std::string::npos);
}
