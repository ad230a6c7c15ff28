// chat-client: a console chat client. It speaks IRC to our server or any
// other IRC server, or with --seed the original Python chatroom's protocol,
// and keeps the original's commands: !who, !msg <user> <text>, !logout.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <CLI/CLI.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "client/app.hpp"
#include "version/version.hpp"

namespace {

void watch_resize(asio::signal_set& winch, client::app& app) {
  winch.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    app.resized();
    watch_resize(winch, app);
  });
}

}  // namespace

// Exit codes: 0, 1 when the connection fails, and this for a usage error.
constexpr int kExitUsage = 2;

int main(int argc, char** argv) {
  client::app_options options;
  std::string password_file;
  CLI::App cli{
      "Console chat client. Type text to talk in the room; !who, !msg <user> <text> and !logout work as in "
      "the "
      "original chatroom; !help lists the rest."};
  cli.add_option("--host", options.host, "Server address")->capture_default_str();
  cli.add_option("--port,-p", options.port, "Server port (default: 6667, or 1234 with --seed)");
  cli.add_option("--nick,-n,--user,-u", options.nick, "Nick (asked for if not given)");
  cli.add_option("--room,-r", options.room, "Room to join (IRC)")->capture_default_str();
  cli.add_flag("--seed", options.seed, "Speak the original Python chatroom's protocol instead of IRC");
  cli.add_option("--password-file", password_file, "File holding the IRC server password (PASS)")
      ->check(CLI::ExistingFile);
  cli.add_flag("--bell-on-mention", options.bell_on_mention,
               "Ring the terminal's bell when a message names you or is sent to you privately");
  cli.add_flag("!--no-reconnect", options.reconnect, "Exit when the connection is lost instead of retrying");
  cli.add_flag(
      "--tls", options.tls,
      "Connect over TLS (default port 6697), verifying the certificate and host name against the system's "
      "CAs");
  cli.add_option("--tls-ca", options.tls_ca, "Also trust this CA certificate file (PEM), e.g. a private CA")
      ->check(CLI::ExistingFile);
  cli.add_flag("--insecure", options.insecure,
               "With --tls: do not verify the certificate (anyone in between can read and change the chat)");
  cli.set_version_flag("--version", "chat-client " + std::string(chat::version()));
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a usage error 2, as in chat-server.
    return cli.exit(e) == 0 ? EXIT_SUCCESS : kExitUsage;
  }

  if (options.insecure && options.tls) {
    std::fprintf(
        stderr,
        "chat-client: warning: --insecure: the server's certificate is not checked; anyone in between can "
        "read and change the conversation\n");
  }
  if ((options.insecure || !options.tls_ca.empty()) && !options.tls) {
    std::fprintf(stderr, "chat-client: --insecure and --tls-ca need --tls\n");
    return kExitUsage;
  }
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    std::getline(in, options.password);
  }
  if (options.room.empty() || (options.room.front() != '#' && options.room.front() != '&')) {
    options.room.insert(0, "#");
  }

  try {
    asio::io_context io(1);
    client::app app(io, options);
    int status = 1;
    asio::signal_set stop(io, SIGINT, SIGTERM);
    asio::signal_set winch(io, SIGWINCH);
    asio::steady_timer give_up(io);
    auto stop_now = [&] {
      app.interrupt();
      status = 0;
      io.stop();
    };
    stop.async_wait([&](std::error_code ec, int) {
      if (ec) return;
      // Ctrl-C: say goodbye (QUIT with a reason) and leave once the server
      // closes, without a retry. A second Ctrl-C, or a server that does not
      // close in time, stops at once.
      if (!app.leave()) return stop_now();
      stop.async_wait([&](std::error_code again, int) {
        if (!again) stop_now();
      });
      give_up.expires_after(client::kLogoutGrace + std::chrono::seconds(1));
      give_up.async_wait([&](std::error_code timer) {
        if (!timer) stop_now();
      });
    });
    watch_resize(winch, app);
    asio::co_spawn(io, app.run(), [&](std::exception_ptr e, int result) {
      if (e) std::rethrow_exception(e);
      status = result;
      io.stop();
    });
    io.run();
    app.interrupt();
    return status;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chat-client: %s\n", e.what());
    return EXIT_FAILURE;
  }
}
