// One client connection: socket, reader coroutine, bounded outbox and its
// writer, watchdog deadline and the single idempotent stop path. Front doors
// derive from it and handle what the reader reads.
//
// The writer is a chain of completion handlers, not a coroutine: an idle
// connection then holds no writer frame, no pending wait and no buffers.
//
// Guarded by its strand (strand_, on the socket's io_context): every member function runs
// there, except send(), which any thread may call.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>

#include "net/admission.hpp"
#include "net/asio.hpp"
#include "net/flood.hpp"
#include "net/limits.hpp"
#include "net/outbox.hpp"
#include "net/small_mutex.hpp"
#include "net/task.hpp"

namespace net {

class connection_registry;

// A batch of queued payloads on its way to the socket: their buffers (plain
// TCP) or their concatenation (TLS, one record for the batch).
struct connection_write_state {
  std::vector<payload> batch;
  std::vector<asio::const_buffer> buffers;
  std::string joined;
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(stream_socket socket, const limits& lim, connection_registry* registry);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  virtual ~connection();

  // Spawns the reader and the writer. Call once, from any thread.
  void start();

  // Queues bytes for the client. Thread-safe. A client whose outbox would
  // pass its limit is stopped (on its strand) instead; returns false then,
  // and when the connection is closing. Bytes that `may_wait` are written
  // within kDeferredFlushDelay, or at once with the next that may not.
  bool send(payload p, bool may_wait = false);

  // Posts an orderly shutdown to the strand: the front door says goodbye,
  // queued data is flushed, then the connection closes. Thread-safe.
  void request_shutdown(std::chrono::milliseconds grace);

  // Makes the connection speak TLS (as a server) with `context`, which it
  // keeps alive. Call before start(); the handshake is its first step.
  void secure_with(std::shared_ptr<asio::ssl::context> context);
  [[nodiscard]] bool secure() const noexcept { return tls_ != nullptr; }

  // Keeps the connection's admission slot until it stops.
  void hold(admission::ticket t) { ticket_ = std::move(t); }

  const strand& executor() const noexcept { return strand_; }
  const tcp::endpoint& remote() const noexcept { return remote_; }

 protected:
  // Runs on the strand when the connection starts (e.g. to arm a timer).
  virtual void on_start() {}
  // Bytes from the client, valid during the call only. Not called once the
  // connection is closing.
  virtual void on_bytes(std::string_view bytes) = 0;
  // The connection is gone: leave rooms, free names. Runs once, on the strand.
  virtual void on_stop() = 0;
  // The watchdog expired while the connection is still open (e.g. login).
  virtual void on_watchdog() {}
  // The server is shutting down: send a farewell if the protocol has one.
  virtual void on_shutdown() {}
  // Bytes received but not yet handled (held by the session's decoder).
  [[nodiscard]] virtual std::size_t pending_input() const { return 0; }
  // A throttled client's backlog passed limits_.recvq_bytes: say why and close.
  virtual void on_excess_flood() { stop(); }

  // Flood control: call after each command handled. False means "stop
  // handling input now": the session leaves the rest in its decoder, and
  // the reader calls on_bytes("") again once the client may go on.
  bool spend_token();

  // Queues `text` already framed for the wire.
  bool send_bytes(std::string bytes) { return send(std::make_shared<const std::string>(std::move(bytes))); }

  // Stops reading commands, writes what is queued (typically an error reply),
  // half-closes, then closes on EOF or after `deadline`.
  void close_after_flush(std::chrono::milliseconds deadline);

  // Closes everything now. Idempotent.
  void stop();

  // (Re)arms the watchdog; on expiry on_watchdog() runs, or stop() if
  // closing. The registry's sweep finds expired watchdogs, so expiry comes
  // up to kWatchdogTick late (and never without a registry).
  void arm_watchdog(std::chrono::milliseconds after);
  void disarm_watchdog();

  // When the input on_bytes() is handling was read (or released by flood
  // control): one clock reading per read, not per command.
  std::chrono::steady_clock::time_point input_time() const noexcept { return input_at_; }

  bool closing() const noexcept { return closing_; }
  bool stopped() const noexcept { return stopped_; }

  stream_socket socket_;
  const limits& limits_;

 private:
  // The reader, on the strand: waits for input (plain TCP: readability, then
  // a read into the thread's scratch buffer; TLS: the handshake, then reads
  // into its own buffer), hands it to on_bytes(), and waits out flood
  // control (fake lag, see spend_token) before reading on. Ends, and stops
  // the connection, on EOF, an error or stop(). Holds `self` while it runs.
  static detached_task read_loop(std::shared_ptr<connection> self);
  static detached_task tls_read_loop(std::shared_ptr<connection> self);
  // True if flood control holds input back: flood_timer_ is armed for the
  // reader to wait on, then call resume_after_throttle(). Disconnects a
  // client whose backlog passed limits_.recvq_bytes.
  bool must_throttle();
  // Awaits flood_timer_ (defined in connection.cpp, used only there).
  auto flood_wait();
  void resume_after_throttle();
  void reader_done(std::error_code ec);
  // The writer: on the strand, takes what the outbox holds and writes it in
  // one gathered write, again on completion, until the outbox is empty.
  void flush();
  // Writes w.batch: synchronously if the socket takes it all (true), else
  // moves the rest into in_flight_ and starts async_write (false; its
  // handler flushes again).
  bool write_batch(connection_write_state& w);
  // Drops the first `n` bytes from `buffers`.
  static void drop_written(std::vector<asio::const_buffer>& buffers, std::size_t n);
  void half_close();
  void wake_writer();
  void on_overflow();
  bool watchdog_due(std::chrono::steady_clock::time_point now) const noexcept;
  void on_watchdog_due();
  friend class connection_registry;  // wakes deferred writers, sweeps watchdogs

  strand strand_;
  tcp::endpoint remote_;
  connection_registry* registry_;
  outbox outbox_;
  // The watchdog's deadline (steady_clock ticks; 0: disarmed): login and
  // close deadlines, PING. Written on the strand, read by the registry's
  // sweep from any thread.
  std::atomic<std::chrono::steady_clock::rep> watchdog_at_{0};
  admission::ticket ticket_;
  struct tls_state {
    tls_state(stream_socket& socket, std::shared_ptr<asio::ssl::context> c)
        : context(std::move(c)), stream(socket, *context) {}
    std::shared_ptr<asio::ssl::context> context;  // kept alive for the stream
    asio::ssl::stream<stream_socket&> stream;
  };
  std::unique_ptr<tls_state> tls_;  // null for plain TCP
  token_bucket bucket_;
  std::chrono::steady_clock::time_point input_at_ = std::chrono::steady_clock::now();  // see input_time()
  // Fake lag: the reader waits on it. Made the first time a client runs out
  // of tokens; most never do.
  std::unique_ptr<timer> flood_timer_;
  // The write in flight, if any: what the kernel has not taken yet.
  std::unique_ptr<connection_write_state> in_flight_;
  bool writing_ = false;      // a write (or TLS close_notify) is in flight
  bool half_closed_ = false;  // closing: everything written, send side shut
  bool throttled_ = false;    // spend_token() ran out: input waits
  bool closing_ = false;
  bool stopped_ = false;
};

// The live connections, so that shutdown can reach each one, and the
// connections whose writers wait for a deferred flush. Guarded by mutexes:
// connections come and go on their own strands.
class connection_registry {
 public:
  explicit connection_registry(asio::io_context& io)
      : io_(io), sweep_timer_(io.get_executor()), flush_timer_(io.get_executor()) {}
  void add(const std::shared_ptr<connection>& c);
  void remove(const connection* c);
  // Calls `f` for every live connection (outside the lock).
  void for_each(const std::function<void(const std::shared_ptr<connection>&)>& f) const;
  std::size_t size() const;

  // Wakes `c`'s writer within kDeferredFlushDelay, together with every
  // other connection deferred meanwhile (one timer for all).
  void flush_later(std::shared_ptr<connection> c);

  // Wakes `c`'s writer once the handlers already queued have run, together
  // with every other connection woken meanwhile: like Redis's writes before
  // the event loop sleeps, each client then gets everything that arrived in
  // this round in one write, and the round costs one post per
  // kWakeChunk writers instead of one per writer.
  void flush_soon(std::shared_ptr<connection> c);

 private:
  void flush_deferred();
  void flush_ready();
  // Runs the writers of `due` (emptied), kWakeChunk per handler.
  void wake_writers(std::vector<std::shared_ptr<connection>>& due);
  // Every kWatchdogTick while there are connections: posts on_watchdog_due()
  // to each connection whose watchdog has expired.
  void arm_sweep();
  void sweep();

  asio::io_context& io_;

  mutable std::mutex mutex_;
  std::unordered_map<const connection*, std::weak_ptr<connection>> items_;  // guarded by mutex_
  bool sweep_armed_ = false;                                                // guarded by mutex_
  timer sweep_timer_;                                                       // armed under mutex_

  std::mutex deferred_mutex_;
  std::vector<std::shared_ptr<connection>> deferred_;  // guarded by deferred_mutex_
  bool flush_armed_ = false;                           // guarded by deferred_mutex_
  timer flush_timer_;                                  // armed under deferred_mutex_

  small_mutex ready_mutex_;
  std::vector<std::shared_ptr<connection>> ready_;  // guarded by ready_mutex_
  bool ready_posted_ = false;                       // guarded by ready_mutex_
};

}  // namespace net
