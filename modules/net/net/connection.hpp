// One client connection: what every transport shares. It owns the door (the
// protocol state machine, see door/link.hpp) and implements the door's link:
// a bounded outbox and its writer, the deadline, flood control, and the one
// idempotent stop path. basic_connection<Stream> adds the stream: plain TCP,
// TLS, or anything else with the same shape (plain_stream.hpp).
//
// The writer is a chain of completion handlers, not a coroutine: an idle
// connection then holds no writer frame, no pending wait and no buffers.
//
// Guarded by its strand (strand_, on the socket's io_context): every member
// function runs there, except send(), post(), request_shutdown() and the
// fixed accessors, which any thread may call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/bind_executor.hpp>

#include "door/link.hpp"
#include "metrics/metrics.hpp"
#include "net/admission.hpp"
#include "net/asio.hpp"
#include "net/flood.hpp"
#include "net/limits.hpp"
#include "net/outbox.hpp"
#include "net/task.hpp"
#include "net/write_state.hpp"

namespace net {

class connection_registry;

class connection : public door::link, public std::enable_shared_from_this<connection> {
 public:
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() override;

  // Gives the connection its door, made by `make` with this connection as
  // its link (the door's kind labels the connection's metrics). Call once,
  // before start().
  void install(const std::function<std::unique_ptr<door::door>(door::link&)>& make);

  // Starts the reader (and the door) and the writer. Call once, from any
  // thread.
  void start();

  // Posts an orderly shutdown to the strand: the door says goodbye, queued
  // data is flushed, then the connection closes. Thread-safe.
  void request_shutdown(std::chrono::milliseconds grace);

  // Keeps the connection's admission slot until it stops.
  void hold(admission::ticket t) { ticket_ = std::move(t); }

  const strand& executor() const noexcept { return strand_; }

  // ---- door::link
  chat::delivery send(payload p, bool may_wait) override;
  void wait_until_drained() override { drain_wait_ = true; }
  // Released: the reader, if it sleeps on the hold, wakes now rather than at
  // its next poll (a CHATHISTORY or a login answered in microseconds must
  // not leave the next command waiting kBackpressurePoll).
  void hold_input(bool on) override {
    door_hold_ = on;
    if (!on && input_timer_) input_timer_->cancel();
  }
  void wait_for(std::vector<std::weak_ptr<chat::member>> recipients) override;
  [[nodiscard]] bool congested() const override;
  void post(std::function<void()> f) override;
  void close_after_flush() override { close_after_flush(limits_.close_timeout); }
  void note_close_reason(metrics::disconnect why) override {
    if (!close_reason_) close_reason_ = why;
  }
  void arm_deadline(std::chrono::milliseconds after) override;
  void disarm_deadline() override;
  bool spend_token() override;
  [[nodiscard]] bool open() const override { return !closing_ && !stopped_; }
  [[nodiscard]] const std::string& remote_address() const override { return address_; }
  [[nodiscard]] std::string remote_label() const override;
  [[nodiscard]] const std::string& certfp() const override { return certfp_; }
  [[nodiscard]] std::shared_ptr<door::door> handle() override;
  [[nodiscard]] door::clock::time_point now() const override { return input_at_; }

 protected:
  // `carried` is the stream's transport (Stream::kTransport), for metrics.
  connection(strand s, const tcp::endpoint& remote, const limits& lim, connection_registry* registry,
             metrics::transport carried);

  // ---- For basic_connection<Stream>: the stream's side of the work.
  // Starts the read loop, on the strand.
  virtual void start_reading() = 0;
  // Writes w.batch: synchronously if the stream takes it all (true), else
  // moves the rest into in_flight_ and starts an asynchronous write whose
  // completion calls written() (false).
  virtual bool write_batch(write_state& w) = 0;
  // Everything is written: the stream's goodbye (TLS close_notify), then a
  // half-close.
  virtual void half_close() = 0;
  // Closes the socket now.
  virtual void close_stream() = 0;
  // Bytes the kernel holds unread.
  [[nodiscard]] virtual std::size_t unread_bytes() = 0;

  // ---- Called by the read loop.
  void door_start() { door_->on_start(); }
  // The handshake showed a client certificate with this fingerprint: set
  // once, before any input reaches the door (see link::certfp).
  void set_certfp(std::string fp) { certfp_ = std::move(fp); }
  // Bytes read: to the door, unless the connection is closing.
  void on_input(std::string_view bytes);
  // True while input must wait: flood control (fake lag, see spend_token),
  // backpressure (wait_for) or a long reply (wait_until_drained). Arms
  // input_timer_ for the reader to await, then ask again; once nothing
  // holds input, the door gets on_bytes("") to go on. Disconnects a
  // throttled client whose backlog passed limits_.recvq_bytes.
  bool hold_input();
  auto input_wait() {
    return async_op<std::error_code>(
        [this](auto resume) { input_timer_->async_wait(asio::bind_executor(strand_, std::move(resume))); });
  }
  // The reader ended (EOF, an error, or stop()): stops the connection.
  void reader_done(std::error_code ec);
  // A write failed with `ec`: stops the connection, counted as an error.
  void write_failed(std::error_code ec);

  // ---- Called by the writer.
  // The stream took `bytes` at once.
  void wrote_now(std::size_t bytes) {
    outbox_.written(bytes);
    drained(bytes);
  }
  // The stream took `bytes` (of a batch it has not finished).
  void drained(std::size_t bytes);
  // An asynchronous write of `bytes` completed with `ec`.
  void written(std::size_t bytes, std::error_code ec);
  void start_async_write(std::unique_ptr<write_state> w) {
    in_flight_ = std::move(w);
    writing_ = true;
  }
  // The socket's send side is shut; the reader drains until EOF or the
  // close deadline.
  bool half_closed_ = false;
  bool writing_ = false;  // a write (or TLS close_notify) is in flight

  // Closes everything now. Idempotent.
  void stop();
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }

  const limits& limits_;
  // The write in flight, if any: what the stream has not taken yet.
  std::unique_ptr<write_state> in_flight_;

 private:
  friend class connection_registry;  // wakes writers, sweeps deadlines

  void close_after_flush(std::chrono::milliseconds deadline);
  // The writer: on the strand, takes what the outbox holds and writes it,
  // again on completion, until the outbox is empty.
  void flush();
  void wake_writer();
  void on_overflow();
  bool deadline_due(std::chrono::steady_clock::time_point now) const noexcept;
  void on_deadline_due();

  strand strand_;
  std::string address_;  // "127.0.0.1"
  std::string certfp_;   // the client certificate's fingerprint; empty: none (set_certfp)
  std::uint16_t port_;   // the client's
  connection_registry* registry_;
  std::unique_ptr<door::door> door_;
  outbox outbox_;
  // The deadline (steady_clock ticks; 0: disarmed): login and close
  // deadlines, PING. Written on the strand, read by the registry's sweep
  // from any thread.
  std::atomic<std::chrono::steady_clock::rep> deadline_at_{0};
  admission::ticket ticket_;
  token_bucket bucket_;
  std::chrono::steady_clock::time_point input_at_ = std::chrono::steady_clock::now();  // see now()
  // What input waits on (hold_input): made the first time it must wait;
  // most clients never do.
  std::unique_ptr<timer> input_timer_;
  // Backpressure: recipients this connection's client left backlogged,
  // guarded by a mutex of a shared stripe (senders are rarely held back,
  // so a connection keeps no mutex of its own for it); backpressured_ says
  // whether there are any.
  std::unique_ptr<std::vector<std::weak_ptr<chat::member>>> waiting_on_;
  std::atomic<bool> backpressured_{false};
  // When the stream last took kDrainProgress bytes (steady_clock ticks),
  // and what it took since. Written on the strand, read anywhere.
  std::atomic<std::chrono::steady_clock::rep> drained_at_{0};
  std::uint32_t drained_since_ = 0;
  bool throttled_ = false;   // spend_token() ran out: input waits
  bool drain_wait_ = false;  // a long reply waits for the queue to drain
  bool door_hold_ = false;   // the door asked for no input (hold_input)
  bool held_ = false;        // hold_input() held input back
  bool closing_ = false;
  bool stopped_ = false;
  // For the metrics: the labels, whether start() counted the connection
  // open (so that stop() counts it closed), and why it is closing, as
  // first noted (note_close_reason).
  const metrics::transport transport_;
  metrics::door_kind kind_ = metrics::door_kind::irc;
  bool counted_ = false;
  std::optional<metrics::disconnect> close_reason_;
};

}  // namespace net
