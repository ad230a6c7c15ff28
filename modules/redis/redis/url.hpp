// Where a Redis server is and how to log in: parsed from
// redis://[user[:password]@]host[:port][/db] or rediss:// (TLS). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace redis {

inline constexpr std::uint16_t kDefaultPort = 6379;

struct endpoint {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without its brackets
  std::uint16_t port = kDefaultPort;
  std::string user;      // empty: AUTH with the password alone (the "default" user)
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT db when not 0
  bool tls = false;      // rediss://

  friend bool operator==(const endpoint&, const endpoint&) = default;
};

// Parses a Redis URL; the error says what is wrong, for an operator. User and
// password are percent-decoded; the host may be [IPv6] in brackets.
tl::expected<endpoint, std::string> parse_url(std::string_view url);

// The endpoint as host:port (IPv6 in brackets), for logs: never the password.
std::string describe(const endpoint& ep);

}  // namespace redis
