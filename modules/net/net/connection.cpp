#include "net/connection.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include <asio/post.hpp>
#include <asio/ssl/error.hpp>

#include "net/registry.hpp"

namespace net {

namespace {

// The mutexes that guard connections' backpressure lists, shared by stripe:
// a list is touched once per message that left someone backlogged.
chat::small_mutex& waiting_stripe(const connection* c) {
  static std::array<chat::small_mutex, 64> stripes;
  return stripes[(reinterpret_cast<std::uintptr_t>(c) >> 6) % stripes.size()];
}

// The client went away (it closed, or reset a socket it stopped reading, or
// left TLS without close_notify): counted as `closed`, not as an error.
bool peer_went_away(std::error_code ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::ssl::error::stream_truncated;
}

// Why a stream's error ended the connection, for the metrics.
metrics::disconnect reason_for(std::error_code ec) {
  return peer_went_away(ec) ? metrics::disconnect::closed : metrics::disconnect::error;
}

}  // namespace

connection::connection(strand s, const tcp::endpoint& remote, const limits& lim,
                       connection_registry* registry, metrics::transport carried)
    : limits_(lim),
      strand_(std::move(s)),
      address_(remote.address().to_string()),
      port_(remote.port()),
      registry_(registry),
      outbox_(lim.outbox_bytes),
      bucket_(lim.flood_burst, lim.flood_rate, std::chrono::steady_clock::now()),
      transport_(carried) {}

connection::~connection() = default;

void connection::install(const std::function<std::unique_ptr<door::door>(door::link&)>& make) {
  door_ = make(*this);
  kind_ = door_->kind();
}

std::shared_ptr<door::door> connection::handle() {
  // Shares ownership of the whole connection: a room that holds a member
  // keeps its connection (and so the door) alive.
  return {shared_from_this(), door_.get()};
}

std::string connection::remote_label() const {
  return fmt::format("{}:{}", address_, port_);
}

void connection::start() {
  metrics::connection_opened(kind_, transport_);
  counted_ = true;  // before the strand runs anything that could stop()
  if (registry_ != nullptr) {
    registry_->add(shared_from_this());
  }
  // The read loop starts on the strand, like every step after it.
  asio::post(strand_, [self = shared_from_this()] { self->start_reading(); });
  // The first flush finds the outbox empty and marks the writer idle, so
  // that the next send() wakes it.
  asio::post(strand_, [self = shared_from_this()] { self->flush(); });
}

chat::delivery connection::send(payload p, bool may_wait) {
  const auto queued = [this] {
    return outbox_.bytes() > limits_.outbox_bytes / 2 ? chat::delivery::backlogged : chat::delivery::queued;
  };
  const auto pushed = outbox_.push(std::move(p), may_wait);
  if (pushed != outbox::push_result::overflow && pushed != outbox::push_result::closed)
    metrics::message_out();
  switch (pushed) {
    case outbox::push_result::queued:
      return queued();
    case outbox::push_result::wake:
      if (registry_ != nullptr) {
        registry_->flush_soon(shared_from_this());
      } else {
        wake_writer();
      }
      return queued();
    case outbox::push_result::wake_later:
      if (registry_ != nullptr) {
        registry_->flush_later(shared_from_this());
      } else {
        wake_writer();
      }
      return queued();
    case outbox::push_result::overflow:
      asio::post(strand_, [self = shared_from_this()] { self->on_overflow(); });
      return chat::delivery::dropped;
    case outbox::push_result::closed:
      return chat::delivery::dropped;
  }
  return chat::delivery::dropped;
}

void connection::post(std::function<void()> f) {
  asio::post(strand_, [self = shared_from_this(), f = std::move(f)] { f(); });
}

void connection::wake_writer() {
  asio::post(strand_, [self = shared_from_this()] { self->flush(); });
}

void connection::on_overflow() {
  spdlog::warn("connection {}: SendQ exceeded ({} bytes), disconnecting", remote_label(),
               limits_.outbox_bytes);
  note_close_reason(metrics::disconnect::sendq);
  stop();
}

void connection::request_shutdown(std::chrono::milliseconds grace) {
  asio::post(strand_, [self = shared_from_this(), grace] {
    if (self->closing_ || self->stopped_) {
      return;
    }
    self->note_close_reason(metrics::disconnect::shutdown);
    self->door_->on_shutdown();
    self->close_after_flush(grace);
  });
}

void connection::close_after_flush(std::chrono::milliseconds deadline) {
  if (closing_ || stopped_) {
    return;
  }
  closing_ = true;
  arm_deadline(deadline);
  if (outbox_.seal()) {
    flush();
  }
}

void connection::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  if (counted_)
    metrics::connection_closed(kind_, transport_, close_reason_.value_or(metrics::disconnect::closed));
  outbox_.close();
  close_stream();
  disarm_deadline();
  if (input_timer_) input_timer_->cancel();
  ticket_.reset();
  if (registry_ != nullptr) {
    registry_->remove(this);
  }
  door_->on_stop();
}

bool connection::spend_token() {
  if (bucket_.spend(input_at_)) {
    return true;
  }
  throttled_ = true;
  return false;
}

void connection::arm_deadline(std::chrono::milliseconds after) {
  const auto at = std::chrono::steady_clock::now() + after;
  deadline_at_.store(at.time_since_epoch().count(), std::memory_order_relaxed);
}

void connection::disarm_deadline() {
  deadline_at_.store(0, std::memory_order_relaxed);
}

bool connection::deadline_due(std::chrono::steady_clock::time_point now) const noexcept {
  const auto at = deadline_at_.load(std::memory_order_relaxed);
  return at != 0 && at <= now.time_since_epoch().count();
}

void connection::on_deadline_due() {
  // Re-armed or disarmed since the sweep saw it due: nothing to do.
  if (stopped_ || !deadline_due(std::chrono::steady_clock::now())) {
    return;
  }
  disarm_deadline();
  if (closing_) {
    stop();
  } else {
    door_->on_deadline();
  }
}

void connection::on_input(std::string_view bytes) {
  if (closing_ || stopped_) return;
  input_at_ = std::chrono::steady_clock::now();
  door_->on_bytes(bytes);
}

bool connection::hold_input() {
  for (;;) {
    if (stopped_ || closing_) return false;
    using clock = std::chrono::steady_clock;
    const auto now = clock::now();
    clock::duration wait{};
    bool hold = false;
    if (backpressured_.load(std::memory_order_acquire)) {
      // Waiting for recipients: forget those that caught up, went away or
      // stopped reading (congested() says which are worth waiting for).
      std::vector<std::weak_ptr<chat::member>> left;
      {
        const std::lock_guard lock(waiting_stripe(this));
        if (waiting_on_) left.swap(*waiting_on_);
        backpressured_.store(false, std::memory_order_relaxed);
      }
      std::erase_if(left, [](const std::weak_ptr<chat::member>& w) {
        const auto m = w.lock();
        return !m || !m->congested();
      });
      if (!left.empty()) {
        const std::lock_guard lock(waiting_stripe(this));
        if (!waiting_on_) waiting_on_ = std::make_unique<std::vector<std::weak_ptr<chat::member>>>();
        waiting_on_->insert(waiting_on_->end(), std::make_move_iterator(left.begin()),
                            std::make_move_iterator(left.end()));
        backpressured_.store(true, std::memory_order_release);
        hold = true;
        wait = kBackpressurePoll;
      }
    }
    if (!hold && door_hold_) {
      hold = true;
      wait = kBackpressurePoll;
    }
    if (!hold && drain_wait_) {
      if (outbox_.bytes() > limits_.outbox_bytes / 4) {
        hold = true;
        wait = kBackpressurePoll;
      } else {
        drain_wait_ = false;
      }
    }
    if (!hold && throttled_) {
      // Flood control: the rest of the input waits in the door's decoder
      // (and the kernel) until the bucket allows the next command.
      const std::size_t waiting = door_->pending_input() + unread_bytes();
      if (waiting > limits_.recvq_bytes) {
        spdlog::warn("connection {}: Excess Flood ({} bytes waiting), disconnecting", remote_label(),
                     waiting);
        note_close_reason(metrics::disconnect::flood);
        door_->on_excess_flood();
        if (!closing_) stop();
        return false;
      }
      wait = bucket_.wait_time(now);
      if (wait > clock::duration::zero()) {
        hold = true;
      } else {
        throttled_ = false;
      }
    }
    if (hold) {
      held_ = true;
      if (!input_timer_) input_timer_ = std::make_unique<timer>(strand_.get_inner_executor());
      input_timer_->expires_after(wait);
      return true;
    }
    if (!held_ && !throttled_) return false;
    // Nothing holds input any more: the door goes on with what it kept
    // (and may hold it again: flood control, a reply's next chunk).
    held_ = false;
    throttled_ = false;
    input_at_ = clock::now();
    door_->on_bytes({});
  }
}

void connection::wait_for(std::vector<std::weak_ptr<chat::member>> recipients) {
  const std::lock_guard lock(waiting_stripe(this));
  if (!waiting_on_) waiting_on_ = std::make_unique<std::vector<std::weak_ptr<chat::member>>>();
  // A sender usually feeds the same few: keep each once.
  for (auto& r : recipients) {
    const auto m = r.lock();
    if (!m) continue;
    if (std::none_of(waiting_on_->begin(), waiting_on_->end(),
                     [&](const std::weak_ptr<chat::member>& w) { return w.lock() == m; })) {
      waiting_on_->push_back(std::move(r));
    }
  }
  backpressured_.store(!waiting_on_->empty(), std::memory_order_release);
}

bool connection::congested() const {
  if (outbox_.bytes() <= limits_.outbox_bytes / 2) return false;
  const auto since = std::chrono::steady_clock::now().time_since_epoch().count() -
                     drained_at_.load(std::memory_order_relaxed);
  return since < std::chrono::steady_clock::duration(kDrainGrace).count();
}

void connection::drained(std::size_t bytes) {
  drained_since_ += static_cast<std::uint32_t>(std::min<std::size_t>(bytes, kDrainProgress));
  if (drained_since_ >= kDrainProgress) {
    drained_since_ = 0;
    drained_at_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
  if (drain_wait_ && outbox_.bytes() <= limits_.outbox_bytes / 4) {
    // A long reply's queue has drained: its next chunk, whether or not the
    // reader is waiting for input just now.
    drain_wait_ = false;
    asio::post(strand_, [self = shared_from_this()] {
      if (self->open()) {
        self->input_at_ = std::chrono::steady_clock::now();
        self->door_->on_bytes({});
      }
    });
  }
}

void connection::reader_done(std::error_code ec) {
  if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted) {
    spdlog::debug("connection {}: {}", remote_label(), ec.message());
    note_close_reason(reason_for(ec));
  }
  stop();
}

void connection::write_failed(std::error_code ec) {
  if (ec != asio::error::operation_aborted) {
    spdlog::debug("connection {}: write: {}", remote_label(), ec.message());
    note_close_reason(reason_for(ec));
  }
  stop();
}

namespace {

// The batch being written synchronously: one per thread, so that a
// connection holds write buffers of its own only while a write is pending.
// flush() never suspends, and a strand runs on one thread at a time.
write_state& write_scratch() {
  static thread_local write_state scratch;
  return scratch;
}

}  // namespace

void connection::flush() {
  auto& w = write_scratch();
  // A few synchronous rounds at most, then the strand serves others first.
  for (std::size_t round = 0; round < kMaxWriteRounds; ++round) {
    if (writing_ || stopped_) {
      return;
    }
    w.batch.clear();
    switch (outbox_.take(w.batch, kMaxWriteBatch)) {
      case outbox::take_result::idle:
        // Nothing to write. The next send() finds the writer marked idle and
        // posts flush() again.
        return;
      case outbox::take_result::drained:
        if (closing_) {
          if (!half_closed_) half_close();
        } else {
          // The outbox was closed under us (overflow): the same stop as
          // on_overflow(), whichever runs first.
          note_close_reason(metrics::disconnect::sendq);
          stop();
        }
        return;
      case outbox::take_result::items:
        break;
    }
    const bool done = write_batch(w);
    w.batch.clear();  // the thread's scratch holds no payload past this call
    if (!done) {
      return;  // a write is in flight, or the connection stopped
    }
  }
  asio::post(strand_, [self = shared_from_this()] { self->flush(); });
}

void connection::written(std::size_t bytes, std::error_code ec) {
  writing_ = false;
  in_flight_.reset();
  outbox_.written(bytes);
  drained(bytes);
  if (ec) {
    write_failed(ec);
  } else {
    flush();
  }
}

}  // namespace net
