#include "net/connection.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <span>
#include <stdexcept>
#include <tuple>

#include <asio/bind_executor.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

namespace net {

connection::connection(stream_socket socket, const limits& lim, connection_registry* registry)
    : socket_(std::move(socket)),
      limits_(lim),
      strand_(asio::make_strand(socket_.get_executor())),
      registry_(registry),
      outbox_(lim.outbox_bytes),
      bucket_(lim.flood_burst, lim.flood_rate, std::chrono::steady_clock::now()) {
  std::error_code ec;
  remote_ = socket_.remote_endpoint(ec);
  // Synchronous reads and writes return would_block instead of waiting.
  socket_.non_blocking(true, ec);
}

connection::~connection() = default;

void connection::start() {
  if (registry_ != nullptr) {
    registry_->add(shared_from_this());
  }
  // The read loop starts on the strand, like every step after it.
  asio::post(strand_, [self = shared_from_this()] {
    if (self->tls_) {
      tls_read_loop(self);
    } else {
      read_loop(self);
    }
  });
  // The first flush finds the outbox empty and marks the writer idle, so
  // that the next send() wakes it.
  asio::post(strand_, [self = shared_from_this()] { self->flush(); });
}

bool connection::send(payload p, bool may_wait) {
  switch (outbox_.push(std::move(p), may_wait)) {
    case outbox::push_result::queued:
      return true;
    case outbox::push_result::wake:
      if (registry_ != nullptr) {
        registry_->flush_soon(shared_from_this());
      } else {
        wake_writer();
      }
      return true;
    case outbox::push_result::wake_later:
      if (registry_ != nullptr) {
        registry_->flush_later(shared_from_this());
      } else {
        wake_writer();
      }
      return true;
    case outbox::push_result::overflow:
      asio::post(strand_, [self = shared_from_this()] { self->on_overflow(); });
      return false;
    case outbox::push_result::closed:
      return false;
  }
  return false;
}

void connection::wake_writer() {
  asio::post(strand_, [self = shared_from_this()] { self->flush(); });
}

void connection::on_overflow() {
  spdlog::warn("connection {}: SendQ exceeded ({} bytes), disconnecting", remote_.address().to_string(),
               limits_.outbox_bytes);
  stop();
}

void connection::request_shutdown(std::chrono::milliseconds grace) {
  asio::post(strand_, [self = shared_from_this(), grace] {
    if (self->closing_ || self->stopped_) {
      return;
    }
    self->on_shutdown();
    self->close_after_flush(grace);
  });
}

void connection::close_after_flush(std::chrono::milliseconds deadline) {
  if (closing_ || stopped_) {
    return;
  }
  closing_ = true;
  arm_watchdog(deadline);
  if (outbox_.seal()) {
    flush();
  }
}

void connection::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  outbox_.close();
  std::error_code ignored;
  socket_.close(ignored);
  disarm_watchdog();
  if (flood_timer_) flood_timer_->cancel();
  ticket_.reset();
  if (registry_ != nullptr) {
    registry_->remove(this);
  }
  on_stop();
}

bool connection::spend_token() {
  if (bucket_.spend(input_at_)) {
    return true;
  }
  throttled_ = true;
  return false;
}

void connection::arm_watchdog(std::chrono::milliseconds after) {
  const auto at = std::chrono::steady_clock::now() + after;
  watchdog_at_.store(at.time_since_epoch().count(), std::memory_order_relaxed);
}

void connection::disarm_watchdog() {
  watchdog_at_.store(0, std::memory_order_relaxed);
}

bool connection::watchdog_due(std::chrono::steady_clock::time_point now) const noexcept {
  const auto at = watchdog_at_.load(std::memory_order_relaxed);
  return at != 0 && at <= now.time_since_epoch().count();
}

void connection::on_watchdog_due() {
  // Re-armed or disarmed since the sweep saw it due: nothing to do.
  if (stopped_ || !watchdog_due(std::chrono::steady_clock::now())) {
    return;
  }
  disarm_watchdog();
  if (closing_) {
    stop();
  } else {
    on_watchdog();
  }
}

namespace {

// Every read lands here first; only a partial frame is copied into the
// connection's own buffer. Idle connections therefore hold no read buffer.
// The coroutine may move between threads, but never while using it: each
// use is between two suspension points.
std::span<char> read_scratch() {
  static thread_local std::array<char, kReadScratch> scratch;
  return scratch;
}

}  // namespace

auto connection::flood_wait() {
  return async_op<std::error_code>(
      [this](auto resume) { flood_timer_->async_wait(asio::bind_executor(strand_, std::move(resume))); });
}

// The plain and TLS loops are separate coroutines so that the plain one,
// which every idle connection holds, has the smallest frame.
detached_task connection::read_loop(std::shared_ptr<connection> self) {
  connection& c = *self;
  std::error_code ec;
  try {
    c.on_start();
    while (!ec && !c.stopped_) {
      // Wait for readability without a buffer, then read what is there.
      // (asio re-arms the descriptor for each wait, so a read that leaves
      // data behind is woken again at once.)
      std::tie(ec) = co_await async_op<std::error_code>([&c](auto resume) {
        c.socket_.async_wait(stream_socket::wait_read, asio::bind_executor(c.strand_, std::move(resume)));
      });
      if (ec) break;
      const auto scratch = read_scratch();
      const std::size_t n = c.socket_.read_some(asio::buffer(scratch.data(), scratch.size()), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec.clear();
        continue;
      }
      if (!ec && !c.closing_) {
        c.input_at_ = std::chrono::steady_clock::now();
        c.on_bytes(std::string_view(scratch.data(), n));
      }
      while (c.must_throttle()) {
        co_await c.flood_wait();
        c.resume_after_throttle();
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("connection {}: {}", c.remote_.address().to_string(), e.what());
  }
  c.reader_done(ec);
}

detached_task connection::tls_read_loop(std::shared_ptr<connection> self) {
  connection& c = *self;
  std::error_code ec;
  try {
    c.on_start();
    // The handshake runs under the login watchdog that on_start() armed.
    std::tie(ec) = co_await async_op<std::error_code>([&c](auto resume) {
      c.tls_->stream.async_handshake(asio::ssl::stream_base::server,
                                     asio::bind_executor(c.strand_, std::move(resume)));
    });
    if (ec) {
      spdlog::info("connection {}: TLS handshake failed: {}", c.remote_.address().to_string(), ec.message());
    }
    // TLS decrypts into the buffer while the loop is suspended, so TLS
    // connections read into a buffer of their own, not the thread's.
    std::vector<char> buffer(kTlsReadBuffer);
    while (!ec && !c.stopped_) {
      std::size_t n = 0;
      std::tie(ec, n) = co_await async_op<std::error_code, std::size_t>([&c, &buffer](auto resume) {
        c.tls_->stream.async_read_some(asio::buffer(buffer),
                                       asio::bind_executor(c.strand_, std::move(resume)));
      });
      if (n > 0 && !c.closing_) {
        c.input_at_ = std::chrono::steady_clock::now();
        c.on_bytes(std::string_view(buffer.data(), n));
      }
      while (c.must_throttle()) {
        co_await c.flood_wait();
        c.resume_after_throttle();
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("connection {}: {}", c.remote_.address().to_string(), e.what());
  }
  c.reader_done(ec);
}

bool connection::must_throttle() {
  // Flood control: the rest of the input waits in the decoder (and the
  // kernel) until the bucket allows the next command.
  if (!throttled_ || stopped_ || closing_) {
    return false;
  }
  std::error_code ec;
  const std::size_t unread = socket_.available(ec);
  if (pending_input() + unread > limits_.recvq_bytes) {
    spdlog::warn("connection {}: Excess Flood ({} bytes waiting), disconnecting",
                 remote_.address().to_string(), pending_input() + unread);
    on_excess_flood();
    return false;
  }
  if (!flood_timer_) flood_timer_ = std::make_unique<timer>(socket_.get_executor());
  flood_timer_->expires_after(bucket_.wait_time(std::chrono::steady_clock::now()));
  return true;
}

void connection::resume_after_throttle() {
  throttled_ = false;
  if (!stopped_ && !closing_) {
    input_at_ = std::chrono::steady_clock::now();
    on_bytes({});
  }
}

void connection::reader_done(std::error_code ec) {
  if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted) {
    spdlog::debug("connection {}: {}", remote_.address().to_string(), ec.message());
  }
  stop();
}

void connection::secure_with(std::shared_ptr<asio::ssl::context> context) {
  tls_ = std::make_unique<tls_state>(socket_, std::move(context));
}

namespace {

// The batch being written synchronously: one per thread, so that a
// connection holds write buffers of its own only while a write is pending.
// flush() never suspends, and a strand runs on one thread at a time.
connection_write_state& write_scratch() {
  static thread_local connection_write_state scratch;
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
          half_close();
        } else {
          stop();  // the outbox was closed under us (overflow)
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

bool connection::write_batch(connection_write_state& w) {
  std::size_t bytes = 0;
  for (const auto& p : w.batch) bytes += p->size();
  std::size_t done = 0;
  if (!tls_) {
    // Try the kernel first, like Redis: a socket with room takes the whole
    // batch in one writev, with no completion to schedule. Only what it
    // leaves goes through async_write.
    w.buffers.clear();
    for (const auto& p : w.batch) w.buffers.emplace_back(asio::buffer(*p));
    std::error_code ec;
    done = socket_.write_some(w.buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec.clear();
      done = 0;
    }
    if (ec) {
      stop();
      return false;
    }
    if (done == bytes) {
      outbox_.written(bytes);
      return true;
    }
  }
  // The rest goes through async_write, from buffers this connection owns
  // until the write completes.
  in_flight_ = std::make_unique<connection_write_state>();
  auto& f = *in_flight_;
  f.batch.swap(w.batch);
  writing_ = true;
  auto on_written =
      asio::bind_executor(strand_, [self = shared_from_this(), bytes](std::error_code ec, std::size_t /*n*/) {
        self->writing_ = false;
        self->in_flight_.reset();
        self->outbox_.written(bytes);
        if (ec) {
          self->stop();
        } else {
          self->flush();
        }
      });
  if (tls_) {
    // One TLS record for the batch rather than one per message.
    f.joined.reserve(bytes);
    for (const auto& p : f.batch) f.joined += *p;
    asio::async_write(tls_->stream, asio::buffer(f.joined), std::move(on_written));
  } else {
    f.buffers.swap(w.buffers);
    drop_written(f.buffers, done);
    asio::async_write(socket_, f.buffers, std::move(on_written));
  }
  return false;
}

void connection::drop_written(std::vector<asio::const_buffer>& buffers, std::size_t n) {
  auto it = buffers.begin();
  while (it != buffers.end() && n >= it->size()) {
    n -= it->size();
    ++it;
  }
  buffers.erase(buffers.begin(), it);
  if (n > 0) buffers.front() += n;
}

void connection::half_close() {
  if (half_closed_ || stopped_) {
    return;
  }
  half_closed_ = true;
  // Everything is written: half-close so the client sees EOF after the last
  // line. The reader then drains until the client closes its side, or the
  // watchdog's close deadline passes: closing at once would reset a client
  // still sending and could destroy the reply it has not read.
  auto shut = [self = shared_from_this()] {
    std::error_code ignored;
    self->socket_.shutdown(stream_socket::shutdown_send, ignored);
  };
  if (tls_) {
    // close_notify first, so that TLS clients see a clean end rather than a
    // truncated stream. (asio lets it run beside the pending read.)
    writing_ = true;
    tls_->stream.async_shutdown(asio::bind_executor(strand_, [shut](std::error_code) { shut(); }));
    return;
  }
  shut();
}

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
      if (c->watchdog_due(now)) {
        if (auto live = weak.lock()) due.push_back(std::move(live));
      }
    }
    // Runs while there are connections: an idle server leaves the event
    // loop nothing to wait for.
    sweep_armed_ = !items_.empty();
    if (sweep_armed_) arm_sweep();
  }
  for (auto& c : due) {
    asio::post(c->strand_, [c] { c->on_watchdog_due(); });
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
