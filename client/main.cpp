// chat-client: a console chat client. It speaks IRC to our server or any
// other IRC server, or with --seed the original Python chatroom's protocol,
// and keeps the original's commands: !who, !msg <user> <text>, !logout.
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "client/app.hpp"
#include "config/cli.hpp"
#include "version/version.hpp"

namespace {

void watch_resize(asio::signal_set& winch, client::app& app) {
  winch.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    app.resized();
    watch_resize(winch, app);
  });
}

// Everything the command line and the configuration file say.
struct cli_options {
  client::app_options app;
  std::vector<std::string> hosts = {"127.0.0.1"};  // each "host" or "host:port"; app.servers once parsed
  std::string port;                                // for the hosts without one; empty: the protocol's
  std::string password_file;
  std::string config_file;  // empty: the default, if it exists
  bool no_config = false;
  std::string profile;  // [servers.NAME] of the file; empty: its default
};

constexpr const char* kDescription =
    "Console chat client. Type text to talk in the room; !who, !msg <user> <text> and !logout work as in the "
    "original chatroom; !help lists the rest.";
// Options about this run only: a configuration file cannot set them.
constexpr std::string_view kCommandLineOnly[] = {"help", "version", "config", "no-config", "server"};
// The configuration file's table of server profiles: [servers.NAME].
constexpr const char* kProfiles = "servers";

void define_options(CLI::App& cli, cli_options& o) {
  auto& options = o.app;
  cli.add_option("--host,--hosts", o.hosts,
                 "Server address, or HOST:PORT; the option again or commas for more servers, tried in order: "
                 "a lost connection moves to the next ([v6]:PORT for an IPv6 address with a port)")
      ->delimiter(',')
      ->capture_default_str();
  cli.add_option(
      "--port,-p", o.port,
      "Server port of the hosts that name none (default: 6667, 6697 with --tls, 1234 with --seed)");
  cli.add_option("--nick,-n,--user,-u", options.nick, "Nick (asked for if not given)");
  cli.add_option("--room,--rooms,-r", options.rooms,
                 "Rooms to join (IRC): the option again or commas for more; the last is the current one")
      ->delimiter(',')
      ->capture_default_str();
  cli.add_flag("--seed", options.seed, "Speak the original Python chatroom's protocol instead of IRC");
  cli.add_option("--account", options.account,
                 "Log in to this account (SASL: SCRAM-SHA-256, or PLAIN over TLS only) with the password of "
                 "--password-file, "
                 "or asked for on a terminal; the nick defaults to it");
  cli.add_option("--password-file", o.password_file,
                 "File whose first line is the password: the account's with --account, else the IRC server's "
                 "(PASS)")
      ->check(CLI::ExistingFile);
  cli.add_option("--history-lines", options.history_lines,
                 "Lines of a room's history shown on joining it, when the server keeps history (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cli.add_flag("--bell-on-mention", options.bell_on_mention,
               "Ring the terminal's bell when a message names you or is sent to you privately");
  cli.add_option("--colour,--color", options.colour,
                 "auto (on a terminal, unless NO_COLOR is set), always or never")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cli.add_flag("!--no-reconnect", options.reconnect, "Exit when the connection is lost instead of retrying");
  cli.add_flag(
      "--tls", options.tls,
      "Connect over TLS (default port 6697), verifying the certificate and host name against the system's "
      "CAs");
  cli.add_option("--tls-ca", options.tls_ca, "Also trust this CA certificate file (PEM), e.g. a private CA")
      ->check(CLI::ExistingFile);
  cli.add_flag("--insecure", options.insecure,
               "With --tls: do not verify the certificate (anyone in between can read and change the chat)");
  cli.add_option("--config", o.config_file,
                 "Read options from this TOML file (long option names as keys; flags given here win). "
                 "Default: $XDG_CONFIG_HOME/chat-client/config.toml, or ~/.config/chat-client/config.toml, "
                 "if it exists")
      ->check(CLI::ExistingFile);
  cli.add_flag("--no-config", o.no_config, "Read no configuration file");
  cli.add_option("--server,server", o.profile,
                 "Use the configuration file's [servers.NAME] profile (default: the one with default = true, "
                 "or the first); its keys override the file's others");
  cli.set_version_flag("--version", "chat-client " + std::string(chat::version()));
}

// $XDG_CONFIG_HOME/chat-client/config.toml, else ~/.config/...; "" without
// a home.
std::string default_config_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/chat-client/config.toml";
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] == '\0') return {};
  return std::string(home) + "/.config/chat-client/config.toml";
}

std::shared_ptr<CLI::App> scratch_app() {
  struct scratch {
    cli_options o;
    CLI::App app{kDescription, "chat-client"};
  };
  auto held = std::make_shared<scratch>();
  define_options(held->app, held->o);
  return {held, &held->app};
}

// The terminal's settings while a password is typed without echo, to put
// back if a signal ends the program meanwhile.
termios saved_terminal{};

void restore_terminal_and_die(int sig) {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Asks on the terminal with echo off, and puts echo back whatever happens
// (as chat-server's --hash-password does); nothing at the end of input.
std::optional<std::string> ask_password(const std::string& prompt) {
  std::fputs(prompt.c_str(), stderr);
  std::fflush(stderr);
  const bool quiet = ::tcgetattr(STDIN_FILENO, &saved_terminal) == 0;
  if (quiet) {
    std::signal(SIGINT, restore_terminal_and_die);
    std::signal(SIGTERM, restore_terminal_and_die);
    termios silent = saved_terminal;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (quiet) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
  }
  std::fputs("\n", stderr);
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

// Exit codes: 0, 1 when the connection fails, and this for a usage error.
constexpr int kExitUsage = 2;

int main(int argc, char** argv) {
  const std::vector<std::string> given(argv + 1, argv + argc);
  cli_options parsed;
  std::vector<std::string> words;
  for (int pass = 0; pass < 2; ++pass) {
    // First the command line alone (it names the file), then the file's
    // words with the command line after them.
    parsed = cli_options{};
    CLI::App cli{kDescription, "chat-client"};
    define_options(cli, parsed);
    auto all = words;
    all.insert(all.end(), given.begin(), given.end());
    try {
      config::parse(cli, all);
    } catch (const CLI::ParseError& e) {
      // --help and --version exit 0; a usage error 2, as in chat-server.
      return cli.exit(e) == 0 ? EXIT_SUCCESS : kExitUsage;
    }
    if (pass == 1) break;
    if (parsed.no_config) {
      if (parsed.profile.empty()) break;
      std::fprintf(stderr, "chat-client: server profile '%s': --no-config reads no profiles\n",
                   parsed.profile.c_str());
      return kExitUsage;
    }
    auto path = parsed.config_file;
    if (path.empty()) {
      path = default_config_path();
      std::error_code ec;
      if (path.empty() || !std::filesystem::is_regular_file(path, ec)) {
        if (parsed.profile.empty()) break;
        std::fprintf(stderr, "chat-client: server profile '%s': there is no configuration file (%s)\n",
                     parsed.profile.c_str(), path.empty() ? "no home directory" : path.c_str());
        return kExitUsage;
      }
    }
    auto from_file =
        config::file_words(path, given, scratch_app, kCommandLineOnly, {kProfiles, parsed.profile});
    if (!from_file) {
      std::fprintf(stderr, "chat-client: %s\n", from_file.error().c_str());
      return kExitUsage;
    }
    words = std::move(*from_file);
  }
  auto& options = parsed.app;
  const auto& password_file = parsed.password_file;

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
  if (!options.account.empty() && options.seed) {
    std::fprintf(stderr, "chat-client: --account works over IRC only, not with --seed\n");
    return kExitUsage;
  }
  // One password: the account's with --account (never sent as PASS), else
  // the server's.
  auto& password = options.account.empty() ? options.password : options.account_password;
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else if (!options.account.empty()) {
    if (::isatty(STDIN_FILENO) != 1) {
      std::fprintf(stderr,
                   "chat-client: --account needs --password-file when standard input is not a terminal\n");
      return kExitUsage;
    }
    auto typed = ask_password("Password for " + options.account + ": ");
    if (!typed) return kExitUsage;
    password = std::move(*typed);
  }
  if (!options.account.empty() && password.empty()) {
    std::fprintf(stderr, "chat-client: --account: the password is empty\n");
    return kExitUsage;
  }
  const auto default_port =
      !parsed.port.empty() ? parsed.port : (options.seed ? "1234" : (options.tls ? "6697" : "6667"));
  auto servers = client::parse_server_list(parsed.hosts, default_port);
  if (!servers) {
    std::fprintf(stderr, "chat-client: --host: %s\n", servers.error().c_str());
    return kExitUsage;
  }
  options.servers = std::move(*servers);
  if (options.nick.empty()) options.nick = options.account;
  std::erase_if(options.rooms, [](const std::string& r) { return r.empty(); });
  if (options.rooms.empty()) options.rooms.emplace_back("#lobby");
  for (auto& room : options.rooms) {
    if (room.front() != '#' && room.front() != '&') room.insert(0, "#");
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
