// A blocking TCP client socket on raw POSIX calls for tests, with a receive
// buffer and a deadline on every wait, so that no test can hang. Protocol
// clients (seed, IRC) read their framing out of its buffer.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace test {

using namespace std::chrono_literals;

// Generous: the tests must pass on a loaded machine.
inline constexpr std::chrono::milliseconds kWait = 10s;
// How long "nothing arrives" is observed for.
inline constexpr std::chrono::milliseconds kQuiet = 300ms;

class test_socket {
 public:
  // Connects to 127.0.0.1:port.
  explicit test_socket(std::uint16_t port);
  test_socket(test_socket&& other) noexcept;
  test_socket& operator=(test_socket&&) = delete;
  test_socket(const test_socket&) = delete;
  ~test_socket();

  void send_raw(std::string_view bytes);

  // Reads until at least `n` bytes are buffered; false on EOF, error or deadline.
  bool fill(std::size_t n, std::chrono::steady_clock::time_point deadline);
  // Reads until `needle` is in the buffer; its position, or npos.
  std::size_t fill_until(std::string_view needle, std::chrono::steady_clock::time_point deadline);
  // Removes and returns the first `n` buffered bytes.
  std::string take(std::size_t n);
  std::string_view buffered() const noexcept { return buf_; }

  // Exactly `n` raw bytes; nullopt on EOF, reset or timeout.
  std::optional<std::string> recv_bytes(std::size_t n, std::chrono::milliseconds timeout = kWait);
  // True if nothing at all arrives (and the connection stays open) for `quiet`.
  bool silent_for(std::chrono::milliseconds quiet = kQuiet);
  // True if the peer closes the connection within `timeout`; data that
  // arrives first is discarded.
  bool closed_within(std::chrono::milliseconds timeout = kWait);

  // Abortive close: the server sees a reset (SO_LINGER 0).
  void reset();
  void close();
  int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

}  // namespace test
