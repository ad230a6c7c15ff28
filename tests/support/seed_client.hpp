// A seed-protocol test client with its own frame reader (independent of the
// server's decoder).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "support/test_socket.hpp"

namespace test {

// The wire bytes of one frame, built independently of the server's encoder.
std::string frame(std::string_view payload);

class seed_client : public test_socket {
 public:
  using test_socket::test_socket;

  void send(std::string_view payload) { send_raw(frame(payload)); }

  // The next frame's payload; nullopt on EOF, reset or timeout.
  std::optional<std::string> recv(std::chrono::milliseconds timeout = kWait);
};

// Connects, sends `name`, and checks the reply is "You have joined the chat!".
seed_client login(std::uint16_t port, std::string_view name);

}  // namespace test
