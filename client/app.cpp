#include "client/app.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <utility>

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/write.hpp>

#include "core/input.hpp"
#include "core/irc_machine.hpp"
#include "core/seed_machine.hpp"
#include "protocol/irc.hpp"

namespace client {
namespace {

using namespace asio::experimental::awaitable_operators;
using net::tcp;
using net::use_nothrow;

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
  [[nodiscard]] bool quitting() const override { return m_.quitting(); }
  [[nodiscard]] bool awaiting_nick() const override { return m_.awaiting_nick(); }
  [[nodiscard]] bool failed() const override { return false; }
  [[nodiscard]] std::string prompt() const override { return m_.prompt(); }

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

 private:
  seed_machine m_;
};

std::string timestamp() {
  const auto now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S ", &local);
  return buf;
}

std::string in_seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace

app::app(asio::io_context& io, app_options options)
    : io_(io),
      options_(std::move(options)),
      look_(colour_wanted(::isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"), std::getenv("TERM"))),
      term_(terminal::open(io.get_executor())),
      wake_writer_(io, asio::steady_timer::time_point::max()) {
  if (options_.port.empty()) options_.port = options_.seed ? "1234" : "6667";
}

void app::show(std::string_view line) {
  term_->print(look_.dim(timestamp()) + std::string(line));
}

void app::apply(effects&& e) {
  for (const auto& line : e.show) show(line);
  if (e.prompt) term_->set_prompt(*e.prompt);
  if (e.relogin) relogin_ = true;
  if (e.registered) {
    registered_ = true;
    ever_registered_ = true;
  }
  if (!e.send.empty()) {
    outgoing_ += e.send;
    wake_writer_.cancel();
  }
}

void app::interrupt() {
  term_->restore();
}

void app::resized() {
  term_->resized();
}

net::awaitable<std::error_code> app::connect(tcp::socket& socket) {
  tcp::resolver resolver(io_);
  auto [rec, endpoints] = co_await resolver.async_resolve(options_.host, options_.port, use_nothrow);
  if (rec) co_return rec;
  asio::steady_timer deadline(io_, kConnectTimeout);
  auto result =
      co_await (asio::async_connect(socket, endpoints, use_nothrow) || deadline.async_wait(use_nothrow));
  if (result.index() == 1) co_return std::make_error_code(std::errc::timed_out);
  auto [ec, endpoint] = std::get<0>(result);
  if (ec) co_return ec;
  std::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  co_return std::error_code{};
}

net::awaitable<void> app::read_loop(tcp::socket& socket) {
  char chunk[16384];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), use_nothrow);
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

net::awaitable<void> app::input_loop() {
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

net::awaitable<void> app::write_loop(tcp::socket& socket) {
  for (;;) {
    if (outgoing_.empty()) {
      if (machine_->quitting()) {
        std::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_send, ignored);
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
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(data), use_nothrow);
    if (ec) {
      lost_reason_ = ec.message();
      co_return;
    }
  }
}

net::awaitable<void> app::session(tcp::socket& socket) {
  registered_ = false;
  lost_reason_.clear();
  outgoing_.clear();
  apply(machine_->connected());
  co_await (read_loop(socket) || input_loop() || write_loop(socket));
  std::error_code ignored;
  socket.close(ignored);
}

net::awaitable<bool> app::pause(std::chrono::milliseconds delay) {
  asio::steady_timer timer(io_, delay);
  bool leaving = false;
  auto watch_input = [&]() -> net::awaitable<void> {
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

net::awaitable<int> app::run() {
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
    o.room = options_.room;
    o.password = options_.password;
    machine_ = std::make_unique<irc_adapter>(std::move(o), look_);
  }
  term_->set_prompt(machine_->prompt());

  auto delay = options_.first_retry;
  bool ever_connected = false;
  for (;;) {
    tcp::socket socket(io_);
    const auto ec = co_await connect(socket);
    if (ec) {
      if (!ever_connected) {
        term_->restore();
        std::fprintf(stderr, "chat-client: cannot connect to %s port %s: %s\n", options_.host.c_str(),
                     options_.port.c_str(), ec.message().c_str());
        co_return 1;
      }
      show(look_.strong("Cannot reconnect: " + ec.message() + ".") +
           look_.dim(" Next try in " + in_seconds(delay) + "."));
    } else {
      ever_connected = true;
      co_await session(socket);
      if (machine_->quitting()) {
        term_->restore();
        co_return ever_registered_ ? 0 : 1;
      }
      if (std::exchange(relogin_, false)) {
        // The server refused the name and closed: ask, then connect again at once.
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
      show(look_.strong("Connection lost: " + lost_reason_ + ".") +
           look_.dim(" Reconnecting in " + in_seconds(delay) + " (!logout or Ctrl-D to stop)."));
    }
    if (!co_await pause(delay)) {
      term_->restore();
      co_return 0;
    }
    delay = std::min(delay * 2, kMaxRetry);
  }
}

}  // namespace client
