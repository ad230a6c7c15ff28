// The servers the client may use, in order, and which one it is on: a lost
// connection, or one that cannot be made, moves it to the next (after the
// last, the first again). Pure: the program connects, this only chooses.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace client {

// Servers one command line may name: a longer list is a usage error.
inline constexpr std::size_t kMaxServers = 64;

struct server_address {
  std::string host;  // a name, an IPv4 address or an IPv6 address (without brackets)
  std::string port;  // a number or a service name
  friend bool operator==(const server_address&, const server_address&) = default;
};

// One server as typed: "host", "host:port", "[v6]:port", "[v6]" or a bare
// IPv6 address ("::1", whose colons are not a port). Without a port it is
// `default_port`. An error is one line for a usage message.
tl::expected<server_address, std::string> parse_server_address(std::string_view text,
                                                               std::string_view default_port);

// "host:port", with brackets around an IPv6 address: what parse_server_address
// reads back (parse(encode(a)) == a).
std::string encode_server_address(const server_address& a);

// Every entry of `texts` parsed; an empty entry is skipped, and a list
// with none is an error, as is one longer than kMaxServers.
tl::expected<std::vector<server_address>, std::string> parse_server_list(
    const std::vector<std::string>& texts, std::string_view default_port);

class server_rotation {
 public:
  // `servers` is not empty (parse_server_list makes sure).
  explicit server_rotation(std::vector<server_address> servers);

  [[nodiscard]] const server_address& current() const noexcept { return servers_[at_]; }
  [[nodiscard]] std::size_t position() const noexcept { return at_; }  // from 0
  [[nodiscard]] std::size_t size() const noexcept { return servers_.size(); }
  [[nodiscard]] bool several() const noexcept { return servers_.size() > 1; }
  // Moves to the next server, the first after the last, and returns it.
  const server_address& advance() noexcept;
  // How lines and the status name the current one: "host:port", and
  // " (2 of 3)" after it when there are several.
  [[nodiscard]] std::string describe() const;

 private:
  std::vector<server_address> servers_;
  std::size_t at_ = 0;
};

}  // namespace client
