// The Redis backend's encodings (redis_codec.hpp).
#include "store/redis_codec.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace store::redis_codec {

namespace {

constexpr std::uint64_t kOffset = std::uint64_t{1} << 63U;
// Fields of an encoded line and of an encoded channel.
constexpr std::size_t kLineFields = 9;
constexpr std::size_t kChannelFields = 7;

void put(std::string& out, std::string_view field) {
  out.append(std::to_string(field.size())).push_back(':');
  out.append(field);
}

// Splits "<n>:<bytes>..." into exactly `count` fields; nullopt if it is not that.
std::optional<std::vector<std::string_view>> fields(std::string_view v, std::size_t count) {
  std::vector<std::string_view> out;
  out.reserve(count);
  while (!v.empty()) {
    const auto colon = v.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 10) return std::nullopt;
    std::size_t n = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + colon, n);
    if (ec != std::errc() || p != v.data() + colon || n > v.size() - colon - 1) return std::nullopt;
    out.push_back(v.substr(colon + 1, n));
    v.remove_prefix(colon + 1 + n);
    if (out.size() > count) return std::nullopt;
  }
  if (out.size() != count) return std::nullopt;
  return out;
}

}  // namespace

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t n = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

std::optional<std::int64_t> parse_score(std::string_view s) {
  if (auto n = parse_int(s)) return n;
  // Large scores come back in exponent notation; a time in milliseconds is
  // exact in a double (below 2^53).
  double d = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  if (d < -9.0e18 || d > 9.0e18) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

std::string at_key(std::int64_t at) {
  return fmt::format("{:016x}", static_cast<std::uint64_t>(at) ^ kOffset);
}

std::string member(std::int64_t at, std::uint64_t id) {
  return fmt::format("{:016x}{:016x}", static_cast<std::uint64_t>(at) ^ kOffset, id);
}

std::optional<std::int64_t> at_of(std::string_view m) {
  if (m.size() < kHalfDigits) return std::nullopt;
  std::uint64_t u = 0;
  const auto [p, ec] = std::from_chars(m.data(), m.data() + kHalfDigits, u, 16);
  if (ec != std::errc() || p != m.data() + kHalfDigits) return std::nullopt;
  return static_cast<std::int64_t>(u ^ kOffset);
}

std::string key(std::string_view what) {
  std::string k(kPrefix);
  k.append(what);
  return k;
}

std::string target_key(std::string_view target, std::string_view part) {
  // The part has no ':', so the last ':' splits any key back uniquely,
  // whatever the target holds.
  std::string k = key("t:");
  k.append(target).push_back(':');
  k.append(part);
  return k;
}

std::string encode_line(const line& l) {
  std::string out;
  out.reserve(l.msgid.size() + l.target.size() + l.source.size() + l.account.size() + l.to.size() +
              l.text.size() + l.tags.size() + 48);
  put(out, l.msgid);
  put(out, l.target);
  put(out, std::to_string(l.at_ms));
  put(out, std::to_string(static_cast<int>(l.kind)));
  put(out, l.source);
  put(out, l.account);
  put(out, l.to);
  put(out, l.text);
  put(out, l.tags);
  return out;
}

std::optional<line> decode_line(std::string_view v) {
  auto f = fields(v, kLineFields);
  if (!f) return std::nullopt;
  const auto at = parse_int((*f)[2]);
  const auto kind = parse_int((*f)[3]);
  if (!at || !kind || *kind < 0 || *kind > static_cast<std::int64_t>(line_kind::kick)) return std::nullopt;
  line l;
  l.msgid = (*f)[0];
  l.target = (*f)[1];
  l.at_ms = *at;
  l.kind = static_cast<line_kind>(*kind);
  l.source = (*f)[4];
  l.account = (*f)[5];
  l.to = (*f)[6];
  l.text = (*f)[7];
  l.tags = (*f)[8];
  return l;
}

std::string encode_channel(const channel& c, std::string_view founder_folded) {
  std::string out;
  put(out, c.name);
  put(out, founder_folded);
  put(out, std::to_string(c.registered_ms));
  put(out, c.topic);
  put(out, c.topic_by);
  put(out, std::to_string(c.topic_at_ms));
  put(out, c.modes);
  return out;
}

std::optional<channel> decode_channel(std::string_view v) {
  auto f = fields(v, kChannelFields);
  if (!f) return std::nullopt;
  const auto registered = parse_int((*f)[2]);
  const auto topic_at = parse_int((*f)[5]);
  if (!registered || !topic_at) return std::nullopt;
  channel c;
  c.name = (*f)[0];
  c.founder = (*f)[1];  // folded here; the caller puts the account's name
  c.registered_ms = *registered;
  c.topic = (*f)[3];
  c.topic_by = (*f)[4];
  c.topic_at_ms = *topic_at;
  c.modes = (*f)[6];
  return c;
}

}  // namespace store::redis_codec
