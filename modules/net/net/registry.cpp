#include "net/registry.hpp"

#include <span>

#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include "net/connection.hpp"

namespace net {

void connection_registry::add(const std::shared_ptr<connection>& c) {
  const std::lock_guard lock(mutex_);
  items_.emplace(c.get(), c);
  if (!sweep_armed_) {
    sweep_armed_ = true;
    arm_sweep();
  }
}

void connection_registry::arm_sweep() {
  sweep_timer_.expires_after(kWatchdogTick);
  sweep_timer_.async_wait([this](std::error_code ec) {
    if (!ec) sweep();
  });
}

void connection_registry::sweep() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<connection>> due;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [c, weak] : items_) {
      // Reading the deadline is safe: a connection leaves items_ (under this
      // lock) before it can be destroyed.
      if (c->deadline_due(now)) {
        if (auto live = weak.lock()) due.push_back(std::move(live));
      }
    }
    // Runs while there are connections: an idle server leaves the event
    // loop nothing to wait for.
    sweep_armed_ = !items_.empty();
    if (sweep_armed_) arm_sweep();
  }
  for (auto& c : due) {
    asio::post(c->strand_, [c] { c->on_deadline_due(); });
  }
}

void connection_registry::remove(const connection* c) {
  const std::lock_guard lock(mutex_);
  items_.erase(c);
}

void connection_registry::for_each(const std::function<void(const std::shared_ptr<connection>&)>& f) const {
  std::vector<std::shared_ptr<connection>> live;
  {
    const std::lock_guard lock(mutex_);
    live.reserve(items_.size());
    for (const auto& [key, weak] : items_) {
      if (auto c = weak.lock()) {
        live.push_back(std::move(c));
      }
    }
  }
  for (const auto& c : live) {
    f(c);
  }
}

std::size_t connection_registry::size() const {
  const std::lock_guard lock(mutex_);
  return items_.size();
}

void connection_registry::flush_later(std::shared_ptr<connection> c) {
  const std::lock_guard lock(deferred_mutex_);
  deferred_.push_back(std::move(c));
  if (flush_armed_) {
    return;
  }
  flush_armed_ = true;
  flush_timer_.expires_after(kDeferredFlushDelay);
  flush_timer_.async_wait([this](std::error_code ec) {
    if (!ec) flush_deferred();
  });
}

void connection_registry::flush_soon(std::shared_ptr<connection> c) {
  const std::lock_guard lock(ready_mutex_);
  ready_.push_back(std::move(c));
  if (!ready_posted_) {
    ready_posted_ = true;
    asio::post(io_, [this] { flush_ready(); });
  }
}

void connection_registry::flush_ready() {
  std::vector<std::shared_ptr<connection>> due;
  {
    const std::lock_guard lock(ready_mutex_);
    due.swap(ready_);
    ready_posted_ = false;
  }
  wake_writers(due);
}

void connection_registry::wake_writers(std::vector<std::shared_ptr<connection>>& due) {
  // A strand that is free runs its writer here and now (dispatch); a busy
  // one queues it. Beyond the first chunk, writers go to the io_context in
  // chunks, so that other threads can take some.
  auto wake = [](std::span<std::shared_ptr<connection>> chunk) {
    for (auto& c : chunk) {
      const auto& on = c->strand_;
      asio::dispatch(on, [c = std::move(c)] { c->flush(); });
    }
  };
  for (std::size_t first = kWakeChunk; first < due.size(); first += kWakeChunk) {
    const auto part = std::span(due).subspan(first, std::min(kWakeChunk, due.size() - first));
    asio::post(io_,
               [wake, chunk = std::vector(std::make_move_iterator(part.begin()),
                                          std::make_move_iterator(part.end()))]() mutable { wake(chunk); });
  }
  wake(std::span(due).first(std::min(due.size(), kWakeChunk)));
}

void connection_registry::flush_deferred() {
  std::vector<std::shared_ptr<connection>> due;
  {
    const std::lock_guard lock(deferred_mutex_);
    due.swap(deferred_);
    flush_armed_ = false;
  }
  // A writer already woken by urgent bytes finds its outbox empty or busy
  // and returns at once.
  wake_writers(due);
}

}  // namespace net
