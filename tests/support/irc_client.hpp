// An IRC test client: lines in and out, with waits that skip what a test is
// not looking at.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/test_socket.hpp"

namespace test {

class irc_client : public test_socket {
 public:
  using test_socket::test_socket;

  // Sends `line` with CRLF.
  void send(std::string_view line) { send_raw(std::string(line) + "\r\n"); }

  // The next line without its CRLF; nullopt on EOF, reset or timeout.
  std::optional<std::string> line(std::chrono::milliseconds timeout = kWait);

  // Reads lines until one contains `needle`; returns it (nullopt if the
  // connection ends or time runs out). Skipped lines are kept in skipped().
  std::optional<std::string> expect(std::string_view needle, std::chrono::milliseconds timeout = kWait);

  // Lines skipped by the last expect().
  const std::vector<std::string>& skipped() const noexcept { return skipped_; }

  // JOIN `room`, then waits for the end of its names list (366).
  // Throws if it does not come.
  void join(std::string_view room);

  // NICK + USER, then waits for the end of the welcome (376 or 422).
  // Throws if registration does not complete.
  void register_as(std::string_view nick);

 private:
  std::vector<std::string> skipped_;
};

// A connected and registered client.
irc_client irc_login(std::uint16_t port, std::string_view nick);

}  // namespace test
