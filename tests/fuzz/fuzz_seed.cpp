// libFuzzer harness for the seed protocol: parse_header, decode_frame, the
// incremental frame_decoder, encode_frame, parse_command and parse_username.
// Input: one config byte (payload limit, chunking), then the byte stream.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_support.hpp"
#include "protocol/errc.hpp"
#include "protocol/limits.hpp"
#include "protocol/nick.hpp"
#include "protocol/seed.hpp"
#include "protocol/utf8.hpp"

namespace {

namespace seed = protocol::seed;
using protocol::errc;
using protocol::kMaxSeedPayload;
using protocol::kSeedHeaderSize;

// What a stream decodes to: its frames in order, then how it ends.
struct outcome {
  std::vector<std::string> frames;
  std::optional<errc> error;  // the stream is invalid from some point on
  std::size_t pending = 0;    // bytes of a trailing incomplete frame
  friend bool operator==(const outcome&, const outcome&) = default;
};

bool within(std::string_view part, std::string_view whole) noexcept {
  const auto p = reinterpret_cast<std::uintptr_t>(part.data());
  const auto w = reinterpret_cast<std::uintptr_t>(whole.data());
  return part.empty() || (p >= w && p + part.size() <= w + whole.size());
}

// parse_command and parse_username on one payload.
void check_payload(std::string_view payload) {
  const auto cmd = seed::parse_command(payload);
  if (cmd.has_value()) {
    FUZZ_CHECK(!payload.empty() && protocol::is_valid_utf8(payload));
    if (const auto* s = std::get_if<seed::say>(&*cmd)) {
      FUZZ_CHECK(s->text.data() == payload.data() && s->text.size() == payload.size());
    } else if (const auto* m = std::get_if<seed::private_message>(&*cmd)) {
      FUZZ_CHECK(within(m->to, payload) && within(m->text, payload));
      FUZZ_CHECK(!m->to.empty() && m->to.find(' ') == std::string_view::npos && !m->text.empty());
      FUZZ_CHECK(payload.substr(0, 5) == "!msg " && m->to.data() == payload.data() + 5);
      FUZZ_CHECK(m->text.data() == m->to.data() + m->to.size() + 1);
      FUZZ_CHECK(m->text.data() + m->text.size() == payload.data() + payload.size());
    } else if (std::holds_alternative<seed::who>(*cmd)) {
      FUZZ_CHECK(payload == "!who");
    } else {
      FUZZ_CHECK(payload == "!logout");
    }
  } else {
    const auto e = cmd.error();
    FUZZ_CHECK((e == errc::empty_message) == payload.empty());
    FUZZ_CHECK(e == errc::empty_message || e == errc::invalid_utf8 || e == errc::msg_usage);
    FUZZ_CHECK((e == errc::invalid_utf8) == (!payload.empty() && !protocol::is_valid_utf8(payload)));
  }

  const auto user = seed::parse_username(payload);
  if (user.has_value()) {
    FUZZ_CHECK(user->data() == payload.data() && user->size() == payload.size());
    FUZZ_CHECK(!payload.empty() && payload.size() <= protocol::kMaxNickLength);
    FUZZ_CHECK(protocol::parse_nick(payload).has_value());
  } else {
    const auto e = user.error();
    FUZZ_CHECK(e == errc::invalid_utf8 || e == errc::nick_empty || e == errc::nick_too_long ||
               e == errc::nick_invalid);
  }
}

// decode_frame on the front of `in`, checked against shorter inputs:
// incomplete and invalid must be told apart consistently.
tl::expected<std::optional<seed::frame>, errc> decode_checked(std::string_view in, std::size_t max_payload) {
  const auto r = seed::decode_frame(in, max_payload);
  for (std::size_t k = 0; k < std::min(in.size(), kSeedHeaderSize); ++k) {
    const auto prefix = seed::decode_frame(in.substr(0, k), max_payload);
    if (prefix.has_value()) {
      FUZZ_CHECK(!prefix->has_value());  // under ten bytes, never a frame
    } else {
      // Refused early only if no completion could be valid.
      FUZZ_CHECK(prefix.error() == errc::frame_header_invalid);
      FUZZ_CHECK(!r.has_value() && r.error() == errc::frame_header_invalid);
    }
  }
  if (in.size() >= kSeedHeaderSize) {
    const auto header = seed::parse_header(in.substr(0, kSeedHeaderSize), max_payload);
    FUZZ_CHECK(header.has_value() == r.has_value());
    if (!header.has_value()) {
      FUZZ_CHECK(header.error() == r.error());
    } else {
      FUZZ_CHECK(*header <= max_payload);
      FUZZ_CHECK(r->has_value() == (in.size() - kSeedHeaderSize >= *header));
    }
  }
  if (r.has_value() && r->has_value()) {
    const auto& f = **r;
    FUZZ_CHECK(f.wire_size == kSeedHeaderSize + f.payload.size() && f.wire_size <= in.size());
    FUZZ_CHECK(f.payload.data() == in.data() + kSeedHeaderSize && f.payload.size() <= max_payload);
    // Exactly the frame's bytes decode to it; one byte fewer is incomplete.
    const auto exact = seed::decode_frame(in.substr(0, f.wire_size), max_payload);
    FUZZ_CHECK(exact.has_value() && exact->has_value() && (*exact)->wire_size == f.wire_size);
    const auto short_by_one = seed::decode_frame(in.substr(0, f.wire_size - 1), max_payload);
    FUZZ_CHECK(short_by_one.has_value() && !short_by_one->has_value());
  }
  return r;
}

outcome decode_whole(std::string_view in, std::size_t max_payload) {
  outcome o;
  for (;;) {
    const auto r = decode_checked(in, max_payload);
    if (!r.has_value()) {
      o.error = r.error();
      return o;
    }
    if (!r->has_value()) {
      o.pending = in.size();
      return o;
    }
    check_payload((*r)->payload);
    o.frames.emplace_back((*r)->payload);
    in.remove_prefix((*r)->wire_size);
  }
}

// frame_decoder through prepare()/commit() or feed(), then next().
outcome decode_pulled(std::string_view in, std::size_t max_payload, fuzz::rng& r) {
  seed::frame_decoder d(max_payload);
  outcome o;
  while (!in.empty()) {
    const auto n = r.chunk(in.size());
    const auto bits = r.next();
    if (bits % 2 == 0) {
      d.feed(in.substr(0, n));
    } else {
      const auto extra = static_cast<std::size_t>(bits >> 8) % 32;  // a short read
      const auto space = d.prepare(n + extra);
      FUZZ_CHECK(space.size() == n + extra);
      std::copy_n(in.data(), n, space.data());
      d.commit(n);
    }
    in.remove_prefix(n);
    for (;;) {
      const auto f = d.next();
      if (!f.has_value()) {
        const auto again = d.next();
        FUZZ_CHECK(!again.has_value() && again.error() == f.error());  // sticky
        o.error = f.error();
        return o;
      }
      if (!f->has_value()) {
        break;
      }
      o.frames.emplace_back(**f);
    }
    if (bits % 3 == 0) {
      d.shrink_if_empty();
    }
  }
  o.pending = d.buffered();
  return o;
}

// frame_decoder through consume().
outcome decode_pushed(std::string_view in, std::size_t max_payload, fuzz::rng& r) {
  seed::frame_decoder d(max_payload);
  outcome o;
  while (!in.empty()) {
    const auto n = r.chunk(in.size());
    const auto ok = d.consume(in.substr(0, n), [&](std::string_view payload) {
      o.frames.emplace_back(payload);
      return true;
    });
    in.remove_prefix(n);
    if (!ok.has_value()) {
      o.error = ok.error();
      return o;
    }
  }
  o.pending = d.buffered();
  return o;
}

void check_encode(std::string_view payload) {
  const auto wire = seed::encode_frame(payload);
  FUZZ_CHECK(wire.size() == kSeedHeaderSize + payload.size());
  const auto limit = std::max(payload.size(), kMaxSeedPayload);
  const auto f = seed::decode_frame(wire, limit);
  FUZZ_CHECK(f.has_value() && f->has_value());
  FUZZ_CHECK((*f)->payload == payload && (*f)->wire_size == wire.size());
  const auto header = seed::parse_header(std::string_view(wire).substr(0, kSeedHeaderSize), limit);
  FUZZ_CHECK(header.has_value() && *header == payload.size());
  FUZZ_CHECK(wire[0] >= '0' && wire[0] <= '9');  // left-aligned
  std::string appended = "x";
  seed::append_frame(appended, payload);
  FUZZ_CHECK(appended.size() == wire.size() + 1 && std::string_view(appended).substr(1) == wire);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const auto config = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  // Small limits make frame_too_large reachable with small inputs.
  constexpr std::size_t kLimits[] = {kMaxSeedPayload, 0, 5, 64};
  const auto max_payload = kLimits[config % 4];

  const auto whole = decode_whole(stream, max_payload);
  fuzz::rng r(fuzz::hash(stream) ^ config);
  FUZZ_CHECK(decode_pulled(stream, max_payload, r) == whole);
  FUZZ_CHECK(decode_pushed(stream, max_payload, r) == whole);

  check_payload(stream);
  check_encode(stream);
  // The limit only turns a length into frame_too_large, never the other way.
  const auto header = stream.substr(0, kSeedHeaderSize);
  const auto unlimited = seed::parse_header(header, std::numeric_limits<std::size_t>::max());
  const auto limited = seed::parse_header(header, max_payload);
  if (unlimited.has_value()) {
    FUZZ_CHECK(limited.has_value() == (*unlimited <= max_payload));
    FUZZ_CHECK(limited.has_value() ? *limited == *unlimited : limited.error() == errc::frame_too_large);
  } else {
    FUZZ_CHECK(!limited.has_value() && limited.error() == unlimited.error());
  }
  return 0;
}
