// Process signals, received on a thread of their own with sigwait().
//
// Why not asio::signal_set: a signal handler runs on whichever thread the
// kernel picks, and ThreadSanitizer defers handlers until that thread calls
// an intercepted function, so under TSan a SIGTERM could wait indefinitely.
// Blocking the signals everywhere and taking them synchronously on one
// thread has no handler at all: no race with start-up (a signal that comes
// early waits, blocked, until the watcher takes it) and nothing deferred.
#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <initializer_list>
#include <thread>

namespace server_signals {

// Blocks `signals` in the calling thread and in every thread it starts
// afterwards. Call first thing in main(), before any thread exists.
sigset_t block(std::initializer_list<int> signals);

// Runs `on_signal(signo)` on its own thread for each signal in `set`
// (which must be blocked, see block()). The callback must be quick and
// thread-safe: typically it posts work to the event loop. The destructor
// stops the thread.
class watcher {
 public:
  watcher(sigset_t set, std::function<void(int)> on_signal);
  watcher(const watcher&) = delete;
  watcher& operator=(const watcher&) = delete;
  ~watcher();

 private:
  void run();

  sigset_t set_;
  std::function<void(int)> on_signal_;
  std::atomic<bool> done_{false};
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace server_signals
