// The client program: connects, runs one protocol machine (IRC or seed) over
// the socket, feeds it what the user types, prints what it shows, and
// reconnects with backoff when the connection is lost. All of it runs on one
// io_context thread.
#pragma once

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>

#include "client/io.hpp"
#include "client/terminal.hpp"
#include "core/completion.hpp"
#include "core/effects.hpp"
#include "core/servers.hpp"
#include "core/text.hpp"

namespace client {

// Reconnect delays: doubled after each failed attempt, up to the maximum.
inline constexpr std::chrono::milliseconds kFirstRetry{1000};
inline constexpr std::chrono::milliseconds kMaxRetry{30000};
// How long a logout waits for the server to close the connection.
inline constexpr std::chrono::milliseconds kLogoutGrace{3000};
// How long a connection attempt may take.
inline constexpr std::chrono::milliseconds kConnectTimeout{10000};

struct app_options {
  // Tried in order; a lost connection moves to the next (the first after
  // the last). Not empty: main() fills it from --host and --port.
  std::vector<server_address> servers = {{"127.0.0.1", "6667"}};
  bool seed = false;
  bool bell_on_mention = false;                 // ring the terminal's bell when a line names us
  std::string colour = "auto";                  // auto (colour_wanted), always or never
  std::string nick;                             // empty: asked for
  std::vector<std::string> rooms = {"#lobby"};  // joined at start, in order; the last is the current one
  std::string password;                         // the server's (PASS)
  std::string account;                          // log in (SASL) when not empty
  std::string account_password;                 // never shown
  int history_lines = 50;                       // asked for on joining a room (draft/chathistory); 0: none
  bool reconnect = true;
  bool tls = false;
  std::string tls_ca;     // a CA file to trust besides the system's
  bool insecure = false;  // skip certificate verification (warned about)
  std::chrono::milliseconds first_retry = kFirstRetry;
};

// Either protocol, as the driver sees it.
class protocol_machine {
 public:
  virtual ~protocol_machine() = default;
  virtual effects connected() = 0;
  virtual effects on_bytes(std::string_view bytes) = 0;
  virtual effects on_input(std::string_view line) = 0;
  virtual effects on_end_of_input() = 0;
  virtual effects disconnected() { return {}; }
  [[nodiscard]] virtual bool quitting() const = 0;
  [[nodiscard]] virtual bool awaiting_nick() const = 0;
  [[nodiscard]] virtual bool failed() const = 0;
  [[nodiscard]] virtual std::string prompt() const = 0;
  [[nodiscard]] virtual client::status status() const = 0;
  [[nodiscard]] virtual completion_sources completions() const { return {}; }
};

class app {
 public:
  app(asio::io_context& io, app_options options);
  // The exit status: 0 after a logout or end of input, 1 when the server
  // cannot be reached or no name was accepted.
  awaitable<int> run();
  // Ctrl-C and SIGTERM, the first time: connected, leave as !logout does (a
  // QUIT with a reason, then the server closes) and return true; otherwise
  // false, and the caller stops at once.
  bool leave();
  // A second Ctrl-C, or a goodbye that takes too long: restore the terminal.
  void interrupt();
  void resized();

 private:
  // Connects to the current server (and shakes hands over TLS); an empty
  // error or a one-line reason.
  awaitable<std::string> connect(tcp::socket& socket);
  awaitable<void> session(tcp::socket& socket);
  awaitable<void> read_loop(tcp::socket& socket);
  awaitable<void> input_loop();
  awaitable<void> write_loop(tcp::socket& socket);
  // Waits `delay` while reading input; false if the user left meanwhile.
  awaitable<bool> pause(std::chrono::milliseconds delay);
  void apply(effects&& e);
  // The machine's status, with the server when there are several.
  [[nodiscard]] client::status status() const;
  // A line with the time in front: `when` (history), or now when 0.
  void show(std::string_view line, std::time_t when = 0);

  asio::io_context& io_;
  std::unique_ptr<asio::ssl::context> tls_context_;       // with --tls
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;  // the current connection's, with --tls
  app_options options_;
  server_rotation servers_;
  style look_;
  std::unique_ptr<terminal> term_;
  std::unique_ptr<protocol_machine> machine_;
  std::string outgoing_;
  asio::steady_timer wake_writer_;
  bool registered_ = false;  // in the current connection
  bool in_session_ = false;  // connected: a goodbye can be sent
  bool relogin_ = false;     // the server refused the name: reconnect at once with a new one
  std::string lost_reason_;
};

}  // namespace client
