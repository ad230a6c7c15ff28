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

namespace {

const std::vector<std::string> kClientKeys = {"host", "port", "tls", "nick", "room", "rooms", "account"};
const config::profile_choice kServers{"servers", ""};

constexpr const char* kTwoProfiles =
    "nick = \"alice\"\n"
    "port = 6667\n"
    "[servers.libera]\n"
    "host = \"irc.libera.chat\"\n"
    "tls = true\n"
    "rooms = [\"#rust\", \"#cpp\"]\n"
    "[servers.local]\n"
    "host = \"127.0.0.1\"\n"
    "nick = \"al\"\n";

// "key=value value" for each setting, and whether it came from the profile.
std::vector<std::string> summary(const std::vector<config::setting>& settings) {
  std::vector<std::string> out;
  for (const auto& s : settings) {
    std::string line = (s.from_profile ? "*" : "") + s.key + "=";
    for (std::size_t i = 0; i < s.values.size(); ++i) line += (i > 0 ? " " : "") + s.values[i];
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("config profiles: the first is read when none is named or marked", "[config]") {
  const auto got = parse_config(kTwoProfiles, "c.toml", kClientKeys, kServers);
  REQUIRE(got.has_value());
  CHECK(summary(*got) == std::vector<std::string>{"nick=alice", "port=6667", "*host=irc.libera.chat",
                                                  "*tls=true", "*rooms=#rust #cpp"});
}

TEST_CASE("config profiles: a named one is read and overrides the top-level keys", "[config]") {
  const auto got = parse_config(kTwoProfiles, "c.toml", kClientKeys, {"servers", "local"});
  REQUIRE(got.has_value());
  CHECK(summary(*got) == std::vector<std::string>{"nick=alice", "port=6667", "*host=127.0.0.1", "*nick=al"});
  CHECK((*got)[3].where == "c.toml:9:1");
}

TEST_CASE("config profiles: default = true picks one and is no option", "[config]") {
  const auto got = parse_config("[servers.a]\nhost = \"a\"\n[servers.b]\ndefault = true\nhost = \"b\"\n",
                                "c.toml", kClientKeys, kServers);
  REQUIRE(got.has_value());
  CHECK(summary(*got) == std::vector<std::string>{"*host=b"});
  auto two = parse_config("[servers.a]\ndefault = true\n[servers.b]\ndefault = true\n", "c.toml", kClientKeys,
                          kServers);
  REQUIRE_FALSE(two.has_value());
  CHECK(two.error() == "c.toml:3:10: profile 'b' is the default too, as 'a' at c.toml:1:10");
  auto odd = parse_config("[servers.a]\ndefault = \"yes\"\n", "c.toml", kClientKeys, kServers);
  REQUIRE_FALSE(odd.has_value());
  CHECK(odd.error() == "c.toml:2:11: 'default' is true or false");
}

TEST_CASE("config profiles: an unknown name lists the known ones", "[config]") {
  auto got = parse_config(kTwoProfiles, "c.toml", kClientKeys, {"servers", "oftc"});
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == "c.toml: no profile 'oftc' in [servers]; known: libera, local");
  got = parse_config("nick = \"alice\"\n", "c.toml", kClientKeys, {"servers", "oftc"});
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == "c.toml: no profile 'oftc': the file has no [servers.NAME] table");
}

TEST_CASE("config profiles: a file without profiles reads as before", "[config]") {
  const auto got =
      parse_config("[servers]\nhost = \"h\"\n[chat]\nnick = \"n\"\n", "c.toml", kClientKeys, kServers);
  REQUIRE(got.has_value());
  CHECK(summary(*got) == std::vector<std::string>{"host=h", "nick=n"});
}

TEST_CASE("config profiles: a key twice in one profile is an error, and unknown keys are named", "[config]") {
  auto got = parse_config("[servers.a]\nhost = \"a\"\nhost = \"b\"\n", "c.toml", kClientKeys, kServers);
  REQUIRE_FALSE(got.has_value());  // TOML itself refuses a key twice in a table
  got = parse_config("[servers.a]\nhost = \"a\"\n[servers.a.more]\nhost = \"b\"\n", "c.toml", kClientKeys,
                     kServers);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == "c.toml:4:1: 'host' is already set at c.toml:2:1");
  got = parse_config("[servers.a]\nnik = \"a\"\n", "c.toml", kClientKeys, kServers);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == "c.toml:2:1: unknown key 'nik' (did you mean 'nick'?)");
  // The profiles not chosen are not read.
  CHECK(parse_config("[servers.a]\nhost = \"a\"\n[servers.b]\nnik = 1\n", "c.toml", kClientKeys, kServers));
}
