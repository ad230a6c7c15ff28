#include "support/seed_client.hpp"

#include <stdexcept>

namespace test {

std::string frame(std::string_view payload) {
  std::string header = std::to_string(payload.size());
  header.resize(10, ' ');
  return header + std::string(payload);
}

std::optional<std::string> seed_client::recv(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!fill(10, deadline)) return std::nullopt;
  const auto length = std::stoul(std::string(buffered().substr(0, 10)));
  if (!fill(10 + length, deadline)) return std::nullopt;
  take(10);
  return take(length);
}

seed_client login(std::uint16_t port, std::string_view name) {
  seed_client c(port);
  c.send(name);
  auto reply = c.recv();
  if (reply != "You have joined the chat!") {
    throw std::runtime_error("login of " + std::string(name) + " failed: " + reply.value_or("<nothing>"));
  }
  return c;
}

}  // namespace test
