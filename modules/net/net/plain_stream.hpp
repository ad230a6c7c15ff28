// A plain TCP byte stream under a connection. Streams share one shape, which
// basic_connection<Stream> relies on:
//   handshake(strand)          awaitable -> std::tuple<std::error_code>
//   read(strand)               awaitable -> std::tuple<std::error_code, std::string_view>
//                              (the view is valid until the next read)
//   try_write(buffers, ec)     writes what the kernel takes now; bytes written
//   async_write(state, done, handler)  writes the rest of `state`, then handler(ec)
//   close_notify(handler)      a protocol goodbye before half-closing (TLS), or nothing
//   lowest_layer()             the TCP socket: close, shutdown, available
//   kSecure                    whether it is encrypted
//   kTransport                 what it is, for the metrics' transport label
// All of them run on the connection's strand.
#pragma once

#include <array>
#include <coroutine>
#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>
#include <tuple>

#include <asio/bind_executor.hpp>
#include <asio/write.hpp>

#include "metrics/metrics.hpp"
#include "net/asio.hpp"
#include "net/limits.hpp"
#include "net/task.hpp"
#include "net/write_state.hpp"

namespace net {

// An awaitable that is ready at once with `value`.
template <class T>
struct ready_awaiter {
  T value;
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  T await_resume() noexcept { return std::move(value); }
};

class plain_stream {
 public:
  static constexpr bool kSecure = false;
  static constexpr metrics::transport kTransport = metrics::transport::tcp;

  explicit plain_stream(stream_socket socket) : socket_(std::move(socket)) {}

  stream_socket& lowest_layer() noexcept { return socket_; }

  auto handshake(const strand& /*on*/) noexcept { return ready_awaiter<std::tuple<std::error_code>>{{}}; }

  // Waits for readability without a buffer, then reads what is there into
  // the thread's scratch buffer: idle connections hold no read buffer.
  // (asio re-arms the descriptor for each wait, so a read that leaves data
  // behind is woken again at once.) A spurious wake-up reads nothing.
  class read_awaiter {
   public:
    read_awaiter(plain_stream& s, const strand& on) noexcept : stream_(s), on_(on) {}
    bool await_ready() const noexcept { return false; }
    // NOLINTNEXTLINE(bugprone-exception-escape): see async_op_awaiter
    void await_suspend(std::coroutine_handle<> frame) noexcept {
      stream_.socket_.async_wait(stream_socket::wait_read,
                                 asio::bind_executor(on_, resume_handler<std::error_code>(frame, &slot_)));
    }
    std::tuple<std::error_code, std::string_view> await_resume() {
      auto [ec] = slot_.results;
      if (ec) return {ec, {}};
      // The coroutine may move between threads, but never while using the
      // scratch: each use is between two suspension points.
      static thread_local std::array<char, kReadScratch> scratch;
      const std::size_t n = stream_.socket_.read_some(asio::buffer(scratch), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) return {std::error_code(), {}};
      return {ec, std::string_view(scratch.data(), ec ? 0 : n)};
    }

   private:
    plain_stream& stream_;
    const strand& on_;
    op_slot<std::error_code> slot_;
  };
  read_awaiter read(const strand& on) noexcept { return {*this, on}; }

  // Like Redis, the kernel first: a socket with room takes the whole batch
  // in one writev, with no completion to schedule.
  std::size_t try_write(std::span<const asio::const_buffer> buffers, std::error_code& ec) {
    const std::size_t n = socket_.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec.clear();
      return 0;
    }
    return ec ? 0 : n;
  }

  // `w.buffers` holds what try_write left.
  template <class Handler>
  void async_write(write_state& w, Handler&& handler) {
    asio::async_write(socket_, w.buffers, std::forward<Handler>(handler));
  }

  template <class Handler>
  void close_notify(Handler&& handler) {
    std::forward<Handler>(handler)(std::error_code());
  }
  static constexpr bool kHasCloseNotify = false;

 private:
  stream_socket socket_;
};

}  // namespace net
