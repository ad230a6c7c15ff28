#include "net/connection.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <span>
#include <stdexcept>
#include <tuple>

#include <asio/bind_executor.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

namespace net {

namespace {

asio::io_context::executor_type io_executor_of(tcp::socket& socket) {
  // get_executor() returns a copy: keep it while target() points into it.
  const auto any = socket.get_executor();
  if (const auto* ex = any.target<asio::io_context::executor_type>()) {
    return *ex;
  }
  throw std::logic_error("connection: the socket must run on an io_context's executor");
}

}  // namespace

connection::connection(tcp::socket socket, const limits& lim, connection_registry* registry)
    : socket_(std::move(socket)),
      limits_(lim),
      strand_(asio::make_strand(io_executor_of(socket_))),
      registry_(registry),
      outbox_(lim.outbox_bytes),
      watchdog_(io_executor_of(socket_)),
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
  asio::post(strand_, [self = shared_from_this()] { read_loop(self); });
  // The first flush finds the outbox empty and marks the writer idle, so
  // that the next send() wakes it.
  asio::post(strand_, [self = shared_from_this()] { self->flush(); });
}

bool connection::send(payload p, bool may_wait) {
  switch (outbox_.push(std::move(p), may_wait)) {
    case outbox::push_result::queued:
      return true;
    case outbox::push_result::wake:
      wake_writer();
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
  watchdog_.cancel();
  if (flood_timer_) flood_timer_->cancel();
  ticket_.reset();
  if (registry_ != nullptr) {
    registry_->remove(this);
  }
  on_stop();
}

bool connection::spend_token() {
  if (bucket_.spend(std::chrono::steady_clock::now())) {
    return true;
  }
  throttled_ = true;
  return false;
}

void connection::arm_watchdog(std::chrono::milliseconds after) {
  watchdog_.expires_after(after);
  watchdog_.async_wait(asio::bind_executor(strand_, [self = shared_from_this()](std::error_code ec) {
    if (ec || self->stopped_) {
      return;  // re-armed, disarmed or stopped
    }
    if (self->closing_) {
      self->stop();
    } else {
      self->on_watchdog();
    }
  }));
}

void connection::disarm_watchdog() {
  watchdog_.cancel();
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

detached_task connection::read_loop(std::shared_ptr<connection> self) {
  connection& c = *self;
  std::error_code ec;
  try {
    c.on_start();
    // TLS decrypts into the buffer while the loop is suspended, so TLS
    // connections read into a buffer of their own, not the thread's.
    std::vector<char> tls_buffer;
    if (c.tls_) {
      // The handshake runs under the login watchdog that on_start() armed.
      std::tie(ec) = co_await async_op<std::error_code>([&c](auto resume) {
        c.tls_->async_handshake(asio::ssl::stream_base::server,
                                asio::bind_executor(c.strand_, std::move(resume)));
      });
      if (ec) {
        spdlog::info("connection {}: TLS handshake failed: {}", c.remote_.address().to_string(),
                     ec.message());
      }
      tls_buffer.resize(kTlsReadBuffer);
    }
    while (!ec && !c.stopped_) {
      std::size_t n = 0;
      const char* data = nullptr;
      if (c.tls_) {
        std::tie(ec, n) = co_await async_op<std::error_code, std::size_t>([&c, &tls_buffer](auto resume) {
          c.tls_->async_read_some(asio::buffer(tls_buffer),
                                  asio::bind_executor(c.strand_, std::move(resume)));
        });
        data = tls_buffer.data();
      } else {
        // Wait for readability without a buffer, then read what is there.
        // (asio re-arms the descriptor for each wait, so a read that leaves
        // data behind is woken again at once.)
        std::tie(ec) = co_await async_op<std::error_code>([&c](auto resume) {
          c.socket_.async_wait(tcp::socket::wait_read, asio::bind_executor(c.strand_, std::move(resume)));
        });
        if (ec) break;
        const auto scratch = read_scratch();
        n = c.socket_.read_some(asio::buffer(scratch.data(), scratch.size()), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
          ec.clear();
          continue;
        }
        data = scratch.data();
      }
      if (n > 0 && !c.closing_) {
        c.on_bytes(std::string_view(data, n));
      }
      // Flood control: the rest of the input waits in the decoder (and the
      // kernel) until the bucket allows the next command.
      while (c.throttled_ && !c.stopped_ && !c.closing_) {
        std::error_code aec;
        const std::size_t unread = c.socket_.available(aec);
        if (c.pending_input() + unread > c.limits_.recvq_bytes) {
          spdlog::warn("connection {}: Excess Flood ({} bytes waiting), disconnecting",
                       c.remote_.address().to_string(), c.pending_input() + unread);
          c.on_excess_flood();
          break;
        }
        if (!c.flood_timer_) c.flood_timer_ = std::make_unique<timer>(c.watchdog_.get_executor());
        c.flood_timer_->expires_after(c.bucket_.wait_time(std::chrono::steady_clock::now()));
        co_await async_op<std::error_code>([&c](auto resume) {
          c.flood_timer_->async_wait(asio::bind_executor(c.strand_, std::move(resume)));
        });
        c.throttled_ = false;
        if (!c.stopped_ && !c.closing_) {
          c.on_bytes({});
        }
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("connection {}: {}", c.remote_.address().to_string(), e.what());
  }
  if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted) {
    spdlog::debug("connection {}: {}", c.remote_.address().to_string(), ec.message());
  }
  c.stop();
}

void connection::secure_with(std::shared_ptr<asio::ssl::context> context) {
  tls_context_ = std::move(context);
  tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *tls_context_);
}

void connection::flush() {
  // A few synchronous rounds at most, then the strand serves others first.
  for (std::size_t round = 0; round < kMaxWriteRounds; ++round) {
    if (writing_ || stopped_) {
      return;
    }
    batch_.clear();
    switch (outbox_.take(batch_, kMaxWriteBatch)) {
      case outbox::take_result::idle:
        // Nothing to write: an idle connection keeps no write buffers. The
        // next send() finds the writer marked idle and posts flush() again.
        release_write_buffers();
        return;
      case outbox::take_result::drained:
        release_write_buffers();
        if (closing_) {
          half_close();
        } else {
          stop();  // the outbox was closed under us (overflow)
        }
        return;
      case outbox::take_result::items:
        break;
    }
    if (!write_batch()) {
      return;  // a write is in flight, or the connection stopped
    }
  }
  asio::post(strand_, [self = shared_from_this()] { self->flush(); });
}

bool connection::write_batch() {
  std::size_t bytes = 0;
  for (const auto& p : batch_) bytes += p->size();
  buffers_.clear();
  std::size_t done = 0;
  if (!tls_) {
    // Try the kernel first, like Redis: a socket with room takes the whole
    // batch in one writev, with no completion to schedule. Only what it
    // leaves goes through async_write.
    for (const auto& p : batch_) buffers_.emplace_back(asio::buffer(*p));
    std::error_code ec;
    done = socket_.write_some(buffers_, ec);
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
    drop_written(done);
  }
  writing_ = true;
  auto on_written =
      asio::bind_executor(strand_, [self = shared_from_this(), bytes](std::error_code ec, std::size_t /*n*/) {
        self->writing_ = false;
        self->outbox_.written(bytes);
        if (ec) {
          self->stop();
        } else {
          self->flush();
        }
      });
  if (tls_) {
    // One TLS record for the batch rather than one per message.
    joined_.clear();
    joined_.reserve(bytes);
    for (const auto& p : batch_) joined_ += *p;
    asio::async_write(*tls_, asio::buffer(joined_), std::move(on_written));
  } else {
    asio::async_write(socket_, buffers_, std::move(on_written));
  }
  return false;
}

void connection::drop_written(std::size_t n) {
  auto it = buffers_.begin();
  while (it != buffers_.end() && n >= it->size()) {
    n -= it->size();
    ++it;
  }
  buffers_.erase(buffers_.begin(), it);
  if (n > 0) buffers_.front() += n;
}

void connection::release_write_buffers() {
  std::vector<payload>().swap(batch_);
  std::vector<asio::const_buffer>().swap(buffers_);
  std::string().swap(joined_);
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
    self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
  };
  if (tls_) {
    // close_notify first, so that TLS clients see a clean end rather than a
    // truncated stream. (asio lets it run beside the pending read.)
    writing_ = true;
    tls_->async_shutdown(asio::bind_executor(strand_, [shut](std::error_code) { shut(); }));
    return;
  }
  shut();
}

void connection_registry::add(const std::shared_ptr<connection>& c) {
  const std::lock_guard lock(mutex_);
  items_.emplace(c.get(), c);
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

void connection_registry::flush_deferred() {
  std::vector<std::shared_ptr<connection>> due;
  {
    const std::lock_guard lock(deferred_mutex_);
    due.swap(deferred_);
    flush_armed_ = false;
  }
  // A writer already woken by urgent bytes finds its outbox empty or busy
  // and returns at once.
  for (const auto& c : due) c->wake_writer();
}

}  // namespace net
