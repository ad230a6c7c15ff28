// The web listener's live HTTP connections (those not yet upgraded to a
// WebSocket), so that shutdown can close them: an idle kept-alive socket
// must not keep the event loop running. Guarded by a mutex: sessions come
// and go on their own strands.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

namespace net {

class http_session_base {
 public:
  http_session_base() = default;
  http_session_base(const http_session_base&) = delete;
  http_session_base& operator=(const http_session_base&) = delete;
  virtual ~http_session_base() = default;
  // Closes the socket, on the session's strand. Thread-safe.
  virtual void close() = 0;
};

class http_sessions {
 public:
  // False once close_all() has run: the session should close at once.
  bool add(const std::shared_ptr<http_session_base>& s);
  void remove(const http_session_base* s);
  void close_all();

 private:
  std::mutex mutex_;
  std::unordered_map<const http_session_base*, std::weak_ptr<http_session_base>> live_;
  bool closed_ = false;
};

}  // namespace net
