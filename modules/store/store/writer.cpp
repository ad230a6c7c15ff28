// The writer thread: takes what callers queued, commits it in groups (one
// transaction, one prepared INSERT stepped per line), answers changes after
// their commit, runs retention in bounded chunks, and when the database
// fails keeps the lines (within kMaxPendingRows) and tries again later.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "store/actor.hpp"

namespace store {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void sqlite_backend::writer_main() {
  std::vector<item> batch;  // swapped with the queue: its capacity goes back and forth
  for (;;) {
    bool stopping = false;
    bool retention_due = false;
    {
      std::unique_lock lk(mu);
      wait_for_work(lk);
      batch.swap(queue);
      queue_lines = 0;
      queue_urgent = false;
      taken = seq;
      stopping = writer_stop;
      const bool retains = opts.max_age.count() > 0 || opts.max_per_target > 0;
      retention_due = retains && steady::now() >= next_retention;
    }
    take(batch);
    commit_held();
    if (retention_due || !expires.empty()) retention(retention_due);
    if (stopping) break;
  }
  finish_writer();
}

// Sleeps until something is due: a full group, a group's first line
// commit_interval old, a change (answered promptly), a flush, the retry
// time after a failure, retention, or stop. Never a timed poll.
void sqlite_backend::wait_for_work(std::unique_lock<std::mutex>& lk) {
  const bool retains = opts.max_age.count() > 0 || opts.max_per_target > 0;
  for (;;) {
    const auto now = steady::now();
    if (writer_stop || queue_urgent || flush_target > attempted) return;
    if (retains && now >= next_retention) return;
    const bool backing_off = failing && now < backoff_until;
    if (!backing_off) {
      if (!held.empty() || hurry_target > attempted) return;
      if (!queue.empty() && (queue_lines >= kCommitRows || now >= first_at + opts.commit_interval)) return;
    }
    std::optional<steady::time_point> deadline;
    const auto sooner = [&](steady::time_point t) {
      if (!deadline || t < *deadline) deadline = t;
    };
    if (retains) sooner(next_retention);
    if (backing_off) {
      if (!held.empty() || !queue.empty()) sooner(backoff_until);
    } else if (!queue.empty()) {
      sooner(first_at + opts.commit_interval);
    }
    if (deadline) {
      writer_cv.wait_until(lk, *deadline);
    } else {
      writer_cv.wait(lk);
    }
  }
}

void sqlite_backend::take(std::vector<item>& batch) {
  for (auto& it : batch) {
    if (it.c) {
      changes.emplace_back(it.seq, std::move(it.c));
    } else if (it.e) {
      expires.push_back(std::move(it.e->done));
    } else {
      held.emplace_back(it.seq, std::move(it.l));
    }
  }
  batch.clear();
}

// Commits every line held, in groups of up to kMaxGroupRows (kCommitRows
// while failing, so that each retry costs little); the changes go with the
// first group (a change never waits behind a backlog, even a failing one).
// Stops at the first failure: the rest waits for the retry.
void sqlite_backend::commit_held() {
  bool ok = true;
  while (ok && (!held.empty() || !changes.empty())) {
    ok = attempt(std::min(held.size(), failing ? kCommitRows : kMaxGroupRows), changes);
  }
  {
    std::lock_guard lk(mu);
    attempted = std::max(attempted, taken);
  }
  progress_cv.notify_all();
}

bool sqlite_backend::attempt(std::size_t lines,
                             std::vector<std::pair<std::uint64_t, std::unique_ptr<change>>>& ch) {
  const auto run = [&]() -> sql::expected<void> {
    if (auto ok = begin_.run(); !ok) return ok;
    // In call order, lines and changes merged by sequence number.
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < lines || j < ch.size()) {
      if (j < ch.size() && (i >= lines || ch[j].first < held[i].first)) {
        // A savepoint per change: one that refuses itself (exists,
        // not_found) leaves nothing behind, and the group goes on.
        if (auto ok = savepoint_.run(); !ok) return ok;
        auto applied = ch[j].second->apply(*aw);
        if (!applied) return tl::unexpected(applied.error());
        if (!*applied) {
          if (auto ok = rollback_to_.run(); !ok) return ok;
        }
        if (auto ok = release_.run(); !ok) return ok;
        ++j;
      } else {
        const line& l = held[i].second;
        if (auto ok = hw->insert(l); !ok) return ok;
        convs.note(l);
        ++i;
      }
    }
    if (!convs.empty()) {
      if (auto ok = hw->upsert(convs); !ok) return ok;
    }
    return commit_.run();
  };
  auto ok = run();
  convs.clear();

  if (!ok) {
    // SQLite rolls some failures back itself (SQLITE_FULL, IOERR, BUSY in
    // some cases): roll back only what is still open.
    if (wdb.in_transaction()) (void)rollback_.run();
    note_failure(ok.error(), "a commit");
    for (auto& c : ch) c.second->answer(false);
    ch.clear();
    return false;
  }

  if (opts.max_per_target > 0) {
    const std::string* last = nullptr;  // lines of one target come in runs: skip the set
    for (std::size_t i = 0; i < lines; ++i) {
      const std::string& t = held[i].second.target;
      if (last == nullptr || *last != t) touched.insert(t);
      last = &t;
    }
  }
  held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(lines));
  std::size_t still_pending = 0;
  {
    std::lock_guard lk(mu);
    ++st.commits;
    st.committed += lines;
    pending -= lines;
    still_pending = pending;
    settled = std::max(settled, held.empty() ? taken : held.front().first - 1);
    st.healthy = true;
  }
  progress_cv.notify_all();
  if (failing) {
    spdlog::warn(
        "store {}: the database works again after {} failed attempts; {} history lines still waiting",
        file_.string(), failed_attempts, still_pending);
    failing = false;
    failed_attempts = 0;
  }
  for (auto& c : ch) c.second->answer(true);
  ch.clear();
  return true;
}

void sqlite_backend::note_failure(const sql::error& e, std::string_view doing) {
  const auto now = steady::now();
  std::size_t kept = 0;
  {
    std::lock_guard lk(mu);
    ++st.failures;
    st.healthy = false;
    st.last_error = e.message;
    kept = pending;
  }
  ++failed_attempts;
  backoff_until = now + opts.retry_interval;
  // One line when it starts failing, then at most one per retry interval:
  // never one per line or per attempt.
  if (!failing) {
    spdlog::error(
        "store {}: {} failed: {} (SQLite code {}); history stays in memory ({} lines now, at most {}) and is "
        "retried every {} ms; account changes are refused meanwhile",
        file_.string(), doing, e.message, e.code, kept, kMaxPendingRows, opts.retry_interval.count());
    last_logged = now;
  } else if (now - last_logged >= opts.retry_interval) {
    spdlog::error("store {}: still failing after {} attempts: {}; {} history lines waiting", file_.string(),
                  failed_attempts, e.message, kept);
    last_logged = now;
  }
  failing = true;
}

void sqlite_backend::retention(bool timer) {
  const bool retains = opts.max_age.count() > 0 || opts.max_per_target > 0;
  sql::expected<std::size_t> n = std::size_t{0};
  if (retains) n = expire();
  if (timer) next_retention = steady::now() + opts.retention_interval;
  if (n && *n > 0) spdlog::debug("store {}: retention removed {} history lines", file_.string(), *n);
  auto asked = std::move(expires);
  expires.clear();
  for (auto& done : asked) {
    if (!done) continue;
    if (n) {
      done(*n);
    } else {
      done(tl::unexpected(errc::failed));
    }
  }
}

sql::expected<std::size_t> sqlite_backend::expire() {
  std::size_t total = 0;
  if (opts.max_age.count() > 0) {
    // Older than max_age goes: a line exactly max_age old stays.
    const std::int64_t cutoff = now_ms() - opts.max_age.count();
    auto n = delete_in_chunks([&] { return hw->delete_older(cutoff, history::kRetentionChunk); });
    if (!n) return n;
    total += *n;
    // Conversations with no line left: TARGETS would skip them anyway.
    auto c = delete_in_chunks([&]() -> sql::expected<std::size_t> {
      auto ok = hw->delete_conversations_older(cutoff);
      if (!ok) return tl::unexpected(ok.error());
      return 0;
    });
    if (!c) return c;
  }
  if (opts.max_per_target > 0) {
    std::set<std::string> targets;
    targets.swap(touched);
    if (retention_first) {
      // Every target once after open, through the index by seeks.
      std::string after;
      for (;;) {
        auto next = hw->next_target(after);
        if (!next) {
          touched.merge(targets);
          note_failure(next.error(), "listing targets for retention");
          return tl::unexpected(next.error());
        }
        if (!*next) break;
        after = **next;
        targets.insert(after);
      }
    }
    for (auto it = targets.begin(); it != targets.end(); ++it) {
      auto n = delete_in_chunks(
          [&] { return hw->delete_beyond(*it, opts.max_per_target, history::kRetentionChunk); });
      if (!n) {
        touched.insert(it, targets.end());  // the next pass does the rest
        return n;
      }
      total += *n;
    }
    retention_first = false;
  }
  return total;
}

// Runs `chunk` in its own transactions until it deletes fewer than a full
// chunk; between chunks history that is due is committed, so a big expiry
// neither holds the write lock nor keeps lines waiting for long.
sql::expected<std::size_t> sqlite_backend::delete_in_chunks(
    const std::function<sql::expected<std::size_t>()>& chunk) {
  std::size_t total = 0;
  for (;;) {
    auto n = begin_.run().and_then(chunk);
    if (n) {
      if (auto c = commit_.run(); !c) n = tl::unexpected(c.error());
    }
    if (!n) {
      if (wdb.in_transaction()) (void)rollback_.run();
      note_failure(n.error(), "expiring history");
      return n;
    }
    total += *n;
    if (*n < history::kRetentionChunk) return total;
    commit_due_between_chunks();
  }
}

void sqlite_backend::commit_due_between_chunks() {
  std::vector<item> batch;
  {
    std::lock_guard lk(mu);
    const auto now = steady::now();
    const bool due =
        writer_stop || queue_urgent || flush_target > attempted || hurry_target > attempted ||
        (!queue.empty() && (queue_lines >= kCommitRows || now >= first_at + opts.commit_interval));
    if (!due) return;
    batch.swap(queue);
    queue_lines = 0;
    queue_urgent = false;
    taken = seq;
  }
  take(batch);
  commit_held();
}

// The writer stops: what it still holds could not be committed (the
// database failed for good) and is counted as dropped; everyone waiting
// is answered.
void sqlite_backend::finish_writer() {
  std::vector<item> left;
  {
    std::lock_guard lk(mu);
    left.swap(queue);
  }
  take(left);
  const std::size_t lost = held.size();
  held.clear();
  for (auto& c : changes) c.second->answer(false);
  changes.clear();
  for (auto& done : expires) {
    if (done) done(tl::unexpected(errc::unavailable));
  }
  expires.clear();
  {
    std::lock_guard lk(mu);
    st.dropped += lost;
    pending -= lost;
    writer_gone = true;
    attempted = seq;
    settled = seq;
  }
  progress_cv.notify_all();
  if (lost > 0) {
    spdlog::error("store {}: closed while the database was failing: {} history lines were not saved",
                  file_.string(), lost);
  }
}

}  // namespace store
