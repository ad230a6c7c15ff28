// The live connections, so that shutdown can reach each one; the sweep that
// finds expired deadlines; and the lists of connections whose writers wait
// to be woken (this round's, and the deferred ones). Guarded by mutexes:
// connections come and go on their own strands.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "chat/small_mutex.hpp"
#include "net/asio.hpp"

namespace net {

class connection;

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
  // Every kWatchdogTick while there are connections: posts on_deadline_due()
  // to each connection whose deadline has passed.
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

  chat::small_mutex ready_mutex_;
  std::vector<std::shared_ptr<connection>> ready_;  // guarded by ready_mutex_
  bool ready_posted_ = false;                       // guarded by ready_mutex_
};

}  // namespace net
