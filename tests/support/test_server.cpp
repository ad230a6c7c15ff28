#include "support/test_server.hpp"

#include <spdlog/spdlog.h>

namespace test {

net::server_config test_config(std::size_t threads) {
  net::server_config cfg;
  cfg.host = "127.0.0.1";
  cfg.seed_port = 0;
  cfg.irc_port = 0;
  cfg.http_port = 0;
  cfg.https_port = 0;
  cfg.metrics_port = 0;
  cfg.threads = threads;
  cfg.shutdown_grace = std::chrono::milliseconds(1000);
  // Load tests send as fast as they can; the flood tests turn it back on.
  cfg.lim.flood_rate = 0;
  // Every test client comes from 127.0.0.1: the admission tests set limits.
  cfg.admit.max_per_address = 0;
  cfg.admit.connect_rate = 0;
  return cfg;
}

test_server::test_server(net::server_config cfg) : server_(std::make_unique<net::server>(std::move(cfg))) {
  // Quiet by default; CHAT_TEST_LOG=debug shows the server's log.
  const char* level = std::getenv("CHAT_TEST_LOG");
  spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::warn);
  server_->start();
  runner_ = std::thread([this] { server_->run(); });
}

test_server::~test_server() {
  stop();
}

void test_server::stop() {
  if (runner_.joinable()) {
    server_->shutdown();
    runner_.join();
  }
}

std::uint16_t test_server::port() const {
  return server_->seed_endpoint().port();
}
std::uint16_t test_server::irc_port() const {
  return server_->irc_endpoint().port();
}

}  // namespace test
