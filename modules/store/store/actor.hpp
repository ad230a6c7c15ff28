// The SQLite backend's insides (sqlite_backend): the queue every caller
// hands work to, the writer thread that commits it in groups, and the
// reader thread that answers reads on its own connection. Shared by
// sqlite_backend.cpp and writer.cpp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/accounts.hpp"
#include "store/backend.hpp"
#include "store/history.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace store {

using steady = std::chrono::steady_clock;

// The most lines one transaction takes when a backlog waits (the writer
// fell behind a burst). Every group rewrites the index pages of each
// target it touches, so larger groups amortise them: on the 1,000,000-line
// benchmark 4096-line groups sustain about 140,000 lines/s, 16384-line
// groups about 240,000 (bench/store_bench.cpp, docs/store.md).
inline constexpr std::size_t kMaxGroupRows = 4 * kCommitRows;

// A change to accounts, channels or read markers, queued in order with
// history and answered once its transaction is over.
class change {
 public:
  virtual ~change() = default;
  // In the writer's transaction. An error aborts the transaction; false
  // means the change refused itself (exists, not_found): undo its writes.
  virtual sql::expected<bool> apply(accounts::writer& w) = 0;
  // After commit (true) or rollback (false: errc::failed).
  virtual void answer(bool committed) = 0;
};

template <class T>
class change_of final : public change {
 public:
  using body = std::function<sql::expected<result<T>>(accounts::writer&)>;
  change_of(body b, callback<T> done) : body_(std::move(b)), done_(std::move(done)) {}
  sql::expected<bool> apply(accounts::writer& w) override {
    auto r = body_(w);
    if (!r) return tl::unexpected(r.error());
    const bool ok = r->has_value();
    result_.emplace(std::move(*r));
    return ok;
  }
  void answer(bool committed) override {
    if (!done_) return;
    if (committed && result_) {
      done_(std::move(*result_));
    } else {
      done_(tl::unexpected(errc::failed));
    }
  }

 private:
  body body_;
  callback<T> done_;
  std::optional<result<T>> result_;
};

struct expire_request {
  callback<std::size_t> done;
};

// What the queue holds, each with its sequence number (the order of calls):
// a line, or (when one of the pointers is set) a change or an expiry. Not a
// std::variant: g++ 12 at -O2 warns falsely on moving one holding a
// std::function, and a line with two null pointers costs 16 bytes more.
struct item {
  item(std::uint64_t s, line l_) : seq(s), l(std::move(l_)) {}
  item(std::uint64_t s, std::unique_ptr<change> c_) : seq(s), c(std::move(c_)) {}
  item(std::uint64_t s, std::unique_ptr<expire_request> e_) : seq(s), e(std::move(e_)) {}
  std::uint64_t seq = 0;
  line l;
  std::unique_ptr<change> c;
  std::unique_ptr<expire_request> e;
};

// A read waiting for the reader: it must see every item up to `seq`
// (read-your-writes), or run anyway at `deadline`.
struct read_task {
  std::uint64_t seq = 0;
  steady::time_point deadline;
  std::function<void()> run;
};

// Thread-safe as the backend interface says: the shared part is guarded
// by `mu`; the writer's and the reader's parts are each their thread's own.
class sqlite_backend final : public backend {
 public:
  explicit sqlite_backend(options o);
  ~sqlite_backend() override;

  void append(line l) override;
  void history(query q, callback<std::vector<line>> done) override;
  void targets(targets_query q, callback<std::vector<target_entry>> done) override;
  void find(std::string target, std::string msgid, callback<std::optional<line>> done) override;
  void create_account(account a, callback<void> done) override;
  void find_account(std::string name, callback<account> done) override;
  void find_account_by_cert(std::string fingerprint, callback<account> done) override;
  void set_credential(std::string name, protocol::sasl::scram_credential c, callback<void> done) override;
  void set_email(std::string name, std::string email, callback<void> done) override;
  void add_cert(std::string name, std::string fingerprint, callback<void> done) override;
  void del_cert(std::string name, std::string fingerprint, callback<void> done) override;
  void drop_account(std::string name, callback<void> done) override;
  void list_accounts(callback<std::vector<account>> done) override;
  void save_channel(channel c, callback<void> done) override;
  void drop_channel(std::string name, callback<void> done) override;
  void list_channels(callback<std::vector<channel>> done) override;
  void set_read_marker(std::string account, std::string target, std::int64_t at_ms,
                       callback<std::int64_t> done) override;
  void read_marker(std::string account, std::string target,
                   callback<std::optional<std::int64_t>> done) override;
  void read_markers(std::string account, callback<std::vector<read_mark>> done) override;
  void expire_now(callback<std::size_t> done) override;
  [[nodiscard]] stats snapshot() const override;
  [[nodiscard]] const std::filesystem::path& file() const noexcept override { return file_; }
  [[nodiscard]] std::string where() const override { return file_.string(); }

  // Opening: both connections, the schema, the statements; then the threads.
  tl::expected<void, std::string> open_connections();
  void start();
  void flush() override;
  void close() override;

  // Hands a change to the writer; answers unavailable once closed.
  template <class T>
  void submit(typename change_of<T>::body body, callback<T> done);
  // Hands a read to the reader; `body` answers a result or an SQL error.
  template <class T>
  void read(std::function<sql::expected<result<T>>()> body, callback<T> done);

  const options opts;
  const std::filesystem::path file_;

  // ---- Shared, under mu ----
  mutable std::mutex mu;
  std::condition_variable writer_cv;    // work, a flush, stop
  std::condition_variable reader_cv;    // a read, stop
  std::condition_variable progress_cv;  // the writer moved on: flushes and reads waiting for it
  std::vector<item> queue;
  std::size_t queue_lines = 0;
  bool queue_urgent = false;    // a change or an expire request: commit now
  steady::time_point first_at;  // when the queue's first item came
  std::uint64_t seq = 0;        // the last sequence number given
  std::uint64_t settled = 0;    // every item up to it is committed or answered
  std::uint64_t attempted = 0;  // the writer has tried every item up to it
  std::uint64_t flush_target = 0;
  std::uint64_t hurry_target = 0;  // a read waits for items up to it: commit them now
  std::size_t pending = 0;         // history lines queued or held by the writer
  bool closed = false;             // new work is refused
  bool writer_stop = false;
  bool writer_gone = false;
  bool reader_stop = false;
  stats st;
  std::deque<read_task> reads;

  // ---- The writer thread's own (writer.cpp) ----
  void writer_main();
  void wait_for_work(std::unique_lock<std::mutex>& lk);
  void take(std::vector<item>& batch);
  void commit_held();
  bool attempt(std::size_t lines, std::vector<std::pair<std::uint64_t, std::unique_ptr<change>>>& changes);
  void note_failure(const sql::error& e, std::string_view doing);
  void retention(bool timer);
  sql::expected<std::size_t> expire();
  sql::expected<std::size_t> delete_in_chunks(const std::function<sql::expected<std::size_t>()>& chunk);
  void commit_due_between_chunks();
  void finish_writer();

  sql::db wdb;
  std::optional<history::writer> hw;
  std::optional<accounts::writer> aw;
  sql::stmt begin_, commit_, rollback_, savepoint_, release_, rollback_to_;
  std::deque<std::pair<std::uint64_t, line>> held;  // lines taken, not yet committed (oldest first)
  std::vector<std::pair<std::uint64_t, std::unique_ptr<change>>> changes;
  std::vector<callback<std::size_t>> expires;
  std::uint64_t taken = 0;  // the last sequence number taken off the queue
  history::conversations convs;
  bool failing = false;
  steady::time_point backoff_until{};  // no attempt before (unless asked: flush, a change)
  steady::time_point last_logged{};
  std::uint64_t failed_attempts = 0;
  steady::time_point next_retention{};
  bool retention_first = true;    // the first pass looks at every target
  std::set<std::string> touched;  // targets written since the last pass (max_per_target)

  // ---- The reader thread's own (store.cpp) ----
  void reader_main();
  sql::db rdb;
  std::optional<history::reader> hr;
  std::optional<accounts::reader> ar;
  sql::stmt rbegin_, rcommit_;
  steady::time_point reader_logged{};

  std::thread writer_thread;
  std::thread reader_thread;
  std::mutex close_mu;
  bool close_done = false;
};

template <class T>
void sqlite_backend::submit(typename change_of<T>::body body, callback<T> done) {
  {
    std::unique_lock lk(mu);
    if (!closed) {
      if (queue.empty()) first_at = steady::now();
      queue.emplace_back(
          ++seq, std::unique_ptr<change>(std::make_unique<change_of<T>>(std::move(body), std::move(done))));
      queue_urgent = true;
      lk.unlock();
      writer_cv.notify_one();
      return;
    }
  }
  if (done) done(tl::unexpected(errc::unavailable));
}

}  // namespace store
