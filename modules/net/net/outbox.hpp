// A bounded queue of shared wire buffers between producers on any strand and
// one writer on the connection's strand. Guarded by its own mutex: a push is
// a pointer copy under a lock, cheaper than a post per message.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chat/event.hpp"
#include "chat/small_mutex.hpp"

namespace net {

// Queue slots an idle outbox reserves on its first push, at least (an idle
// outbox holds none); at most kMaxOutboxHint, however large the last batch.
inline constexpr std::size_t kOutboxFirstSlots = 4;
inline constexpr std::size_t kMaxOutboxHint = 256;

using payload = chat::payload;

class outbox {
 public:
  explicit outbox(std::size_t limit_bytes) : limit_(limit_bytes) {}

  enum class push_result {
    queued,      // the writer is busy and will find it
    wake,        // the writer was idle (or waits for a deferred wake): wake it now
    wake_later,  // the writer was idle and the push may wait: wake it within
                 // kDeferredFlushDelay
    overflow,    // over the byte limit: nothing queued, the outbox is now closed
    closed,      // sealed or closed: dropped
  };
  // `may_wait`: the bytes need not leave at once (see kDeferredFlushDelay);
  // a later push that may not wait takes them along.
  push_result push(payload p, bool may_wait = false);

  enum class take_result {
    items,    // `batch` holds buffers to write
    idle,     // nothing queued; the writer is marked idle and must wait
    drained,  // sealed and empty: the writer is done
  };
  // Moves up to `max` queued buffers to the back of `batch`.
  take_result take(std::vector<payload>& batch, std::size_t max);

  // Written buffers leave the byte count only once the socket took them.
  void written(std::size_t bytes);

  // No more pushes; what is queued is still written. Returns true if the
  // writer is idle and must be woken to finish.
  bool seal();

  // No more pushes, and what is queued is dropped.
  void close();

  // Bytes queued and in flight. Lock-free.
  std::size_t bytes() const noexcept;
  // Queue slots allocated (pending or not): none while the writer is idle.
  std::size_t reserved() const;

 private:
  mutable chat::small_mutex mutex_;
  std::vector<payload> queue_;  // [head_, end) is pending
  std::size_t head_ = 0;
  std::atomic<std::size_t> bytes_{0};  // queued plus in flight; written under mutex_
  const std::size_t limit_;
  std::uint16_t last_batch_ = 0;  // queue length at the last take: the next reserve
  bool writer_idle_ = false;
  bool wake_deferred_ = false;  // woken by wake_later and not flushed since
  bool sealed_ = false;
  bool closed_ = false;
};

}  // namespace net
