#include "support/irc_client.hpp"

#include <stdexcept>

namespace test {

std::optional<std::string> irc_client::line(std::chrono::milliseconds timeout) {
  const auto at = fill_until("\r\n", std::chrono::steady_clock::now() + timeout);
  if (at == std::string::npos) return std::nullopt;
  auto out = take(at);
  take(2);
  return out;
}

std::optional<std::string> irc_client::expect(std::string_view needle, std::chrono::milliseconds timeout) {
  skipped_.clear();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto l = line(left);
    if (!l) return std::nullopt;
    if (l->find(needle) != std::string::npos) return l;
    skipped_.push_back(std::move(*l));
  }
}

void irc_client::join(std::string_view room) {
  send("JOIN " + std::string(room));
  if (!expect(" 366 ")) throw std::runtime_error("no end of names after joining " + std::string(room));
}

void irc_client::register_as(std::string_view nick) {
  send("NICK " + std::string(nick));
  send("USER " + std::string(nick) + " 0 * :Test user " + std::string(nick));
  const auto welcome = expect(" 001 ");
  if (!welcome) throw std::runtime_error("registration of " + std::string(nick) + " failed");
  for (;;) {
    auto l = line();
    if (!l) throw std::runtime_error("no end of welcome for " + std::string(nick));
    if (l->find(" 376 ") != std::string::npos || l->find(" 422 ") != std::string::npos) return;
  }
}

irc_client irc_login(std::uint16_t port, std::string_view nick) {
  irc_client c(port);
  c.register_as(nick);
  return c;
}

}  // namespace test
