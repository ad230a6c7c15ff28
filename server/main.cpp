// chat-server: runs the chat server until SIGINT or SIGTERM.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

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

// The lines of a text file, without line ends.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

int main(int argc, char** argv) {
  net::server_config cfg;
  std::string log_level = "info";
  long long login_timeout_ms = cfg.lim.login_timeout.count();

  CLI::App app{
      "Chat server: IRC, and a drop-in replacement for the seed Python chatroom server, on shared rooms."};
  app.add_option("--host", cfg.host, "Address to listen on")->capture_default_str();
  app.add_option("--port,--seed-port", cfg.seed_port,
                 "Port of the seed-compatible listener (0: any free port)")
      ->capture_default_str();
  app.add_option("--irc-port", cfg.irc_port, "Port of the IRC listener (0: any free port)")
      ->capture_default_str();
  bool no_seed = false;
  bool no_irc = false;
  app.add_flag("--no-seed", no_seed, "Do not open the seed-compatible listener");
  app.add_flag("--no-irc", no_irc, "Do not open the IRC listener");
  app.add_option("--server-name", cfg.irc.server_name, "Server name shown to IRC clients")
      ->capture_default_str();
  app.add_option("--network", cfg.irc.network, "Network name shown to IRC clients")->capture_default_str();
  std::string motd_file;
  app.add_option("--motd-file", motd_file, "Message of the day for IRC clients, one line per line")
      ->check(CLI::ExistingFile);
  std::string password_file;
  app.add_option("--password-file", password_file,
                 "File whose first line is the IRC server password (PASS); none by default")
      ->check(CLI::ExistingFile);
  app.add_option("--threads", cfg.threads, "Event-loop threads (0: one per core)")->capture_default_str();
  app.add_option("--max-outbox", cfg.lim.outbox_bytes,
                 "Bytes queued for one slow client before it is disconnected")
      ->capture_default_str();
  app.add_option("--flood-burst", cfg.lim.flood_burst,
                 "Commands a client may send at once before flood control")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--flood-rate", cfg.lim.flood_rate,
                 "Commands per second a client may send after its burst; more wait (0: no flood control)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-recvq", cfg.lim.recvq_bytes,
                 "Bytes a throttled client may have waiting before it is disconnected (Excess Flood)")
      ->capture_default_str();
  app.add_option("--max-connections", cfg.admit.max_connections,
                 "Connections open at once (0: the open-file limit less a reserve)")
      ->capture_default_str();
  app.add_option("--max-connections-per-ip", cfg.admit.max_per_address,
                 "Connections open at once from one address (0: no cap)")
      ->capture_default_str();
  app.add_option("--connect-burst", cfg.admit.connect_burst, "New connections one address may open at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--connect-rate", cfg.admit.connect_rate,
                 "New connections per second one address may open after its burst (0: no cap)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--login-timeout-ms", login_timeout_ms, "Time a new client has to send its username")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  CLI11_PARSE(app, argc, argv);
  cfg.lim.login_timeout = std::chrono::milliseconds(login_timeout_ms);
  cfg.seed_enabled = !no_seed;
  cfg.irc_enabled = !no_irc;
  if (!motd_file.empty()) cfg.irc.motd = read_lines(motd_file);
  if (!password_file.empty()) {
    auto lines = read_lines(password_file);
    cfg.irc.password = lines.empty() ? std::string() : lines.front();
  }

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
    spdlog::info("running on {} threads, at most {} connections", server.threads(), server.max_connections());
    server.run();
    spdlog::info("stopped");
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return EXIT_FAILURE;
  }
}
