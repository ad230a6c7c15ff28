// Per-connection limits of the server, with their defaults. Each is a named
// constant documented in README.md ("Limits") and tested at its edge.
#pragma once

#include <chrono>
#include <cstddef>

namespace net {

// Bytes queued for one client and not yet written to its socket. A client
// that falls this far behind is disconnected ("SendQ exceeded"); nobody else
// waits for it.
inline constexpr std::size_t kDefaultOutboxLimit = std::size_t{512} * 1024;

// After an error reply, how long we wait for the client to read it before
// the connection is closed regardless.
inline constexpr std::chrono::milliseconds kDefaultCloseTimeout{5'000};

// On shutdown, how long clients get to receive the notice and queued data.
inline constexpr std::chrono::milliseconds kDefaultShutdownGrace{3'000};

// Bytes asked of the kernel per read, into a per-thread scratch buffer; a
// connection holds memory of its own only while a partial frame is pending.
inline constexpr std::size_t kReadScratch = std::size_t{64} * 1024;

// Queued messages gathered into one write (one syscall, one TCP segment when
// they fit): asio passes at most 64 buffers to a single writev.
inline constexpr std::size_t kMaxWriteBatch = 64;
// Synchronous writes one flush() may do before it yields the strand; a
// client whose outbox keeps refilling cannot hold it longer.
inline constexpr std::size_t kMaxWriteRounds = 4;
// How often the server looks for expired watchdogs (login, registration,
// PING and close deadlines): one sweep over all connections instead of a
// timer each. A deadline passes up to this much late.
inline constexpr std::chrono::milliseconds kWatchdogTick{100};

// Bytes that may wait (IRC: other users' JOIN, PART, QUIT and NICK) are
// written within this delay, all connections' at once, unless something that
// may not wait is queued behind them first. A client in busy channels then
// gets a join storm in a few writes rather than one per join.
inline constexpr std::chrono::milliseconds kDeferredFlushDelay{50};

// Writers woken in one round run in chunks of this many per handler, so that
// several threads share a broadcast's writes.
inline constexpr std::size_t kWakeChunk = 64;

// Flood control (see flood.hpp): commands a client may send at once, and
// commands per second after that; 0 per second turns it off. A paste of 20
// lines, or the original benchmark's 25 messages, goes through at once.
inline constexpr double kDefaultFloodBurst = 50;
inline constexpr double kDefaultFloodRate = 10;

// Bytes a throttled client may have waiting (read but not yet handled, plus
// unread in the kernel) before it is disconnected for "Excess Flood".
inline constexpr std::size_t kDefaultRecvQ = std::size_t{64} * 1024;

// Backpressure. A client's queue past half its outbox limit (the high-water
// mark) makes whoever fed it wait: that sender is not read until the queue
// is below the mark again, so a sender cannot outrun its readers, and only a
// reader that does not read is ever dropped. A recipient is waited for only
// while it drains at least kDrainProgress bytes per kDrainGrace; one that
// reads slower, or not at all, is left to its outbox limit. A waiting
// sender looks again every kBackpressurePoll. Long replies made a chunk at
// a time wait for their own queue to fall below a quarter of the limit.
inline constexpr std::chrono::milliseconds kDrainGrace{500};
inline constexpr std::size_t kDrainProgress = std::size_t{16} * 1024;
inline constexpr std::chrono::milliseconds kBackpressurePoll{2};

// A TLS connection's own read buffer: what one read hands the door. OpenSSL
// keeps the rest of a record for the next read (no system call), and every
// idle TLS connection holds this buffer: 2 KiB rather than a whole 16 KiB
// record costs 14 KB less per connection (bench/RESULTS.md).
inline constexpr std::size_t kTlsReadBuffer = std::size_t{2} * 1024;

struct limits {
  std::size_t outbox_bytes = kDefaultOutboxLimit;
  double flood_burst = kDefaultFloodBurst;
  double flood_rate = kDefaultFloodRate;
  std::size_t recvq_bytes = kDefaultRecvQ;
  std::chrono::milliseconds close_timeout = kDefaultCloseTimeout;
};

}  // namespace net
