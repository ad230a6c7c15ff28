#include "core/servers.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace client {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Printable ASCII without spaces: what a host name, an address or a service name holds.
bool plain(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// A port number from 1 to 65535, or a service name (resolved later, as "ircd").
bool valid_port(std::string_view port) {
  if (!plain(port) || port.find_first_of("[]:/") != std::string_view::npos) return false;
  if (port.find_first_not_of("0123456789") != std::string_view::npos) return true;  // a service name
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

}  // namespace

tl::expected<server_address, std::string> parse_server_address(std::string_view text,
                                                               std::string_view default_port) {
  const auto given = trim(text);
  const auto quoted = "'" + std::string(given) + "'";
  if (given.empty()) return tl::make_unexpected(std::string("an empty server name"));
  server_address out;
  std::string_view port;
  if (given.front() == '[') {
    const auto close = given.find(']');
    if (close == std::string_view::npos || close == 1)
      return tl::make_unexpected("server " + quoted + ": an IPv6 address goes inside [ ]");
    out.host = std::string(given.substr(1, close - 1));
    const auto rest = given.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || rest.size() == 1)
        return tl::make_unexpected("server " + quoted + ": a port follows ']:'");
      port = rest.substr(1);
    }
  } else if (const auto colon = given.find(':'); colon == std::string_view::npos) {
    out.host = std::string(given);
  } else if (given.find(':', colon + 1) != std::string_view::npos) {
    out.host = std::string(given);  // a bare IPv6 address: its port is the default
  } else {
    out.host = std::string(given.substr(0, colon));
    port = given.substr(colon + 1);
    if (out.host.empty() || port.empty())
      return tl::make_unexpected("server " + quoted + ": write it as host or host:port");
  }
  if (!plain(out.host) || out.host.find_first_of("[]/") != std::string::npos)
    return tl::make_unexpected("server " + quoted + ": not a host name or address");
  out.port = std::string(port.empty() ? default_port : port);
  if (!valid_port(out.port)) return tl::make_unexpected("server " + quoted + ": not a port: " + out.port);
  return out;
}

std::string encode_server_address(const server_address& a) {
  const bool v6 = a.host.find(':') != std::string::npos;
  return (v6 ? "[" + a.host + "]" : a.host) + ":" + a.port;
}

tl::expected<std::vector<server_address>, std::string> parse_server_list(
    const std::vector<std::string>& texts, std::string_view default_port) {
  std::vector<server_address> out;
  for (const auto& text : texts) {
    if (trim(text).empty()) continue;
    auto one = parse_server_address(text, default_port);
    if (!one) return tl::make_unexpected(std::move(one.error()));
    if (out.size() == kMaxServers)
      return tl::make_unexpected("more than " + std::to_string(kMaxServers) + " servers");
    out.push_back(std::move(*one));
  }
  if (out.empty()) return tl::make_unexpected(std::string("no server given"));
  return out;
}

server_rotation::server_rotation(std::vector<server_address> servers) : servers_(std::move(servers)) {}

const server_address& server_rotation::advance() noexcept {
  at_ = (at_ + 1) % servers_.size();
  return servers_[at_];
}

std::string server_rotation::describe() const {
  auto out = encode_server_address(current());
  if (several()) out += " (" + std::to_string(at_ + 1) + " of " + std::to_string(servers_.size()) + ")";
  return out;
}

}  // namespace client
