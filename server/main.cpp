// chat-server: runs the chat server until SIGINT or SIGTERM.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <thread>

#include <CLI/CLI.hpp>
#include <asio/signal_set.hpp>

#include "net/server.hpp"

namespace {

// Connections are file descriptors: take every one the hard limit allows.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      spdlog::warn("could not raise the open-file limit");
    }
  }
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    spdlog::info("open-file limit: {}", lim.rlim_cur);
  }
}

}  // namespace

int main(int argc, char** argv) {
  net::server_config cfg;
  std::string log_level = "info";
  long long login_timeout_ms = cfg.lim.login_timeout.count();

  CLI::App app{"Chat server: a drop-in replacement for the seed Python chatroom server."};
  app.add_option("--host", cfg.host, "Address to listen on")->capture_default_str();
  app.add_option("--port,--seed-port", cfg.seed_port,
                 "Port of the seed-compatible listener (0: any free port)")
      ->capture_default_str();
  app.add_option("--threads", cfg.threads, "Event-loop threads (0: one per core)")->capture_default_str();
  app.add_option("--max-outbox", cfg.lim.outbox_bytes,
                 "Bytes queued for one slow client before it is disconnected")
      ->capture_default_str();
  app.add_option("--login-timeout-ms", login_timeout_ms, "Time a new client has to send its username")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  CLI11_PARSE(app, argc, argv);
  cfg.lim.login_timeout = std::chrono::milliseconds(login_timeout_ms);

  auto logger = spdlog::stderr_color_mt("chat");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  try {
    raise_fd_limit();
    net::server server(cfg);
    server.start();

    asio::signal_set signals(server.context(), SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int signo) {
      if (!ec) {
        spdlog::info("received signal {}", signo);
        server.shutdown();
      }
    });
    spdlog::info("running on {} threads", server.threads());
    server.run();
    spdlog::info("stopped");
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return EXIT_FAILURE;
  }
}
