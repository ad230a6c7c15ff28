// The seam between a front door (a protocol state machine) and its
// connection. A door never touches a socket: it reads bytes it is given and
// acts through a `link`. The connection implements it over a real stream;
// tests implement it over a vector of lines.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chat/event.hpp"
#include "chat/member.hpp"
#include "metrics/metrics.hpp"

namespace door {

class door;
using clock = std::chrono::steady_clock;
using chat::payload;

// What a door may ask of its connection. Unless marked thread-safe, call
// only on the door's strand (from the door's own entry points).
class link {
 public:
  link() = default;
  link(const link&) = delete;
  link& operator=(const link&) = delete;
  virtual ~link() = default;

  // Queues bytes for the client. Thread-safe, never blocks. A client whose
  // queue would pass its limit is dropped instead (`dropped` then, and when
  // the connection is closing); `backlogged` says the queue is past its
  // high-water mark (half the limit). Bytes that `may_wait` may be held back
  // briefly (kDeferredFlushDelay) to be written with others.
  virtual chat::delivery send(payload bytes, bool may_wait = false) = 0;

  // Stops giving the door input until the queue has drained below its
  // low-water mark (a quarter of the limit); then on_bytes("") comes. For
  // long replies made a chunk at a time.
  virtual void wait_until_drained() = 0;

  // Holds input (on) until released (off), then on_bytes("") comes: the door
  // waits for something of its own (a labeled command's answers).
  virtual void hold_input(bool on) = 0;

  // Backpressure (see chat::member::wait_for): no input until none of
  // `recipients` is congested. Thread-safe.
  virtual void wait_for(std::vector<std::weak_ptr<chat::member>> recipients) = 0;

  // True while the queue is past its high-water mark and the client still
  // reads at a reader's pace (see chat::member::congested). Thread-safe.
  [[nodiscard]] virtual bool congested() const = 0;

  // Runs `f` on the door's strand, after what is queued there. Thread-safe.
  virtual void post(std::function<void()> f) = 0;

  // Stops reading, writes what is queued, half-closes, then closes when the
  // client does or the close deadline passes.
  virtual void close_after_flush() = 0;

  // Why the connection is going to close, for the disconnect counters
  // (metrics.hpp): say it before closing. The first reason noted wins: a
  // client that quits and then hangs up has quit. Without one, the
  // connection counts `closed`, or `error` for a socket error.
  virtual void note_close_reason(metrics::disconnect why) = 0;

  // Arms (or re-arms) the door's one deadline: on_deadline() runs when it
  // passes (up to the sweep interval late). disarm_deadline() cancels it.
  virtual void arm_deadline(std::chrono::milliseconds after) = 0;
  virtual void disarm_deadline() = 0;

  // Flood control: spends one token for a handled command. False means stop
  // handling input now; on_bytes("") comes again once the client may go on.
  virtual bool spend_token() = 0;

  // False once the connection is closing or closed: a door stops handling
  // input then.
  [[nodiscard]] virtual bool open() const = 0;

  // The client's address as text ("127.0.0.1"), fixed for the connection's
  // life, and with its port for logs ("127.0.0.1:50312"). Thread-safe.
  [[nodiscard]] virtual const std::string& remote_address() const = 0;
  [[nodiscard]] virtual std::string remote_label() const = 0;

  // The shared handle through which rooms and the directory hold the door:
  // it keeps the connection, and so the door, alive. Thread-safe.
  [[nodiscard]] virtual std::shared_ptr<door> handle() = 0;

  // True if the transport is encrypted (TLS). Thread-safe.
  [[nodiscard]] virtual bool secure() const = 0;

  // The fingerprint of the TLS client certificate the client showed: SHA-256
  // of its DER, 64 lowercase hex digits (SASL EXTERNAL, NickServ CERT);
  // empty without one, and always over plain TCP and WebSocket. Set once,
  // after the handshake and before the door gets any input; thread-safe
  // from then on.
  [[nodiscard]] virtual const std::string& certfp() const = 0;

  // When the input being handled was read: one clock reading per read, not
  // per command.
  [[nodiscard]] virtual clock::time_point now() const = 0;
};

// A front door: the protocol of one client, as a chat member. Its entry
// points run on its connection's strand, one at a time; deliver() and info()
// (from chat::member) may run on any thread.
class door : public chat::member {
 public:
  explicit door(link& l) : link_(l) {}

  // The connection has started (arm a login deadline, say hello).
  virtual void on_start() = 0;
  // Bytes from the client, valid during the call only ("" after flood
  // control lets input go on).
  virtual void on_bytes(std::string_view bytes) = 0;
  // The deadline passed while the connection is open.
  virtual void on_deadline() = 0;
  // The server is shutting down: say goodbye if the protocol has a way.
  virtual void on_shutdown() = 0;
  // The client's unhandled input passed its limit while throttled: say why;
  // the connection closes after.
  virtual void on_excess_flood() = 0;
  // The connection is gone: leave rooms, free names. Runs once.
  virtual void on_stop() = 0;
  // Bytes received but not handled yet (a partial line or frame, or what
  // flood control holds back).
  [[nodiscard]] virtual std::size_t pending_input() const = 0;
  // Which protocol this is, for the metrics' labels. Fixed for the door's life.
  [[nodiscard]] virtual metrics::door_kind kind() const noexcept = 0;

  // chat::member: through the link.
  [[nodiscard]] bool congested() const override { return link_.congested(); }
  void wait_for(std::vector<std::weak_ptr<chat::member>> recipients) override {
    link_.wait_for(std::move(recipients));
  }

  // This door as rooms and the directory hold it (link::handle()).
  std::shared_ptr<door> self() const { return link_.handle(); }

 protected:
  link& link_;
};

}  // namespace door
