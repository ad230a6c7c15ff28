#include "signals.hpp"

#include <pthread.h>

#include <system_error>

namespace server_signals {

sigset_t block(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (const int s : signals) sigaddset(&set, s);
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
  }
  return set;
}

watcher::watcher(sigset_t set, std::function<void(int)> on_signal)
    : set_(set), on_signal_(std::move(on_signal)), thread_([this] { run(); }) {}

watcher::~watcher() {
  done_ = true;
  // Any signal of the set wakes sigwait(); the loop then sees done_. The
  // signal goes to this thread only, so nothing else notices it.
  for (int s = 1; s < NSIG; ++s) {
    if (sigismember(&set_, s) == 1) {
      pthread_kill(thread_.native_handle(), s);
      break;
    }
  }
  thread_.join();
}

void watcher::run() {
  for (;;) {
    int signo = 0;
    const int rc = sigwait(&set_, &signo);
    if (done_) return;
    if (rc == 0) on_signal_(signo);
  }
}

}  // namespace server_signals
