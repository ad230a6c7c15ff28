// One Redis connection that comes back: connect (with a timeout), AUTH and
// SELECT from the URL, then a reader and a writer coroutine until it breaks,
// then again after an exponential backoff, until stop(). The base of client
// (commands) and subscriber (pub/sub); they see it through the hooks below.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <tl/expected.hpp>

#include "redis/error.hpp"
#include "redis/reply.hpp"
#include "redis/resp.hpp"
#include "redis/url.hpp"

namespace redis {

// Connecting (resolve, connect, AUTH, SELECT) gives up after this long.
inline constexpr std::chrono::milliseconds kConnectTimeout{5000};
// A command fails with errc::timeout when its reply takes longer.
inline constexpr std::chrono::milliseconds kCommandTimeout{5000};
// The wait after the first failed connection attempt; it doubles with each
// failure up to kBackoffMax, and starts again once a connection works.
inline constexpr std::chrono::milliseconds kBackoffInitial{100};
inline constexpr std::chrono::milliseconds kBackoffMax{5000};
// Commands sent or queued and not yet answered, past which command() fails
// with errc::busy instead of queueing without bound.
inline constexpr std::size_t kMaxPending = 65'536;
// What one read asks the socket for.
inline constexpr std::size_t kReadChunk = 16 * 1024;
// A connection that received nothing for this long is sent a PING; one that
// then stays silent for as long again is declared lost. It finds a server
// that hangs, or a peer gone without a FIN (a partition), which TCP alone
// reports only after hours.
inline constexpr std::chrono::milliseconds kHealthInterval{10'000};

enum class state { down, up };

struct options {
  std::chrono::milliseconds connect_timeout = kConnectTimeout;
  std::chrono::milliseconds command_timeout = kCommandTimeout;
  std::chrono::milliseconds backoff_initial = kBackoffInitial;
  std::chrono::milliseconds backoff_max = kBackoffMax;
  std::size_t max_pending = kMaxPending;
  std::size_t max_reply_bytes = kMaxReplyBytes;
  // rediss:// only. The server's certificate is verified (chain and host
  // name) unless tls_verify is false; against tls_ca_file when set, else
  // the system's trusted roots.
  bool tls_verify = true;
  std::string tls_ca_file;
  // 0 turns the health check off.
  std::chrono::milliseconds health_interval = kHealthInterval;
};

using strand = asio::strand<asio::io_context::executor_type>;

// Guarded by its own strand (asio::make_strand(io)): every member below is
// touched on it only; the public calls post to it and are safe from any
// thread. The coroutines hold a shared_ptr to it: call stop() to end them.
class link : public std::enable_shared_from_this<link> {
 public:
  using state_handler = std::function<void(state)>;

  link(asio::io_context& io, endpoint ep, options opts, std::string_view role);
  link(const link&) = delete;
  link& operator=(const link&) = delete;
  virtual ~link();

  // Called on the strand at each change, up after the connection is ready
  // (for a subscriber: once the remembered set is subscribed again), down
  // when it is lost. Set it before start().
  void on_state(state_handler h) { on_state_ = std::move(h); }
  // Starts connecting; retries with backoff until stop().
  void start();
  // Idempotent: closes the connection, fails what is pending (errc::stopped)
  // and ends the coroutines. Posted: it takes effect on the strand.
  void stop();
  // The current state, from any thread.
  bool is_up() const noexcept { return up_.load(std::memory_order_acquire); }
  const strand& get_strand() const noexcept { return strand_; }
  const endpoint& where() const noexcept { return ep_; }

 protected:
  // The hooks, all called on the strand.
  // The connection is ready: queue with send() what must go first.
  virtual void opened() = 0;
  // One reply from the server; an error closes the connection.
  virtual tl::expected<void, error> received(reply r) = 0;
  // The connection is gone (or was never made): why says how.
  virtual void closed(const error& why) = 0;
  // Queue a PING whose reply received() will take (the health check).
  virtual void ping() = 0;

  // Queues bytes for the writer (strand only, while connected).
  void send(std::string_view wire);
  // Reports a change of state (strand only).
  void set_state(state s);
  bool stopped() const noexcept { return stopped_; }
  bool in_session() const noexcept { return in_session_; }
  // Why the link is not up: the last failure, for error messages.
  const error& last_error() const noexcept { return last_error_; }

  strand strand_;
  const endpoint ep_;
  const options opts_;
  const std::string role_;  // "client" or "subscriber", for the log

 private:
  asio::awaitable<void> run();
  asio::awaitable<tl::expected<void, error>> open();
  asio::awaitable<tl::expected<void, error>> log_in();
  asio::awaitable<void> watchdog(std::chrono::milliseconds after);
  asio::awaitable<void> reader();
  asio::awaitable<void> writer();
  asio::awaitable<void> health();
  void do_stop();
  void lose(error why);
  // One read or write on the connection, through TLS when there is one.
  asio::awaitable<std::tuple<std::error_code, std::size_t>> read_some(asio::mutable_buffer b);
  asio::awaitable<std::tuple<std::error_code, std::size_t>> write_all(asio::const_buffer b);

  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::context> tls_context_;                 // rediss:// only
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;  // over socket_, per connection
  asio::steady_timer backoff_timer_;
  asio::steady_timer writer_wake_;  // at time_point::max(): the writer's condition variable
  decoder decoder_;
  std::string outbox_;  // encoded commands not yet written
  state_handler on_state_;
  state state_ = state::down;
  std::atomic<bool> up_{false};
  bool stopped_ = false;
  bool started_ = false;
  bool in_session_ = false;
  bool heard_ = false;  // bytes arrived since the health check last looked
  error last_error_{errc::down, "not connected yet"};
  error lost_{errc::lost, ""};  // why the session ended, set by reader or writer
};

}  // namespace redis
