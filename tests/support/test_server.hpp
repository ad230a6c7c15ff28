// Runs a real chat server in the test process, bound to 127.0.0.1 on an
// ephemeral port, on its own threads.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>

#include "net/server.hpp"

namespace test {

// Defaults for tests: loopback, ephemeral port, several event-loop threads so
// that concurrency bugs have a chance to show.
net::server_config test_config(std::size_t threads = 4);

class test_server {
 public:
  explicit test_server(net::server_config cfg = test_config());
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;
  ~test_server();

  std::uint16_t port() const;  // the seed listener
  std::uint16_t irc_port() const;
  net::server& get() noexcept { return *server_; }

  // Graceful shutdown; returns once the server's threads have finished.
  void stop();

 private:
  std::unique_ptr<net::server> server_;
  std::thread runner_;
};

}  // namespace test
