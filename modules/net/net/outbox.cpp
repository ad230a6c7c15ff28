#include "net/outbox.hpp"

#include <algorithm>

namespace net {

outbox::push_result outbox::push(payload p, bool may_wait) {
  const std::lock_guard lock(mutex_);
  if (sealed_ || closed_) {
    return push_result::closed;
  }
  const std::size_t now = bytes_.load(std::memory_order_relaxed);
  if (now + p->size() > limit_) {
    closed_ = true;
    queue_.clear();
    head_ = 0;
    return push_result::overflow;
  }
  bytes_.store(now + p->size(), std::memory_order_relaxed);
  if (queue_.capacity() == 0) {
    // Room for as many as the last batch held: a busy client refills its
    // queue every round, and growing it 1, 2, 4, ... costs an allocation
    // each time.
    queue_.reserve(std::max<std::size_t>(kOutboxFirstSlots, last_batch_));
  }
  queue_.push_back(std::move(p));
  if (writer_idle_) {
    writer_idle_ = false;
    wake_deferred_ = may_wait;
    return may_wait ? push_result::wake_later : push_result::wake;
  }
  if (wake_deferred_ && !may_wait) {
    // Urgent bytes behind deferred ones: everything goes now, in order.
    wake_deferred_ = false;
    return push_result::wake;
  }
  return push_result::queued;
}

outbox::take_result outbox::take(std::vector<payload>& batch, std::size_t max) {
  const std::lock_guard lock(mutex_);
  wake_deferred_ = false;
  const std::size_t pending = queue_.size() - head_;
  if (pending == 0 || closed_) {
    if (sealed_ || closed_) {
      return take_result::drained;
    }
    writer_idle_ = true;
    // An idle client keeps no queue storage: thousands of them would each
    // hold the capacity of their largest burst.
    std::vector<payload>().swap(queue_);
    return take_result::idle;
  }
  last_batch_ = static_cast<std::uint16_t>(std::min<std::size_t>(queue_.size(), kMaxOutboxHint));
  const std::size_t n = std::min(pending, max);
  const auto first = queue_.begin() + static_cast<std::ptrdiff_t>(head_);
  std::move(first, first + static_cast<std::ptrdiff_t>(n), std::back_inserter(batch));
  head_ += n;
  if (head_ == queue_.size()) {
    queue_.clear();
    head_ = 0;
  }
  return take_result::items;
}

void outbox::written(std::size_t bytes) {
  const std::lock_guard lock(mutex_);
  const std::size_t now = bytes_.load(std::memory_order_relaxed);
  bytes_.store(now - std::min(bytes, now), std::memory_order_relaxed);
}

bool outbox::seal() {
  const std::lock_guard lock(mutex_);
  sealed_ = true;
  const bool wake = writer_idle_;
  writer_idle_ = false;
  return wake;
}

void outbox::close() {
  const std::lock_guard lock(mutex_);
  closed_ = true;
  queue_.clear();
  head_ = 0;
}

std::size_t outbox::bytes() const noexcept {
  // Written under the lock, read without it: a momentary view is enough
  // for backpressure, and senders ask once per message.
  return bytes_.load(std::memory_order_relaxed);
}

std::size_t outbox::reserved() const {
  const std::lock_guard lock(mutex_);
  return queue_.capacity();
}

}  // namespace net
