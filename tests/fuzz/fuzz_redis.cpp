// libFuzzer harness for the redis module's parsers: the RESP2 decoder and
// parse_url. Input: one byte whose low bit picks the target, then the bytes.
// Oracles: decoding in one feed or in pseudo-random chunks gives the same
// replies and the same verdict; a command decodes as its arguments; a URL
// error never shows the password.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "redis/resp.hpp"
#include "redis/url.hpp"

namespace {

// Small, so that the size bound is exercised too.
constexpr std::size_t kFuzzMaxReply = 4096;

struct outcome {
  std::vector<redis::reply> replies;
  std::optional<redis::resp_errc> failed;
};

outcome decode(std::string_view bytes, fuzz::rng* chunks) {
  redis::decoder d(kFuzzMaxReply);
  outcome out;
  std::size_t at = 0;
  while (!out.failed) {
    const std::size_t n = chunks != nullptr ? chunks->chunk(bytes.size() - at) : bytes.size() - at;
    d.feed(bytes.substr(at, n));
    at += n;
    for (;;) {
      auto r = d.next();
      if (!r) {
        out.failed = r.error().code;
        break;
      }
      if (!*r) break;
      out.replies.push_back(std::move(**r));
    }
    if (at == bytes.size()) break;
  }
  return out;
}

void check_decoder(std::string_view bytes) {
  const auto whole = decode(bytes, nullptr);
  fuzz::rng chunks(fuzz::hash(bytes));
  const auto pieces = decode(bytes, &chunks);
  // Chunking may only change when a too-large reply is noticed (before or
  // after more replies were taken), never the replies or a protocol verdict.
  if (whole.failed != redis::resp_errc::too_large && pieces.failed != redis::resp_errc::too_large) {
    FUZZ_CHECK(whole.failed == pieces.failed);
    FUZZ_CHECK(whole.replies == pieces.replies);
  }

  // Round trip: the input's lines as a command's arguments.
  std::vector<std::string_view> args;
  std::string_view rest = bytes;
  while (!rest.empty() && args.size() < 64) {
    const auto nl = rest.find('\n');
    args.push_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  if (args.empty()) return;
  redis::decoder d;
  d.feed(redis::encode_command(args));
  auto r = d.next();
  FUZZ_CHECK(r.has_value() && r->has_value());
  const auto& got = **r;
  FUZZ_CHECK(got.is_array() && got.elements.size() == args.size());
  for (std::size_t i = 0; i < args.size(); ++i)
    FUZZ_CHECK(got.elements[i] == redis::reply::string(std::string(args[i])));
}

void check_url(std::string_view text) {
  const auto ep = redis::parse_url(text);
  if (ep) {
    FUZZ_CHECK(!ep->host.empty());
    FUZZ_CHECK(ep->port != 0);
    FUZZ_CHECK(ep->db >= 0);
    FUZZ_CHECK(!redis::describe(*ep).empty());
    return;
  }
  FUZZ_CHECK(ep.error().starts_with("redis URL"));
  // The password (between the first ':' of the authority and its '@') is
  // never in the error, unless the input repeats it after the '@'. Only
  // for URLs whose authority is all before any '/' (else the '@' may be
  // part of the database, which the error does quote).
  const auto scheme = text.find("://");
  if (scheme == std::string_view::npos) return;
  const auto authority = text.substr(scheme + 3);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos || authority.substr(0, at).find('/') != std::string_view::npos) return;
  const auto colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return;
  const auto password = authority.substr(colon + 1, at - colon - 1);
  if (password.size() < 8 || authority.substr(at + 1).find(password) != std::string_view::npos) return;
  // The error shows bytes through redis::sample, which writes '?' for a
  // byte it will not print, "..." where it cuts, and "***" for what it
  // hides: a password made of those could be matched by the error's own
  // text, not by a leak.
  if (password.find_first_of("?.*") != std::string_view::npos) return;
  // Only the quoted URL: the reason after it is our own fixed text.
  const std::string_view err = ep.error();
  const auto quoted = err.substr(std::string_view("redis URL \"").size());
  FUZZ_CHECK(quoted.substr(0, quoted.rfind("\": ")).find(password) == std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) == 0) {
    check_decoder(rest);
  } else {
    check_url(rest);
  }
  return 0;
}
