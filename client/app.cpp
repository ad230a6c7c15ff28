#include "client/app.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <utility>

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ssl/host_name_verification.hpp>
#include <asio/write.hpp>

#include "core/input.hpp"
#include "core/irc_machine.hpp"
#include "core/seed_machine.hpp"
#include "protocol/irc.hpp"
#include "version/version.hpp"

namespace client {
namespace {

using namespace asio::experimental::awaitable_operators;

class irc_adapter final : public protocol_machine {
 public:
  irc_adapter(irc_options o, style look) : m_(std::move(o), look) {}
  effects connected() override {
    decoder_ = protocol::irc::line_decoder{};
    return m_.connected();
  }
  effects on_bytes(std::string_view bytes) override {
    effects out;
    decoder_.consume(bytes, [&](auto line) {
      if (line) out.merge(m_.on_line(*line));  // an overlong line from the server is dropped
      return true;
    });
    return out;
  }
  effects on_input(std::string_view line) override { return m_.on_input(line); }
  effects on_end_of_input() override { return m_.on_end_of_input(); }
  effects disconnected() override { return m_.disconnected(); }
  [[nodiscard]] bool quitting() const override { return m_.quitting(); }
  [[nodiscard]] bool awaiting_nick() const override { return m_.awaiting_nick(); }
  [[nodiscard]] bool failed() const override { return false; }
  [[nodiscard]] std::string prompt() const override { return m_.prompt(); }
  [[nodiscard]] client::status status() const override { return m_.status(); }
  [[nodiscard]] completion_sources completions() const override { return m_.completions(); }

 private:
  irc_machine m_;
  protocol::irc::line_decoder decoder_;
};

class seed_adapter final : public protocol_machine {
 public:
  seed_adapter(std::string name, style look) : m_(std::move(name), look) {}
  effects connected() override { return m_.connected(); }
  effects on_bytes(std::string_view bytes) override { return m_.on_bytes(bytes); }
  effects on_input(std::string_view line) override { return m_.on_input(line); }
  effects on_end_of_input() override { return m_.on_end_of_input(); }
  [[nodiscard]] bool quitting() const override { return m_.quitting(); }
  [[nodiscard]] bool awaiting_nick() const override { return m_.awaiting_nick(); }
  [[nodiscard]] bool failed() const override { return m_.failed(); }
  [[nodiscard]] std::string prompt() const override { return m_.prompt(); }
  // One room, no away or unread: the name alone.
  [[nodiscard]] client::status status() const override {
    client::status s;
    s.nick = sanitize(m_.nick());
    return s;
  }

 private:
  seed_machine m_;
};

std::string in_seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace

app::app(asio::io_context& io, app_options options)
    : io_(io),
      options_(std::move(options)),
      servers_(options_.servers),
      look_(options_.colour == "always" ||
            (options_.colour == "auto" &&
             colour_wanted(::isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"), std::getenv("TERM")))),
      term_(terminal::open(io.get_executor(), look_.colour())),
      wake_writer_(io, asio::steady_timer::time_point::max()) {
  if (options_.tls) {
    tls_context_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls_context_->native_handle(), TLS1_2_VERSION);
    tls_context_->set_default_verify_paths();
    if (!options_.tls_ca.empty())
      tls_context_->load_verify_file(options_.tls_ca);  // throws: an edge, at start
    tls_context_->set_verify_mode(options_.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer);
  }
}

void app::show(std::string_view line, std::time_t when) {
  const auto now = std::time(nullptr);
  term_->print(look_.dim(clock_prefix(when == 0 ? now : when, now)) + std::string(line));
}

void app::apply(effects&& e) {
  for (std::size_t i = 0; i < e.show.size(); ++i) show(e.show[i], e.time_of(i));
  if (e.mentioned && options_.bell_on_mention) {
    // BEL moves no cursor: safe beside readline's input line.
    std::fputs("\a", stdout);
    std::fflush(stdout);
  }
  if (e.prompt) term_->set_prompt(*e.prompt);
  if (e.prompt || e.status) term_->set_status(status());
  if (e.relogin) relogin_ = true;
  if (e.registered) registered_ = true;
  if (!e.send.empty()) {
    outgoing_ += e.send;
    wake_writer_.cancel();
  }
}

client::status app::status() const {
  auto s = machine_->status();
  if (servers_.several()) s.server = encode_server_address(servers_.current());
  return s;
}

bool app::leave() {
  if (!in_session_ || !machine_ || machine_->quitting()) return false;
  apply(machine_->on_input("!logout Leaving"));
  return machine_->quitting();
}

void app::interrupt() {
  term_->restore();
}

void app::resized() {
  term_->resized();
}

awaitable<std::string> app::connect(tcp::socket& socket) {
  tls_.reset();
  const auto server = servers_.current();  // a copy for the whole attempt
  tcp::resolver resolver(io_);
  auto [rec, endpoints] = co_await resolver.async_resolve(server.host, server.port, use_nothrow);
  if (rec) co_return rec.message();
  asio::steady_timer deadline(io_, kConnectTimeout);
  auto result =
      co_await (asio::async_connect(socket, endpoints, use_nothrow) || deadline.async_wait(use_nothrow));
  if (result.index() == 1) co_return std::make_error_code(std::errc::timed_out).message();
  auto [ec, endpoint] = std::get<0>(result);
  if (ec) co_return ec.message();
  std::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (!tls_context_) co_return std::string();

  tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket, *tls_context_);
  std::error_code not_ip;
  (void)asio::ip::make_address(server.host, not_ip);
  if (not_ip) {
    // SNI, for names only (RFC 6066). SSL_set_tlsext_host_name is a macro with a C cast.
    SSL_ctrl(tls_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server.host.c_str()));
  }
  auto wrong_name =
      std::make_shared<bool>(false);  // the stream keeps the callback: no reference to this frame
  if (!options_.insecure) {
    tls_->set_verify_callback([wrong_name, check = asio::ssl::host_name_verification(server.host)](
                                  bool preverified, asio::ssl::verify_context& ctx) mutable {
      const bool ok = check(preverified, ctx);
      if (preverified && !ok) *wrong_name = true;  // a trusted chain, but for another name
      return ok;
    });
  }
  asio::steady_timer handshake_deadline(io_, kConnectTimeout);
  auto shake = co_await (tls_->async_handshake(asio::ssl::stream_base::client, use_nothrow) ||
                         handshake_deadline.async_wait(use_nothrow));
  if (shake.index() == 1) co_return "TLS handshake timed out";
  if (auto [hec] = std::get<0>(shake); hec) {
    if (*wrong_name) co_return "the server's certificate is not for " + server.host;
    const long verify = SSL_get_verify_result(tls_->native_handle());
    if (verify != X509_V_OK) {
      co_return std::string("the server's certificate is not trusted: ") +
          X509_verify_cert_error_string(verify);
    }
    co_return "TLS handshake failed: " + hec.message();
  }
  co_return std::string();
}

awaitable<void> app::read_loop(tcp::socket& socket) {
  char chunk[16384];
  for (;;) {
    auto [ec, n] = tls_ ? co_await tls_->async_read_some(asio::buffer(chunk), use_nothrow)
                        : co_await socket.async_read_some(asio::buffer(chunk), use_nothrow);
    if (n > 0) apply(machine_->on_bytes(std::string_view(chunk, n)));
    if (machine_->failed()) {
      lost_reason_ = "invalid data from the server";
      co_return;
    }
    if (ec) {
      lost_reason_ = ec == asio::error::eof ? "closed by the server" : ec.message();
      co_return;
    }
  }
}

awaitable<void> app::input_loop() {
  while (!machine_->quitting()) {
    auto line = co_await term_->read_line();
    if (!line && !term_->ended()) co_return;  // cancelled: the session is over
    if (!line) {
      apply(machine_->on_end_of_input());
      break;
    }
    apply(machine_->on_input(*line));
  }
  // Leaving: the writer sends the goodbye and half-closes; the reader ends
  // when the server closes. This only bounds the wait.
  asio::steady_timer grace(io_, kLogoutGrace);
  co_await grace.async_wait(use_nothrow);
}

awaitable<void> app::write_loop(tcp::socket& socket) {
  for (;;) {
    if (outgoing_.empty()) {
      if (machine_->quitting()) {
        // A half-close tells the server we are done (QUIT and !logout went
        // first). Over TLS the server closes after the goodbye instead.
        std::error_code ignored;
        if (!tls_) socket.shutdown(tcp::socket::shutdown_send, ignored);
        // Nothing more to write; wait to be cancelled.
        asio::steady_timer forever(io_, asio::steady_timer::time_point::max());
        co_await forever.async_wait(use_nothrow);
        co_return;
      }
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(use_nothrow);
      auto state = co_await asio::this_coro::cancellation_state;
      if (state.cancelled() != asio::cancellation_type::none) co_return;
      continue;
    }
    auto data = std::exchange(outgoing_, {});
    auto [ec, n] = tls_ ? co_await asio::async_write(*tls_, asio::buffer(data), use_nothrow)
                        : co_await asio::async_write(socket, asio::buffer(data), use_nothrow);
    if (ec) {
      lost_reason_ = ec.message();
      co_return;
    }
  }
}

awaitable<void> app::session(tcp::socket& socket) {
  registered_ = false;
  lost_reason_.clear();
  outgoing_.clear();
  apply(machine_->connected());
  in_session_ = true;
  co_await (read_loop(socket) || input_loop() || write_loop(socket));
  in_session_ = false;
  apply(machine_->disconnected());
  std::error_code ignored;
  socket.close(ignored);
}

awaitable<bool> app::pause(std::chrono::milliseconds delay) {
  asio::steady_timer timer(io_, delay);
  bool leaving = false;
  auto watch_input = [&]() -> awaitable<void> {
    for (;;) {
      auto line = co_await term_->read_line();
      if (!line && !term_->ended()) co_return;  // cancelled: the pause is over
      if (!line || parse_input(*line).what == verb::logout) {
        leaving = true;
        co_return;
      }
      show(look_.dim("Not connected: that line was not sent."));
    }
  };
  co_await (timer.async_wait(use_nothrow) || watch_input());
  co_return !leaving;
}

awaitable<int> app::run() {
  std::string nick = options_.nick;
  while (nick.empty()) {
    term_->set_prompt("Username: ");
    auto line = co_await term_->read_line();
    if (!line) co_return 1;
    nick = *line;
    while (!nick.empty() && nick.back() == ' ') nick.pop_back();
  }
  if (options_.seed) {
    machine_ = std::make_unique<seed_adapter>(nick, look_);
  } else {
    irc_options o;
    o.nick = nick;
    o.rooms = options_.rooms;
    o.password = options_.password;
    o.account = options_.account;
    o.account_password = options_.account_password;
    o.tls = options_.tls;
    o.history_lines = options_.history_lines;
    o.version = "chat-client " + std::string(chat::version());
    machine_ = std::make_unique<irc_adapter>(std::move(o), look_);
  }
  term_->set_prompt(machine_->prompt());
  term_->set_status(status());
  term_->set_completer([this](std::string_view line, std::size_t start, std::string_view word) {
    return complete(line, start, word, machine_->completions());
  });
  term_->set_switcher([this](int n) {
    // Only once there are places to switch to (not at a nick prompt).
    if (registered_ && !machine_->awaiting_nick()) apply(machine_->on_input("/switch " + std::to_string(n)));
  });

  auto delay = options_.first_retry;
  bool ever_connected = false;
  std::vector<std::string> unreachable;  // at start: why each server failed, until one answers
  for (;;) {
    tcp::socket socket(io_);
    const auto problem = co_await connect(socket);
    if (!problem.empty()) {
      if (!ever_connected) {
        // At start every server is tried once, at once; none answering is the end.
        const auto& s = servers_.current();
        unreachable.push_back("chat-client: cannot connect to " + s.host + " port " + s.port + ": " +
                              problem);
        if (unreachable.size() < servers_.size()) {
          servers_.advance();
          continue;
        }
        term_->restore();
        for (const auto& line : unreachable) std::fprintf(stderr, "%s\n", line.c_str());
        co_return 1;
      }
      if (servers_.several()) {
        const auto failed = servers_.describe();
        servers_.advance();
        show(look_.strong("Cannot reconnect to " + failed + ": " + problem + ".") +
             look_.dim(" Next try: " + servers_.describe() + " in " + in_seconds(delay) + "."));
        term_->set_status(status());
      } else {
        show(look_.strong("Cannot reconnect: " + problem + ".") +
             look_.dim(" Next try in " + in_seconds(delay) + "."));
      }
    } else {
      ever_connected = true;
      unreachable.clear();
      if (servers_.several()) {
        show(look_.dim("Connected to " + servers_.describe() + "."));
        term_->set_status(status());
      }
      co_await session(socket);
      if (machine_->quitting()) {
        term_->restore();
        // A refused name that was never replaced is a failure; leaving is not.
        co_return machine_->awaiting_nick() ? 1 : 0;
      }
      if (std::exchange(relogin_, false)) {
        // The server refused the name and closed: ask, then connect again
        // at once, to the same server.
        while (machine_->awaiting_nick()) {
          auto line = co_await term_->read_line();
          if (!line) {
            term_->restore();
            co_return 1;
          }
          apply(machine_->on_input(*line));
        }
        continue;
      }
      if (registered_) delay = options_.first_retry;
      if (!options_.reconnect) {
        show(look_.strong("Connection lost: " + lost_reason_ + "."));
        term_->restore();
        co_return 1;
      }
      // Failing over: the next server, which has the same rooms (a cluster)
      // and gives what was missed from the last message seen.
      servers_.advance();
      term_->set_status(status());
      const auto where = servers_.several() ? " to " + servers_.describe() : std::string();
      show(look_.strong("Connection lost: " + lost_reason_ + ".") +
           look_.dim(" Reconnecting" + where + " in " + in_seconds(delay) + " (!logout or Ctrl-D to stop)."));
    }
    if (!co_await pause(delay)) {
      term_->restore();
      co_return 0;
    }
    delay = std::min(delay * 2, kMaxRetry);
  }
}

}  // namespace client
