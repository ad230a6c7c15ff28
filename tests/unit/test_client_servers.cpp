// The client's list of servers, sans I/O: how each is written (host,
// host:port, IPv6 with and without brackets), what is refused, and the
// rotation a failover follows (in order, the first again after the last).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/servers.hpp"

using client::encode_server_address;
using client::parse_server_address;
using client::parse_server_list;
using client::server_address;
using client::server_rotation;

TEST_CASE("client servers: a host alone takes the default port", "[client][servers]") {
  const auto a = parse_server_address("irc.example.org", "6667");
  REQUIRE(a.has_value());
  CHECK(*a == server_address{"irc.example.org", "6667"});
  CHECK(parse_server_address(" 127.0.0.1 ", "6697").value() == server_address{"127.0.0.1", "6697"});
}

TEST_CASE("client servers: host and port", "[client][servers]") {
  CHECK(parse_server_address("a.test:7000", "6667").value() == server_address{"a.test", "7000"});
  CHECK(parse_server_address("10.0.0.1:65535", "6667").value() == server_address{"10.0.0.1", "65535"});
  CHECK(parse_server_address("a.test:ircd", "6667").value() == server_address{"a.test", "ircd"});
}

TEST_CASE("client servers: IPv6 in brackets or bare", "[client][servers]") {
  CHECK(parse_server_address("[::1]:6668", "6667").value() == server_address{"::1", "6668"});
  CHECK(parse_server_address("[2001:db8::5]", "6667").value() == server_address{"2001:db8::5", "6667"});
  // Several colons without brackets: an address, not a port.
  CHECK(parse_server_address("::1", "6667").value() == server_address{"::1", "6667"});
}

TEST_CASE("client servers: malformed entries are named in the error", "[client][servers]") {
  for (const auto* bad : {"", "   ", ":6667", "host:", "[::1", "[]:6667", "[::1]6667", "[::1]:", "host:0",
                          "host:70000", "a b:1", "host:1/2", "a/b"}) {
    INFO(bad);
    const auto a = parse_server_address(bad, "6667");
    REQUIRE_FALSE(a.has_value());
    CHECK_FALSE(a.error().empty());
  }
  CHECK(parse_server_address("host:70000", "6667").error() == "server 'host:70000': not a port: 70000");
}

TEST_CASE("client servers: encode reads back", "[client][servers]") {
  for (const auto& a : {server_address{"a.test", "6667"}, server_address{"::1", "7000"},
                        server_address{"127.0.0.1", "ircd"}}) {
    const auto text = encode_server_address(a);
    INFO(text);
    CHECK(parse_server_address(text, "1").value() == a);
  }
  CHECK(encode_server_address({"::1", "7000"}) == "[::1]:7000");
}

TEST_CASE("client servers: a list skips empty entries and keeps the order", "[client][servers]") {
  const auto list = parse_server_list({"a.test", "", "b.test:7000", " "}, "6667");
  REQUIRE(list.has_value());
  CHECK(*list == std::vector<server_address>{{"a.test", "6667"}, {"b.test", "7000"}});
  CHECK(parse_server_list({"", " "}, "6667").error() == "no server given");
  CHECK_FALSE(parse_server_list({"a.test", "b.test:x y"}, "6667").has_value());
  CHECK(parse_server_list(std::vector<std::string>(client::kMaxServers + 1, "a.test"), "6667").error() ==
        "more than 64 servers");
}

TEST_CASE("client servers: the rotation goes in order and wraps", "[client][servers]") {
  server_rotation r({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  CHECK(r.several());
  CHECK(r.size() == 3);
  CHECK(r.current().host == "a");
  CHECK(r.describe() == "a:1 (1 of 3)");
  CHECK(r.advance().host == "b");
  CHECK(r.position() == 1);
  CHECK(r.advance().host == "c");
  CHECK(r.describe() == "c:3 (3 of 3)");
  CHECK(r.advance().host == "a");
  CHECK(r.position() == 0);
}

TEST_CASE("client servers: one server stays where it is", "[client][servers]") {
  server_rotation r(std::vector<server_address>{{"only", "6667"}});
  CHECK_FALSE(r.several());
  CHECK(r.describe() == "only:6667");
  CHECK(r.advance().host == "only");
  CHECK(r.describe() == "only:6667");
}
