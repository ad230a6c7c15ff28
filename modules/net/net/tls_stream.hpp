// TLS over TCP under a connection (the shape is described in
// plain_stream.hpp). The handshake runs first, under the door's login
// deadline; a batch is written as one TLS record; close_notify before the
// half-close, so that clients see a clean end. After the handshake,
// fingerprint() is the client certificate's (tls.hpp), if it showed one.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <vector>

#include <asio/bind_executor.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>

#include "metrics/metrics.hpp"
#include "net/asio.hpp"
#include "net/limits.hpp"
#include "net/task.hpp"
#include "net/tls.hpp"
#include "net/write_state.hpp"

namespace net {

class tls_stream {
 public:
  static constexpr bool kSecure = true;
  static constexpr metrics::transport kTransport = metrics::transport::tls;
  static constexpr bool kHasCloseNotify = true;

  // Whether to ask the client for a certificate (the context does), or not:
  // the web listener does not, since a browser would ask its user to pick
  // one from those installed.
  enum class peer_certs : std::uint8_t { ask, ignore };

  // Keeps `context` alive: a reload may replace the server's while this
  // connection still uses it.
  tls_stream(stream_socket socket, std::shared_ptr<asio::ssl::context> context,
             peer_certs certs = peer_certs::ask)
      : context_(std::move(context)), stream_(std::move(socket), *context_) {
    if (certs == peer_certs::ignore) SSL_set_verify(stream_.native_handle(), SSL_VERIFY_NONE, nullptr);
  }

  stream_socket& lowest_layer() noexcept { return stream_.next_layer(); }

  auto handshake(const strand& on) {
    return async_op<std::error_code>([this, &on](auto resume) {
      stream_.async_handshake(asio::ssl::stream_base::server, asio::bind_executor(on, std::move(resume)));
    });
  }

  // The client certificate's fingerprint (net::peer_fingerprint), empty
  // without one. Once the handshake has succeeded.
  std::string fingerprint() { return peer_fingerprint(stream_.native_handle()); }

  // TLS decrypts into the buffer while the reader is suspended, so each TLS
  // connection reads into a buffer of its own (made on the first read, after
  // the handshake), not the thread's.
  class read_awaiter {
   public:
    read_awaiter(tls_stream& s, const strand& on) noexcept : stream_(s), on_(on) {}
    bool await_ready() const noexcept { return false; }
    // NOLINTNEXTLINE(bugprone-exception-escape): see async_op_awaiter
    void await_suspend(std::coroutine_handle<> frame) noexcept {
      if (stream_.buffer_.empty()) stream_.buffer_.resize(kTlsReadBuffer);
      stream_.stream_.async_read_some(
          asio::buffer(stream_.buffer_),
          asio::bind_executor(on_, resume_handler<std::error_code, std::size_t>(frame, &slot_)));
    }
    // Bytes may come with an error (the peer's close after its last record).
    std::tuple<std::error_code, std::string_view> await_resume() {
      auto [ec, n] = slot_.results;
      return {ec, std::string_view(stream_.buffer_.data(), n)};
    }

   private:
    tls_stream& stream_;
    const strand& on_;
    op_slot<std::error_code, std::size_t> slot_;
  };
  read_awaiter read(const strand& on) noexcept { return {*this, on}; }

  // Everything goes through async_write: one record for the whole batch
  // rather than one per message.
  static std::size_t try_write(std::span<const asio::const_buffer> /*buffers*/, std::error_code& ec) {
    ec.clear();
    return 0;
  }

  template <class Handler>
  void async_write(write_state& w, Handler&& handler) {
    std::size_t bytes = 0;
    for (const auto& b : w.buffers) bytes += b.size();
    w.joined.reserve(bytes);
    for (const auto& b : w.buffers) w.joined.append(static_cast<const char*>(b.data()), b.size());
    asio::async_write(stream_, asio::buffer(w.joined), std::forward<Handler>(handler));
  }

  // (asio lets it run beside the pending read.)
  template <class Handler>
  void close_notify(Handler&& handler) {
    stream_.async_shutdown(std::forward<Handler>(handler));
  }

 private:
  std::shared_ptr<asio::ssl::context> context_;
  asio::ssl::stream<stream_socket> stream_;
  std::vector<char> buffer_;
};

}  // namespace net
