// The connection loop shared by client and subscriber: connect, log in,
// read and write until the connection breaks, back off, again.
#include "redis/link.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <exception>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/ssl/host_name_verification.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace redis {
namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// Expected I/O endings (closed by us, EOF, reset) are not worth a stack of
// log lines: one message per session says it.
std::string describe_io(const std::error_code& ec) {
  if (ec == asio::error::eof) return "the server closed the connection";
  return ec.message();
}

void set_server_name(asio::ssl::stream<asio::ip::tcp::socket&>& s, const std::string& host) {
  // SSL_set_tlsext_host_name is a macro with a C cast in it: call what it expands to.
  SSL_ctrl(s.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(host.c_str()));
}

}  // namespace

link::link(asio::io_context& io, endpoint ep, options opts, std::string_view role)
    : strand_(asio::make_strand(io)),
      ep_(std::move(ep)),
      opts_(opts),
      role_(role),
      socket_(strand_),
      backoff_timer_(strand_),
      writer_wake_(strand_),
      decoder_(opts.max_reply_bytes) {
  writer_wake_.expires_at(asio::steady_timer::time_point::max());
  if (ep_.tls) {
    tls_context_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    tls_context_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                              asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                              asio::ssl::context::no_tlsv1_1);
    std::error_code ec;
    if (!opts_.tls_ca_file.empty()) {
      tls_context_->load_verify_file(opts_.tls_ca_file, ec);
    } else {
      tls_context_->set_default_verify_paths(ec);
    }
    // A CA file that cannot be read leaves nothing trusted: every handshake
    // then fails verification, which is the error the operator sees.
    if (ec) spdlog::error("redis {} {}: TLS trust store: {}", role_, describe(ep_), ec.message());
    if (opts_.tls_verify) {
      tls_context_->set_verify_mode(asio::ssl::verify_peer);
      tls_context_->set_verify_callback(asio::ssl::host_name_verification(ep_.host));
    } else {
      tls_context_->set_verify_mode(asio::ssl::verify_none);
    }
  }
}

link::~link() = default;

void link::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->started_ || self->stopped_) return;
    self->started_ = true;
    asio::co_spawn(self->strand_, self->run(), [self](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::critical("redis {} {}: connection loop failed: {}", self->role_, describe(self->ep_),
                         ex.what());
      }
    });
  });
}

void link::stop() {
  asio::post(strand_, [self = shared_from_this()] { self->do_stop(); });
}

void link::do_stop() {
  if (stopped_) return;
  stopped_ = true;
  std::error_code ignored;
  socket_.close(ignored);
  backoff_timer_.cancel();
  writer_wake_.cancel();
  last_error_ = {errc::stopped, "the redis " + role_ + " is stopped"};
  set_state(state::down);
  closed(last_error_);
}

void link::set_state(state s) {
  if (s == state_) return;
  state_ = s;
  up_.store(s == state::up, std::memory_order_release);
  if (on_state_) on_state_(s);
}

void link::send(std::string_view wire) {
  outbox_.append(wire);
  writer_wake_.cancel();
}

void link::lose(error why) {
  // The first reason wins: the other coroutine then fails because of it.
  if (socket_.is_open()) lost_ = std::move(why);
  std::error_code ignored;
  socket_.close(ignored);
  writer_wake_.cancel();
}

asio::awaitable<void> link::run() {
  using namespace asio::experimental::awaitable_operators;
  auto backoff = opts_.backoff_initial;
  while (!stopped_) {
    decoder_ = decoder(opts_.max_reply_bytes);
    outbox_.clear();
    auto result = co_await (open() || watchdog(opts_.connect_timeout));
    if (stopped_) break;
    tl::expected<void, error> opened_ok =
        result.index() == 0
            ? std::get<0>(std::move(result))
            : tl::unexpected(error{errc::connect,
                                   fmt::format("no connection within {} ms", opts_.connect_timeout.count())});
    if (!opened_ok) {
      std::error_code ignored;
      socket_.close(ignored);
      last_error_ = opened_ok.error();
      last_error_.message += fmt::format(" (retrying in {} ms)", backoff.count());
      spdlog::warn("redis {} {}: {}", role_, describe(ep_), last_error_.message);
      backoff_timer_.expires_after(backoff);
      co_await backoff_timer_.async_wait(use_nothrow);
      backoff = std::min(backoff * 2, opts_.backoff_max);
      continue;
    }
    backoff = opts_.backoff_initial;
    spdlog::info("redis {} {}: connected", role_, describe(ep_));
    in_session_ = true;
    lost_ = {errc::lost, "connection lost"};
    opened();
    co_await (reader() || writer() || health());
    in_session_ = false;
    std::error_code ignored;
    socket_.close(ignored);
    if (stopped_) break;
    last_error_ = lost_;
    spdlog::warn("redis {} {}: {}", role_, describe(ep_), lost_.message);
    set_state(state::down);
    closed(lost_);
  }
}

asio::awaitable<std::tuple<std::error_code, std::size_t>> link::read_some(asio::mutable_buffer b) {
  if (tls_) co_return co_await tls_->async_read_some(b, use_nothrow);
  co_return co_await socket_.async_read_some(b, use_nothrow);
}

asio::awaitable<std::tuple<std::error_code, std::size_t>> link::write_all(asio::const_buffer b) {
  if (tls_) co_return co_await asio::async_write(*tls_, b, use_nothrow);
  co_return co_await asio::async_write(socket_, b, use_nothrow);
}

asio::awaitable<void> link::watchdog(std::chrono::milliseconds after) {
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer timer(strand_);
  timer.expires_after(after);
  auto [ec] = co_await timer.async_wait(use_nothrow);
  // Closing makes whatever open() awaits finish at once, whether or not
  // that operation honours cancellation.
  if (!ec) {
    std::error_code ignored;
    socket_.close(ignored);
  }
}

asio::awaitable<tl::expected<void, error>> link::open() {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto where = describe(ep_);
  asio::ip::tcp::resolver resolver(strand_);
  auto [rec, results] = co_await resolver.async_resolve(ep_.host, std::to_string(ep_.port), use_nothrow);
  if (rec)
    co_return tl::unexpected(
        error{errc::connect, fmt::format("cannot resolve {}: {}", ep_.host, rec.message())});
  socket_ = asio::ip::tcp::socket(strand_);
  auto [cec, peer] = co_await asio::async_connect(socket_, results, use_nothrow);
  if (cec)
    co_return tl::unexpected(
        error{errc::connect, fmt::format("cannot connect to {}: {}", where, cec.message())});
  // With nothing listening on a port in the ephemeral range, a connect
  // can pick that same port as its source and connect to itself (TCP
  // simultaneous open): we would then read our own commands as replies.
  std::error_code lec, rec2;
  if (socket_.local_endpoint(lec) == socket_.remote_endpoint(rec2) && !lec && !rec2) {
    co_return tl::unexpected(
        error{errc::connect, fmt::format("cannot connect to {}: connected to itself", where)});
  }
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  tls_.reset();
  if (tls_context_) {
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
    // SNI, for servers behind a proxy that routes on it (not for addresses).
    std::error_code not_address;
    (void)asio::ip::make_address(ep_.host, not_address);
    if (not_address) set_server_name(*tls_, ep_.host);
    auto [hec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_nothrow);
    if (hec) {
      co_return tl::unexpected(
          error{errc::connect, fmt::format("TLS handshake with {}: {}", where, hec.message())});
    }
  }
  co_return co_await log_in();
}

// AUTH and SELECT, each answered before the session starts, so that a
// refusal is a clear error at connect and never the first command's reply;
// then a PING, so that up means a server that answers (a hung one accepts
// connections into its backlog all the same).
asio::awaitable<tl::expected<void, error>> link::log_in() {
  std::vector<std::vector<std::string>> steps;
  if (!ep_.password.empty()) {
    if (ep_.user.empty()) {
      steps.push_back({"AUTH", ep_.password});
    } else {
      steps.push_back({"AUTH", ep_.user, ep_.password});
    }
  }
  if (ep_.db != 0) steps.push_back({"SELECT", std::to_string(ep_.db)});
  steps.push_back({"PING"});

  std::string wire;
  for (const auto& s : steps) wire += encode_command(s);
  auto [wec, wn] = co_await write_all(asio::buffer(wire));
  if (wec) co_return tl::unexpected(error{errc::connect, fmt::format("logging in: {}", describe_io(wec))});

  std::array<char, kReadChunk> buf{};
  for (const auto& s : steps) {
    std::optional<reply> r;
    while (!r) {
      auto next = decoder_.next();
      if (!next) co_return tl::unexpected(error{errc::protocol, next.error().message});
      if (*next) {
        r = std::move(**next);
        break;
      }
      auto [rec, n] = co_await read_some(asio::buffer(buf));
      if (rec)
        co_return tl::unexpected(error{errc::connect, fmt::format("logging in: {}", describe_io(rec))});
      decoder_.feed(std::string_view(buf.data(), n));
    }
    if (r->is_error()) {
      co_return tl::unexpected(error{errc::auth, fmt::format("{} refused: {}", s[0], r->as_string())});
    }
  }
  co_return tl::expected<void, error>{};
}

asio::awaitable<void> link::reader() {
  co_await asio::this_coro::throw_if_cancelled(false);
  std::array<char, kReadChunk> buf{};
  for (;;) {
    // Drain first: log_in may have left replies in the decoder.
    for (;;) {
      auto next = decoder_.next();
      if (!next) {
        lose({errc::protocol, next.error().message});
        co_return;
      }
      if (!*next) break;
      if (auto ok = received(std::move(**next)); !ok) {
        lose(ok.error());
        co_return;
      }
    }
    if (!socket_.is_open()) co_return;
    auto [ec, n] = co_await read_some(asio::buffer(buf));
    if (ec) {
      lose({errc::lost, fmt::format("connection lost: {}", describe_io(ec))});
      co_return;
    }
    heard_ = true;
    decoder_.feed(std::string_view(buf.data(), n));
  }
}

// Every interval: if nothing came since the last look, PING; if nothing
// came since that PING either, the connection is lost.
asio::awaitable<void> link::health() {
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer timer(strand_);
  bool pinged = false;
  heard_ = false;
  for (;;) {
    if (opts_.health_interval.count() > 0) {
      timer.expires_after(opts_.health_interval);
    } else {
      timer.expires_at(asio::steady_timer::time_point::max());
    }
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec || !socket_.is_open()) co_return;
    if (heard_) {
      heard_ = false;
      pinged = false;
    } else if (!pinged) {
      ping();
      pinged = true;
    } else {
      lose({errc::lost,
            fmt::format("connection lost: no reply to PING within {} ms", opts_.health_interval.count())});
      co_return;
    }
  }
}

// One write in flight comes from the loop's shape: what queued meanwhile
// goes out as one batch on the next turn.
asio::awaitable<void> link::writer() {
  co_await asio::this_coro::throw_if_cancelled(false);
  std::string batch;
  while (socket_.is_open()) {
    if (outbox_.empty()) {
      co_await writer_wake_.async_wait(use_nothrow);
      continue;
    }
    batch.clear();
    std::swap(batch, outbox_);
    auto [ec, n] = co_await write_all(asio::buffer(batch));
    if (ec) {
      lose({errc::lost, fmt::format("connection lost: {}", describe_io(ec))});
      co_return;
    }
  }
}

}  // namespace redis
