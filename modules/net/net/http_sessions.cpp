#include "net/http_sessions.hpp"

#include <vector>

namespace net {

bool http_sessions::add(const std::shared_ptr<http_session_base>& s) {
  const std::lock_guard lock(mutex_);
  if (closed_) return false;
  live_.emplace(s.get(), s);
  return true;
}

void http_sessions::remove(const http_session_base* s) {
  const std::lock_guard lock(mutex_);
  live_.erase(s);
}

void http_sessions::close_all() {
  std::vector<std::shared_ptr<http_session_base>> open;
  {
    const std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [key, weak] : live_) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  for (auto& s : open) s->close();
}

}  // namespace net
