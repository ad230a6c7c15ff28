// A real redis-server for tests: 127.0.0.1 on a free port, no persistence,
// in a fresh temporary directory; stop, restart (same port) and SIGKILL for
// the reconnect tests. Killed in the destructor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace test {

// A port on 127.0.0.1 that nobody listens on right now (bind to 0, close):
// for a second listener such as --tls-port.
std::uint16_t free_port();

class redis_server {
 public:
  // extra: more redis-server arguments, e.g. {"--requirepass", "pw"}.
  explicit redis_server(std::vector<std::string> extra = {});
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;
  ~redis_server();

  std::uint16_t port() const noexcept { return port_; }
  const std::filesystem::path& dir() const noexcept { return dir_; }
  // redis://127.0.0.1:port plus `suffix` (e.g. "/2").
  std::string url(const std::string& suffix = "") const;
  bool running() const noexcept { return pid_ > 0; }

  // SIGTERM and wait.
  void stop();
  // SIGKILL and wait: the connections break without a goodbye.
  void kill();
  // SIGSTOP and SIGCONT: a server that hangs, its connections still open.
  void pause();
  void resume();
  // Starts again on the same port; throws if it does not answer PING in time.
  void restart();

 private:
  // Starts redis-server on port_ and waits for PING; false if it exited
  // (the port was taken meanwhile) or did not answer in time.
  bool launch();
  void signal_and_wait(int sig);

  std::vector<std::string> extra_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace test
