// The Redis backend's machinery: opening, the store's thread, the writer
// coroutine that sends queued lines in groups (and runs retention), the
// read-your-writes wait, flush and close. Queries and scripts are in
// redis_history.cpp and redis_accounts.cpp.
#include "store/redis_backend.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <iterator>

#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "protocol/nick.hpp"

namespace store {

namespace {

// The most lines one writer round takes off the queue (a backlog after an
// outage goes in rounds of this many, kScriptRows per EVAL).
constexpr std::size_t kMaxRoundRows = 16 * kScriptRows;

}  // namespace

tl::expected<std::unique_ptr<redis_backend>, std::string> redis_backend::open(const redis_options& o) {
  auto ep = redis::parse_url(o.url);
  if (!ep) return tl::unexpected(fmt::format("the store's Redis URL: {}", ep.error()));
  // spdlog's registry is made on first use: here, before the store's thread
  // logs, so that its creation happens before that thread starts (the
  // registry lives in spdlog's library, whose own guard ThreadSanitizer
  // cannot see).
  (void)spdlog::default_logger_raw();
  auto b = std::make_unique<redis_backend>(o, *ep);
  b->start();
  std::unique_lock lk(b->mu_);
  if (!b->progress_cv_.wait_for(lk, kRedisOpenWait, [&] { return b->up_; })) {
    spdlog::warn(
        "store {}: not reachable yet; accounts and history are unavailable until it is, lines queue (up to "
        "{})",
        b->where(), kMaxPendingRows);
  }
  return b;
}

redis_backend::redis_backend(redis_options o, redis::endpoint ep)
    : opts_(std::move(o)), ep_(std::move(ep)), work_(asio::make_work_guard(io_)), wake_(io_) {
  redis::options co;
  co.tls_verify = opts_.tls_verify;
  co.tls_ca_file = opts_.tls_ca_file;
  client_ = redis::client::create(io_, ep_, co);
  st_.healthy = false;
  st_.last_error = "not connected to Redis yet";
}

redis_backend::~redis_backend() {
  close();
}

std::string redis_backend::where() const {
  return fmt::format("redis {}{}", redis::describe(ep_), ep_.db != 0 ? fmt::format("/{}", ep_.db) : "");
}

void redis_backend::start() {
  // On the client's strand, which is on io_: the store's thread.
  client_->on_state([this](redis::state s) {
    bool stopping = false;
    {
      std::lock_guard lk(mu_);
      stopping = stop_;
      up_ = s == redis::state::up;
      if (up_) {
        st_.healthy = !failing_;
      } else {
        st_.healthy = false;
        st_.last_error = "the connection to Redis is down";
      }
    }
    progress_cv_.notify_all();
    if (s == redis::state::up) {
      spdlog::info("store {}: connected", where());
      backoff_until_ = {};  // held lines go now, not at the end of a backoff
      wake_.cancel();
    } else if (!stopping) {
      spdlog::warn("store {}: connection down; lines queue (up to {}) until it is back", where(),
                   kMaxPendingRows);
    }
    if (s != redis::state::up) wake_waiters();
  });
  client_->start();
  next_retention_ = steady::now() + opts_.retention_interval;
  asio::co_spawn(io_, writer_loop(), [](const std::exception_ptr& e) {
    if (e) spdlog::critical("store redis: the writer stopped on an exception");
  });
  thread_ = std::thread([this] { io_.run(); });
}

void redis_backend::log_failure(std::string_view doing, const std::string& why) {
  const auto now = steady::now();
  if (now - last_logged_ < opts_.retry_interval) return;
  last_logged_ = now;
  spdlog::error("store {}: {} failed: {}", where(), doing, why);
}

asio::awaitable<redis_backend::reply_or> redis_backend::call(std::vector<std::string> args) {
  const std::string doing = args.empty() ? std::string("a command") : args.front();
  auto r = co_await client_->command(std::move(args));
  if (!r) {
    const bool down = r.error().code == redis::errc::down || r.error().code == redis::errc::stopped;
    log_failure(doing, r.error().message);
    co_return tl::unexpected(down ? errc::unavailable : errc::failed);
  }
  if (r->is_error()) {
    log_failure(doing, r->str);
    co_return tl::unexpected(errc::failed);
  }
  co_return std::move(*r);
}

std::uint64_t redis_backend::current_seq() {
  std::lock_guard lk(mu_);
  return seq_;
}

asio::awaitable<void> redis_backend::caught_up(std::uint64_t seq) {
  {
    std::lock_guard lk(mu_);
    // While Redis fails nothing newer will be written: no wait.
    if (settled_ >= seq || failing_ || !up_ || writer_gone_) co_return;
    hurry_target_ = std::max(hurry_target_, seq);
  }
  wake_.cancel();  // on the store's thread: the writer sends now
  waiter w{seq, asio::steady_timer(io_)};
  w.timer.expires_after(std::max<std::chrono::milliseconds>(2 * opts_.commit_interval, kMinReadWait));
  waiters_.push_back(&w);
  const auto it = std::prev(waiters_.end());
  co_await w.timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  waiters_.erase(it);
}

void redis_backend::wake_waiters() {
  std::lock_guard lk(mu_);
  for (waiter* w : waiters_) {
    if (w->seq <= settled_ || failing_ || !up_ || writer_gone_) w->timer.cancel();
  }
}

void redis_backend::wake_writer() {
  asio::post(io_, [this] { wake_.cancel(); });
}

void redis_backend::append(line l) {
  l.target = protocol::fold_nick(l.target);
  bool wake = false;
  {
    std::lock_guard lk(mu_);
    if (closed_ || pending_ >= kMaxPendingRows) {
      ++st_.dropped;
      return;
    }
    ++pending_;
    ++st_.queued;
    if (queue_.empty()) {
      first_at_ = steady::now();
      wake = true;  // the writer sets its deadline
    }
    queue_.emplace_back(++seq_, std::move(l));
    if (queue_.size() == kCommitRows) wake = true;
  }
  if (wake) wake_writer();
}

void redis_backend::expire_now(callback<std::size_t> done) {
  {
    std::lock_guard lk(mu_);
    if (!closed_) {
      expires_.emplace_back(seq_, std::move(done));
      wake_writer();
      return;
    }
  }
  if (done) done(tl::unexpected(errc::unavailable));
}

bool redis_backend::writer_due(steady::time_point& until) {
  std::lock_guard lk(mu_);
  const auto now = steady::now();
  until = steady::time_point::max();
  if (stop_ || !expires_.empty()) return true;
  const bool retains = opts_.max_age.count() > 0 || opts_.max_per_target > 0;
  if (retains) {
    if (now >= next_retention_) return true;
    until = next_retention_;
  }
  const bool asked = flush_target_ > attempted_ || hurry_target_ > attempted_;
  if (!held_.empty()) {
    // Failing: the next attempt after the backoff, sooner if asked.
    if (asked || now >= backoff_until_) return true;
    until = std::min(until, backoff_until_);
  } else if (!queue_.empty()) {
    if (asked || queue_.size() >= kCommitRows || now >= first_at_ + opts_.commit_interval) return true;
    until = std::min(until, first_at_ + opts_.commit_interval);
  }
  return false;
}

void redis_backend::note_write_failure(const std::string& why) {
  std::size_t kept = 0;
  {
    std::lock_guard lk(mu_);
    ++st_.failures;
    failing_ = true;
    st_.healthy = false;
    st_.last_error = why;
    kept = pending_;
  }
  backoff_until_ = steady::now() + opts_.retry_interval;
  log_failure(fmt::format("writing history ({} lines kept, up to {}; retrying every {} ms)", kept,
                          kMaxPendingRows, opts_.retry_interval.count()),
              why);
  wake_waiters();
}

asio::awaitable<bool> redis_backend::write_held() {
  while (!held_.empty()) {
    const std::size_t n = std::min(held_.size(), kScriptRows);
    // Lost or timed out, the group may have been written: sent again, the
    // script skips the msgids it finds (as it does a line other nodes saw).
    auto r = co_await client_->command(append_command(held_, n));
    if (!r || r->is_error()) {
      note_write_failure(r ? r->str : r.error().message);
      co_return false;
    }
    std::size_t skipped = 0;
    if (r->is_array() && r->elements.size() == 2 && r->elements[1].is_integer())
      skipped = static_cast<std::size_t>(std::max<long long>(0, r->elements[1].integer));
    if (skipped > 0) {
      spdlog::warn("store {}: {} history lines not written: their target's keys hold something else", where(),
                   skipped);
    }
    if (opts_.max_per_target > 0) {
      for (std::size_t i = 0; i < n; ++i) touched_.insert(held_[i].second.target);
    }
    const std::uint64_t last = held_[n - 1].first;
    held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
    bool recovered = false;
    {
      std::lock_guard lk(mu_);
      pending_ -= n;
      skipped = std::min(skipped, n);
      st_.committed += n - skipped;
      st_.dropped += skipped;
      ++st_.commits;
      settled_ = last;
      recovered = failing_;
      failing_ = false;
      st_.healthy = up_;
    }
    if (recovered) spdlog::info("store {}: writing history again", where());
    progress_cv_.notify_all();
    wake_waiters();
  }
  co_return true;
}

asio::awaitable<void> redis_backend::writer_loop() {
  for (;;) {
    steady::time_point until;
    while (!writer_due(until)) {
      wake_.expires_at(until);
      co_await wake_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
    bool stopping = false;
    {
      std::lock_guard lk(mu_);
      stopping = stop_;
      const std::size_t n = std::min(queue_.size(), kMaxRoundRows);
      if (n > 0) {
        std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n), std::back_inserter(held_));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        taken_ = held_.back().first;
        if (!queue_.empty()) first_at_ = steady::now();
      }
    }
    const bool wrote = co_await write_held();
    bool more = false;
    {
      std::lock_guard lk(mu_);
      attempted_ = std::max(attempted_, taken_);
      more = !queue_.empty();
    }
    progress_cv_.notify_all();

    // Retention: when due, and for every expire_now whose lines are written
    // (or cannot be now).
    const bool retains = opts_.max_age.count() > 0 || opts_.max_per_target > 0;
    const bool timer = retains && steady::now() >= next_retention_;
    std::vector<callback<std::size_t>> ripe;
    {
      std::lock_guard lk(mu_);
      auto keep = expires_.begin();
      for (auto& e : expires_) {
        if (e.first <= settled_ || !wrote || stop_) {
          ripe.push_back(std::move(e.second));
        } else {
          *keep++ = std::move(e);
        }
      }
      expires_.erase(keep, expires_.end());
    }
    if (timer || !ripe.empty()) {
      tl::expected<std::size_t, errc> n = std::size_t{0};
      if (retains) n = co_await expire();
      if (timer) next_retention_ = steady::now() + opts_.retention_interval;
      if (n && *n > 0) spdlog::debug("store {}: retention removed {} history lines", where(), *n);
      for (auto& done : ripe) {
        if (done) done(n);
      }
    }

    if (stopping && (!more || !wrote)) break;
  }

  // Stopping: what could not be written is dropped (and counted).
  std::size_t lost = 0;
  std::vector<callback<std::size_t>> left;
  {
    std::lock_guard lk(mu_);
    lost = held_.size() + queue_.size();
    queue_.clear();
    st_.dropped += lost;
    pending_ -= std::min(pending_, lost);
    writer_gone_ = true;
    attempted_ = seq_;
    settled_ = seq_;
    for (auto& e : expires_) left.push_back(std::move(e.second));
    expires_.clear();
  }
  held_.clear();
  progress_cv_.notify_all();
  for (auto& done : left) {
    if (done) done(tl::unexpected(errc::unavailable));
  }
  wake_waiters();
  if (lost > 0)
    spdlog::error("store {}: closed while Redis was failing: {} history lines were not saved", where(), lost);
  client_->stop();
}

void redis_backend::flush() {
  std::unique_lock lk(mu_);
  if (writer_gone_) return;
  const std::uint64_t target = seq_;
  if (attempted_ >= target) return;
  flush_target_ = std::max(flush_target_, target);
  wake_writer();
  progress_cv_.wait(lk, [&] { return attempted_ >= target || writer_gone_; });
}

void redis_backend::close() {
  std::lock_guard cg(close_mu_);
  if (close_done_) return;
  close_done_ = true;
  // A callback (on the store's thread) must not close: it would join itself.
  assert(std::this_thread::get_id() != thread_.get_id());
  if (thread_.joinable()) flush();
  {
    std::lock_guard lk(mu_);
    closed_ = true;  // from here on every call answers unavailable
    stop_ = true;
  }
  wake_writer();
  work_.reset();
  if (thread_.joinable()) thread_.join();
}

stats redis_backend::snapshot() const {
  std::lock_guard lk(mu_);
  stats s = st_;
  s.pending = pending_;
  return s;
}

}  // namespace store
