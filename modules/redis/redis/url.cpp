// parse_url: the Redis URL grammar, with an operator's error messages.
#include "redis/url.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "redis/sample.hpp"

namespace redis {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

template <class Int>
std::optional<Int> parse_number(std::string_view s) {
  Int v{};
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The URL as an error message may show it: credentials hidden (a log must
// never hold the password), and only a short, printable sample.
std::string redacted(std::string_view url) {
  const auto at = url.rfind('@');
  if (at == std::string_view::npos) return sample(url, 200);
  // Everything before the last '@' may hold credentials: only a known
  // scheme is kept of it.
  std::string shown;
  if (url.starts_with("redis://")) shown = "redis://";
  if (url.starts_with("rediss://")) shown = "rediss://";
  shown += "***";
  shown += url.substr(at);
  return sample(shown, 200);
}

}  // namespace

tl::expected<endpoint, std::string> parse_url(std::string_view url) {
  auto fail = [&](std::string_view why) {
    return tl::unexpected<std::string>(fmt::format("redis URL \"{}\": {}", redacted(url), why));
  };
  endpoint ep;
  std::string_view rest = url;
  if (rest.starts_with("redis://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("rediss://")) {
    rest.remove_prefix(9);
    ep.tls = true;
  } else {
    return fail("must start with redis:// or rediss://");
  }

  // The path (the database) and anything after the authority.
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (rest.find_first_of("?#") != std::string_view::npos)
    return fail("query strings and fragments are not supported");

  // Credentials: everything before the last '@' (a password may contain '@'
  // only percent-encoded, but be lenient with the last one).
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view creds = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user = creds;
    std::string_view pass;
    bool has_pass = false;
    if (auto colon = creds.find(':'); colon != std::string_view::npos) {
      user = creds.substr(0, colon);
      pass = creds.substr(colon + 1);
      has_pass = true;
    }
    auto u = percent_decode(user);
    if (!u) return fail("bad percent-encoding in the user name");
    auto p = percent_decode(pass);
    if (!p) return fail("bad percent-encoding in the password");
    if (!has_pass) {
      // redis://secret@host: a lone name is the password (as redis-cli reads it).
      ep.password = std::move(*u);
    } else {
      ep.user = std::move(*u);
      ep.password = std::move(*p);
      if (ep.password.empty() && !ep.user.empty()) return fail("a user name needs a password");
    }
  }

  // Host and port.
  std::string_view port;
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return fail("an IPv6 address needs its closing ']'");
    ep.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail("expected ':port' after ']'");
      port = rest.substr(1);
      if (port.empty()) return fail("the port is empty");
    }
  } else {
    if (auto colon = rest.find(':'); colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
      if (port.empty()) return fail("the port is empty");
    }
    ep.host = std::string(rest);
  }
  if (ep.host.empty()) return fail("the host is missing");
  if (ep.host.find_first_of(" \t\r\n") != std::string::npos) return fail("the host contains whitespace");
  if (!port.empty()) {
    auto p = parse_number<unsigned>(port);
    if (!p || *p == 0 || *p > 65535)
      return fail(fmt::format("the port \"{}\" is not a number from 1 to 65535", port));
    ep.port = static_cast<std::uint16_t>(*p);
  }

  // The database number.
  if (!path.empty()) {
    auto db = parse_number<int>(path);
    if (!db || *db < 0) return fail(fmt::format("the database \"{}\" is not a number from 0 up", path));
    ep.db = *db;
  }
  return ep;
}

std::string describe(const endpoint& ep) {
  if (ep.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", ep.host, ep.port);
  return fmt::format("{}:{}", ep.host, ep.port);
}

}  // namespace redis
