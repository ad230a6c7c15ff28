// A blocking seed-protocol test client on raw POSIX sockets, with its own
// frame reader (independent of the server's decoder), and timeouts on every
// wait so that no test can hang.
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

// The wire bytes of one frame, built independently of the server's encoder.
std::string frame(std::string_view payload);

class seed_client {
 public:
  // Connects to 127.0.0.1:port.
  explicit seed_client(std::uint16_t port);
  seed_client(seed_client&& other) noexcept;
  seed_client& operator=(seed_client&&) = delete;
  seed_client(const seed_client&) = delete;
  ~seed_client();

  void send_raw(std::string_view bytes);
  void send(std::string_view payload) { send_raw(frame(payload)); }

  // The next frame's payload; nullopt on EOF, reset or timeout.
  std::optional<std::string> recv(std::chrono::milliseconds timeout = kWait);
  // Exactly `n` raw bytes; nullopt on EOF, reset or timeout.
  std::optional<std::string> recv_bytes(std::size_t n, std::chrono::milliseconds timeout = kWait);
  // True if nothing at all arrives (and the connection stays open) for `quiet`.
  bool silent_for(std::chrono::milliseconds quiet = kQuiet);
  // True if the server closes the connection within `timeout`; frames that
  // arrive first are skipped.
  bool closed_within(std::chrono::milliseconds timeout = kWait);

  // Abortive close: the server sees a reset (SO_LINGER 0).
  void reset();
  void close();
  int fd() const noexcept { return fd_; }

 private:
  // Reads until `n` bytes are buffered; false on EOF, error or deadline.
  bool fill(std::size_t n, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

// Connects, sends `name`, and checks the reply is "You have joined the chat!".
seed_client login(std::uint16_t port, std::string_view name);

}  // namespace test
