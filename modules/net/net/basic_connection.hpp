// A connection over a particular stream (plain_stream.hpp describes the
// shape): the read loop and the stream's side of writing and closing. The
// door and everything else are the base's. Adding a transport means one new
// stream type and one more instantiation (server.cpp); doors and chat stay
// as they are.
//
// Guarded by its strand, like the base.
#pragma once

#include <spdlog/spdlog.h>

#include <exception>
#include <memory>
#include <system_error>
#include <tuple>

#include <asio/bind_executor.hpp>

#include "net/connection.hpp"
#include "net/stream_errc.hpp"
#include "net/task.hpp"

namespace net {

template <class Stream>
class basic_connection final : public connection {
 public:
  basic_connection(Stream stream, const limits& lim, connection_registry* registry)
      : connection(asio::make_strand(stream.lowest_layer().get_executor()), remote_of(stream.lowest_layer()),
                   lim, registry, Stream::kTransport),
        stream_(std::move(stream)) {
    std::error_code ignored;
    // Synchronous reads and writes return would_block instead of waiting.
    stream_.lowest_layer().non_blocking(true, ignored);
  }

  [[nodiscard]] bool secure() const override { return Stream::kSecure; }

 private:
  static tcp::endpoint remote_of(stream_socket& s) {
    std::error_code ec;
    return s.remote_endpoint(ec);
  }

  std::shared_ptr<basic_connection> self() {
    return std::static_pointer_cast<basic_connection>(shared_from_this());
  }

  void start_reading() override {
    // A stream that writes on its own (WebSocket pongs) keeps the
    // connection alive while it does.
    if constexpr (requires { stream_.set_owner(std::weak_ptr<void>()); }) stream_.set_owner(self());
    read_loop(self());
  }

  // The reader, on the strand: the stream's handshake, then input to the
  // door, waiting out flood control (fake lag, see spend_token) before
  // reading on, and backpressure and long replies likewise. Ends, and
  // stops the connection, on EOF, an error or stop().
  // Holds `self` while it runs: an idle connection holds this one frame.
  static detached_task read_loop(std::shared_ptr<basic_connection> self) {
    basic_connection& c = *self;
    std::error_code ec;
    try {
      c.door_start();
      // The handshake (TLS) runs under the deadline the door just armed.
      std::tie(ec) = co_await c.stream_.handshake(c.executor());
      if (ec) spdlog::info("connection {}: handshake failed: {}", c.remote_label(), ec.message());
      // A client certificate (TLS) is known now, before any input.
      if constexpr (requires { c.stream_.fingerprint(); }) {
        if (!ec) c.set_certfp(c.stream_.fingerprint());
      }
      while (!ec && !c.stopped()) {
        std::string_view bytes;
        std::tie(ec, bytes) = co_await c.stream_.read(c.executor());
        if (!bytes.empty()) c.on_input(bytes);
        if (ec == stream_errc::goodbye) {
          // Its goodbye goes out after what is queued; the reader drains
          // until the client closes or the close deadline passes.
          ec.clear();
          c.close_after_flush();
        }
        while (c.hold_input()) co_await c.input_wait();
      }
    } catch (const std::exception& e) {
      spdlog::error("connection {}: {}", c.remote_label(), e.what());
    }
    c.reader_done(ec);
  }

  bool write_batch(write_state& w) override {
    std::size_t bytes = 0;
    w.buffers.clear();
    for (const auto& p : w.batch) {
      bytes += p->size();
      w.buffers.emplace_back(asio::buffer(*p));
    }
    std::error_code ec;
    const std::size_t done = stream_.try_write(w.buffers, ec);
    if (ec) {
      write_failed(ec);
      return false;
    }
    if (done == bytes) {
      wrote_now(bytes);
      return true;
    }
    drained(done);
    // The rest goes through an asynchronous write, from buffers this
    // connection owns until it completes.
    auto f = std::make_unique<write_state>();
    f->batch.swap(w.batch);
    f->buffers.swap(w.buffers);
    drop_written(f->buffers, done);
    write_state& state = *f;
    start_async_write(std::move(f));
    stream_.async_write(
        state, asio::bind_executor(executor(), [self = self(), bytes](std::error_code e, std::size_t) {
          self->written(bytes, e);
        }));
    return false;
  }

  void half_close() override {
    if (half_closed_ || stopped()) return;
    half_closed_ = true;
    // Everything is written: half-close so the client sees EOF after the
    // last line. The reader then drains until the client closes its side,
    // or the close deadline passes: closing at once would reset a client
    // still sending and could destroy the reply it has not read.
    auto shut = [self = self()](std::error_code /*ec*/) {
      std::error_code ignored;
      self->stream_.lowest_layer().shutdown(stream_socket::shutdown_send, ignored);
    };
    if constexpr (Stream::kHasCloseNotify) {
      writing_ = true;  // the goodbye is a write of its own
      stream_.close_notify(asio::bind_executor(executor(), std::move(shut)));
    } else {
      shut(std::error_code());
    }
  }

  void close_stream() override {
    std::error_code ignored;
    stream_.lowest_layer().close(ignored);
  }

  std::size_t unread_bytes() override {
    std::error_code ec;
    return stream_.lowest_layer().available(ec);
  }

  Stream stream_;
};

}  // namespace net
