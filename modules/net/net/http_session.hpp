// One connection to the web listener, over a plain or TLS stream: HTTP/1.1
// requests, kept alive, each answered by the web_site, until one asks for a
// WebSocket. That one is handed over, stream and ticket, to a connection
// with the IRC door over a ws_stream: from then on it is an IRC client like
// any other.
//
// Bounded: the head must come within kHttpRequestTimeout (408 after),
// within protocol::http's size limits (4xx), and at most kHttpMaxRequests
// are served per connection.
//
// Guarded by its strand: the coroutine and the timer's handler run there.
#pragma once

#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

#include <asio/bind_executor.hpp>
#include <asio/post.hpp>

#include "door/link.hpp"
#include "metrics/metrics.hpp"
#include "net/admission.hpp"
#include "net/asio.hpp"
#include "net/basic_connection.hpp"
#include "net/http_sessions.hpp"
#include "net/limits.hpp"
#include "net/task.hpp"
#include "net/web_site.hpp"
#include "net/write_state.hpp"
#include "net/ws_stream.hpp"
#include "protocol/http.hpp"

namespace net {

class connection_registry;

// What every web connection of a listener shares.
struct http_context {
  const web_site* site = nullptr;
  bool secure = false;    // https: what a same-origin page's Origin says
  bool websocket = true;  // upgrades allowed (not on the metrics listener)
  const limits* lim = nullptr;
  connection_registry* registry = nullptr;
  std::function<std::unique_ptr<door::door>(door::link&)> irc_door;
  http_sessions* sessions = nullptr;
};

template <class Stream>
class http_session final : public http_session_base,
                           public std::enable_shared_from_this<http_session<Stream>> {
 public:
  http_session(Stream stream, admission::ticket ticket, const http_context& ctx)
      : strand_(asio::make_strand(stream.lowest_layer().get_executor())),
        timer_(stream.lowest_layer().get_executor()),
        stream_(std::move(stream)),
        ticket_(std::move(ticket)),
        ctx_(ctx) {
    std::error_code ignored;
    stream_->lowest_layer().non_blocking(true, ignored);
  }

  void start() {
    auto self = this->shared_from_this();
    if (!ctx_.sessions->add(self)) return;
    asio::post(strand_, [self] { run(self); });
  }

  void close() override {
    asio::post(strand_, [self = this->shared_from_this()] { self->close_now(); });
  }

 private:
  void close_now() {
    timer_.cancel();
    if (!stream_) return;
    std::error_code ignored;
    stream_->lowest_layer().close(ignored);
  }

  // The request deadline: first the read is cancelled (a 408 may go out),
  // then, kHttpCloseGrace later, the socket is closed under whatever waits.
  void arm(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    timer_.async_wait(asio::bind_executor(strand_, [weak = this->weak_from_this()](std::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || !self->stream_) return;
      std::error_code ignored;
      if (self->timed_out_) {
        self->stream_->lowest_layer().close(ignored);
        return;
      }
      self->timed_out_ = true;
      self->stream_->lowest_layer().cancel(ignored);
      self->arm(kHttpCloseGrace);
    }));
  }

  // Writes a whole response (and counts it by its status).
  auto write(const std::string& bytes) {
    if (bytes.size() > 12)
      metrics::http_request((bytes[9] - '0') * 100 + (bytes[10] - '0') * 10 + (bytes[11] - '0'));
    return async_op<std::error_code, std::size_t>([this, &bytes](auto resume) {
      out_.buffers.assign(1, asio::buffer(bytes));
      out_.joined.clear();
      stream_->async_write(out_, asio::bind_executor(strand_, std::move(resume)));
    });
  }

  // Hands the stream over to an IRC connection over WebSocket.
  void upgrade(const protocol::http::upgrade& up, std::string early) {
    timer_.cancel();
    metrics::http_request(101);
    auto c = std::make_shared<basic_connection<ws_stream<Stream>>>(
        ws_stream<Stream>(std::move(*stream_), protocol::http::switching_protocols(up), std::move(early),
                          up.subprotocol == "binary.ircv3.net"),
        *ctx_.lim, ctx_.registry);
    stream_.reset();
    c->install(ctx_.irc_door);
    c->hold(std::move(ticket_));
    c->start();
  }

  static detached_task run(std::shared_ptr<http_session> self) {
    http_session& s = *self;
    std::error_code ec;
    std::string buffer;
    std::string reply;
    std::size_t served = 0;
    s.arm(s.ctx_.site->settings().request_timeout);
    std::tie(ec) = co_await s.stream_->handshake(s.strand_);
    while (!ec && s.stream_) {
      auto parsed = protocol::http::parse_request(buffer);
      if (!parsed) {
        reply = refusal(parsed.error());
        std::tie(ec, std::ignore) = co_await s.write(reply);
        break;
      }
      if (!*parsed) {
        std::string_view bytes;
        std::tie(ec, bytes) = co_await s.stream_->read(s.strand_);
        if (s.timed_out_) {
          // Something of a head came, but not all of it in time.
          if (!buffer.empty() && s.stream_) {
            reply = refusal({408, "the request took too long"});
            ec.clear();
            std::tie(ec, std::ignore) = co_await s.write(reply);
          }
          break;
        }
        buffer.append(bytes);
        continue;
      }
      const protocol::http::request req = std::move((*parsed)->req);
      buffer.erase(0, (*parsed)->consumed);
      ++served;
      if (protocol::http::wants_upgrade(req)) {
        std::optional<protocol::http::error> refused;
        auto up = protocol::http::check_upgrade(req, kIrcSubprotocols);
        if (!s.ctx_.websocket) {
          refused = protocol::http::error{404, "no WebSocket here"};
        } else if (!protocol::http::origin_allowed(req, s.ctx_.secure, s.ctx_.site->settings().origins)) {
          // Another site's page must not drive its visitor's session.
          refused = protocol::http::error{403, "WebSocket from this origin not allowed (--http-origin)"};
        } else if (!up) {
          refused = up.error();
        }
        if (!refused) {
          s.upgrade(*up, std::move(buffer));
          break;
        }
        reply = refusal(*refused, false, protocol::http::upgrade_refusal_headers(refused->status));
        std::tie(ec, std::ignore) = co_await s.write(reply);
        break;
      }
      const bool keep = req.keep_alive() && served < kHttpMaxRequests;
      reply = s.ctx_.site->respond(req, keep);
      std::tie(ec, std::ignore) = co_await s.write(reply);
      if (!keep) break;
      s.arm(s.ctx_.site->settings().request_timeout);
    }
    if (s.stream_) {
      // Half-closed, the client reads the last response whole; what it
      // still sends is read and dropped until it closes, or the grace
      // passes: closing with unread input would reset the connection and
      // could destroy the response.
      std::error_code ignored;
      s.stream_->lowest_layer().shutdown(stream_socket::shutdown_send, ignored);
      s.timed_out_ = true;
      s.arm(kHttpCloseGrace);
      for (;;) {
        auto [e, bytes] = co_await s.stream_->read(s.strand_);
        if (e) break;
      }
    }
    s.finish();
  }

  void finish() {
    timer_.cancel();
    ctx_.sessions->remove(this);
    if (!stream_) return;
    std::error_code ignored;
    stream_->lowest_layer().close(ignored);
  }

  strand strand_;
  timer timer_;
  std::optional<Stream> stream_;  // empty once handed over
  admission::ticket ticket_;
  const http_context& ctx_;
  write_state out_;
  bool timed_out_ = false;
};

}  // namespace net
