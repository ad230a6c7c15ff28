// RESP2 on the wire: a decoder for the bytes a server sends (hiredis's
// redisReader) and the encoder for commands (redisFormatCommandArgv). Pure:
// no sockets; the only file with hiredis's C API is resp.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "redis/reply.hpp"

namespace redis {

// The most bytes one reply may take on the wire before it is complete. The
// decoder keeps a reply's bytes until it is whole, so this bounds its
// memory; past it the decoder fails with resp_errc::too_large and the
// connection is closed. Chat values are small; 64 MiB is far beyond them.
inline constexpr std::size_t kMaxReplyBytes = std::size_t{64} << 20;
// The most elements one array reply may announce: the header alone would
// otherwise make the parser allocate that many pointers.
inline constexpr long long kMaxElements = 1 << 20;
// The most arguments (command name included) one command may have.
inline constexpr std::size_t kMaxArgs = 1 << 16;

enum class resp_errc {
  protocol,   // bytes that are not RESP2 (hiredis's message says where)
  too_large,  // a reply past kMaxReplyBytes, or an array past kMaxElements
};

struct resp_error {
  resp_errc code;
  std::string message;
};

// An incremental decoder: feed() what arrives, then call next() until it
// returns nullopt (incomplete: feed more). An error is final: the decoder
// stays failed, and the connection must be closed.
class decoder {
 public:
  explicit decoder(std::size_t max_reply_bytes = kMaxReplyBytes);
  decoder(decoder&&) noexcept;
  decoder& operator=(decoder&&) noexcept;
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;
  ~decoder();

  // Appends bytes to the input. Call next() until nullopt between feeds,
  // so that the size bound sees only the incomplete reply.
  void feed(std::string_view bytes);
  // The next whole reply, nullopt if the input holds none yet, or an error.
  tl::expected<std::optional<reply>, resp_error> next();

 private:
  struct state;
  std::unique_ptr<state> s_;
};

// A command in RESP2 (an array of bulk strings), binary-safe. Precondition:
// 1 <= args.size() <= kMaxArgs (the client checks before calling).
std::string encode_command(std::span<const std::string_view> args);
std::string encode_command(std::span<const std::string> args);

}  // namespace redis
