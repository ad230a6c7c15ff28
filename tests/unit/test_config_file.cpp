// The configuration file's reader: TOML keys as long options, tables as
// groupings, and errors with file, line and the nearest known key.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/file.hpp"

using config::parse_config;

namespace {

const std::vector<std::string> kKnown = {"host", "irc-port",   "seed-port", "no-seed",
                                         "oper", "flood-rate", "motd-file", "log-level"};

}  // namespace

TEST_CASE("config file: keys, tables and value types", "[config]") {
  const auto got = parse_config(
      "host = \"127.0.0.1\"\n"
      "[listen]\n"
      "irc-port = 6668\n"
      "no-seed = true\n"
      "[limits.flood]\n"
      "flood-rate = 2.5\n"
      "[operators]\n"
      "oper = [\"admin:one\", \"root:two\"]\n",
      "chat.toml", kKnown);
  REQUIRE(got.has_value());
  REQUIRE(got->size() == 5);
  CHECK((*got)[0].key == "host");
  CHECK((*got)[0].values == std::vector<std::string>{"127.0.0.1"});
  CHECK((*got)[0].where == "chat.toml:1:1");
  CHECK((*got)[1].key == "irc-port");
  CHECK((*got)[1].values == std::vector<std::string>{"6668"});
  CHECK((*got)[1].where == "chat.toml:3:1");
  CHECK((*got)[2].key == "no-seed");
  CHECK((*got)[2].boolean);
  CHECK((*got)[2].values == std::vector<std::string>{"true"});
  CHECK((*got)[3].values == std::vector<std::string>{"2.5"});
  CHECK((*got)[4].values == std::vector<std::string>{"admin:one", "root:two"});
}

TEST_CASE("config file: an unknown key names the file, the line and the nearest key", "[config]") {
  auto got = parse_config("[irc]\n\nirc-prt = 6667\n", "/etc/chat/chat-server.toml", kKnown);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == "/etc/chat/chat-server.toml:3:1: unknown key 'irc-prt' (did you mean 'irc-port'?)");
  got = parse_config("completely-different = 1\n", "c.toml", kKnown);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == "c.toml:1:1: unknown key 'completely-different'");
}

TEST_CASE("config file: a key set twice, even in two tables, is an error", "[config]") {
  const auto got = parse_config("[a]\nirc-port = 1\n[b]\nirc-port = 2\n", "c.toml", kKnown);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == "c.toml:4:1: 'irc-port' is already set at c.toml:2:1");
}

TEST_CASE("config file: TOML syntax errors carry their line and column", "[config]") {
  auto got = parse_config("host = \"127.0.0.1\"\nirc-port = = 1\n", "c.toml", kKnown);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().starts_with("c.toml:2:"));
  // An INI-style value without quotes is not TOML.
  got = parse_config("host = 127.0.0.1\n", "c.toml", kKnown);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().starts_with("c.toml:1:"));
}

TEST_CASE("config file: values that are no option's are refused", "[config]") {
  auto got = parse_config("oper = [[\"a\"]]\n", "c.toml", kKnown);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().find("'oper': an array of strings or numbers is expected") != std::string::npos);
  got = parse_config("host = 1979-05-27\n", "c.toml", kKnown);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == "c.toml:1:1: 'host': a string, number, boolean or array is expected");
}

TEST_CASE("config file: the nearest key is only offered for a likely misspelling", "[config]") {
  CHECK(config::nearest_key("irc-prot", kKnown) == "irc-port");
  CHECK(config::nearest_key("seedport", kKnown) == "seed-port");
  CHECK(config::nearest_key("log-levl", kKnown) == "log-level");
  CHECK(config::nearest_key("xyz", kKnown).empty());
}

TEST_CASE("config file: a missing file is named", "[config]") {
  const auto got = config::read_config_file("/nonexistent/chat.toml", kKnown);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == "/nonexistent/chat.toml: cannot be read");
}
