// The store in Redis, for the nodes of a cluster: every node sees the same
// accounts, channels, read markers and history. One thread of the store's
// own runs an io_context with the project's redis::client (pipelined, TLS,
// AUTH, reconnect); every call posts a coroutine to it, and callbacks run
// on that thread. Lines queue under a mutex and the writer coroutine sends
// them in groups, kScriptRows per EVAL; changes are one EVAL each (atomic),
// so they reach Redis in the order they were asked.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <tl/expected.hpp>

#include "redis/client.hpp"
#include "store/backend.hpp"

namespace store {

template <class T, class Make>
void redis_start(std::mutex& mu, const bool& closed, asio::io_context& io, callback<T> done, Make make);

// A command's arguments as a vector: g++ 12 cannot keep an initializer
// list alive across co_await, so call(cmd("GET", k)) rather than call({...}).
template <class... Args>
std::vector<std::string> cmd(Args&&... args) {
  std::vector<std::string> out;
  out.reserve(sizeof...(args));
  (out.emplace_back(std::forward<Args>(args)), ...);
  return out;
}

// Lines per EVAL of the append script: one round trip per group of this
// many, and Redis never runs one script for long.
inline constexpr std::size_t kScriptRows = 512;
// How long open() waits for the first connection before it answers anyway
// (Redis late: the store connects in the background).
inline constexpr std::chrono::milliseconds kRedisOpenWait{3000};
// The least a read waits for the lines appended before it (read-your-writes):
// a round trip to Redis on a loaded machine, whatever the commit interval.
inline constexpr std::chrono::milliseconds kMinReadWait{250};
// Targets (or identities) one SSCAN step asks for during retention.
inline constexpr std::size_t kScanCount = 1000;
// The most SSCAN steps one retention pass takes: bounds a pass over a set
// that something else keeps changing.
inline constexpr std::size_t kMaxScanSteps = 100'000;

class redis_backend final : public backend {
 public:
  static tl::expected<std::unique_ptr<redis_backend>, std::string> open(const redis_options& o);
  redis_backend(redis_options o, redis::endpoint ep);
  ~redis_backend() override;

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
  void flush() override;
  void close() override;
  [[nodiscard]] stats snapshot() const override;
  [[nodiscard]] const std::filesystem::path& file() const noexcept override { return no_file_; }
  [[nodiscard]] std::string where() const override;

 private:
  using steady = std::chrono::steady_clock;
  using reply_or = tl::expected<redis::reply, errc>;

  // ---- redis_backend.cpp: threads, the writer, the waits ----
  void start();
  // Starts make(done) on the store's thread, or answers unavailable once
  // closed. Any thread.
  template <class T, class Make>
  void run(callback<T> done, Make make) {
    redis_start<T>(mu_, closed_, io_, std::move(done), std::move(make));
  }
  // One command; a failure (not connected, lost, an error reply) is logged
  // (at most once per retry interval) and answered as errc.
  asio::awaitable<reply_or> call(std::vector<std::string> args);
  // Read-your-writes: waits until every line appended up to `seq` is in
  // Redis, at most about two commit intervals, never while Redis fails.
  asio::awaitable<void> caught_up(std::uint64_t seq);
  std::uint64_t current_seq();
  void wake_writer();  // any thread
  asio::awaitable<void> writer_loop();
  bool writer_due(steady::time_point& until);
  asio::awaitable<bool> write_held();
  void wake_waiters();
  void note_write_failure(const std::string& why);
  void log_failure(std::string_view doing, const std::string& why);

  // ---- redis_history.cpp ----
  static std::vector<std::string> append_command(const std::deque<std::pair<std::uint64_t, line>>& held,
                                                 std::size_t n);
  asio::awaitable<void> do_history(std::uint64_t seq, query q, callback<std::vector<line>> done);
  asio::awaitable<tl::expected<std::vector<line>, errc>> run_query(const query& q);
  asio::awaitable<tl::expected<std::vector<line>, errc>> range(const std::string& target, std::string lo,
                                                               std::string hi, std::size_t limit, bool newest,
                                                               bool events);
  asio::awaitable<tl::expected<std::optional<std::int64_t>, errc>> latest_in(const std::string& target,
                                                                             std::int64_t lo,
                                                                             std::int64_t hi);
  asio::awaitable<void> do_targets(std::uint64_t seq, targets_query q,
                                   callback<std::vector<target_entry>> done);
  asio::awaitable<void> do_find(std::uint64_t seq, std::string target, std::string msgid,
                                callback<std::optional<line>> done);
  // Retention: how many lines went, or why it stopped.
  asio::awaitable<tl::expected<std::size_t, errc>> expire();
  asio::awaitable<tl::expected<std::size_t, errc>> trim(const std::string& target, bool by_age,
                                                        std::int64_t arg);
  asio::awaitable<tl::expected<std::vector<std::string>, errc>> members_of(std::string set);

  // ---- redis_accounts.cpp ----
  asio::awaitable<void> do_change(std::vector<std::string> eval, callback<void> done);
  asio::awaitable<tl::expected<account, errc>> load_account(std::string folded);
  asio::awaitable<void> do_find_account(std::string name, callback<account> done);
  asio::awaitable<void> do_find_by_cert(std::string fingerprint, callback<account> done);
  asio::awaitable<void> do_list_accounts(callback<std::vector<account>> done);
  asio::awaitable<void> do_list_channels(callback<std::vector<channel>> done);
  asio::awaitable<void> do_set_marker(std::vector<std::string> eval, callback<std::int64_t> done);
  asio::awaitable<void> do_marker(std::string account, std::string target,
                                  callback<std::optional<std::int64_t>> done);
  asio::awaitable<void> do_markers(std::string account, callback<std::vector<read_mark>> done);

  const redis_options opts_;
  const redis::endpoint ep_;
  const std::filesystem::path no_file_;

  asio::io_context io_;  // run by thread_ alone: everything below marked "io" is that thread's
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::shared_ptr<redis::client> client_;  // io (its own strand, on io_)

  // ---- Shared, under mu_ ----
  mutable std::mutex mu_;
  std::condition_variable progress_cv_;  // attempted_ moved: flush() waits on it
  std::vector<std::pair<std::uint64_t, line>> queue_;
  steady::time_point first_at_;  // when the queue's first line came
  std::uint64_t seq_ = 0;        // the last sequence number given to a line
  std::uint64_t settled_ = 0;    // every line up to it is in Redis (or dropped)
  std::uint64_t attempted_ = 0;  // the writer has tried every line up to it
  std::uint64_t flush_target_ = 0;
  std::uint64_t hurry_target_ = 0;
  std::vector<std::pair<std::uint64_t, callback<std::size_t>>> expires_;
  std::size_t pending_ = 0;  // lines queued or held by the writer
  bool closed_ = false;
  bool stop_ = false;
  bool writer_gone_ = false;
  bool up_ = false;       // the connection is up
  bool failing_ = false;  // the last write failed
  stats st_;

  // ---- io ----
  asio::steady_timer wake_;  // the writer's condition variable: cancelled to wake it
  struct waiter {
    std::uint64_t seq;
    asio::steady_timer timer;
  };
  std::list<waiter*> waiters_;                       // reads waiting for lines up to their seq
  std::deque<std::pair<std::uint64_t, line>> held_;  // taken off the queue, not yet in Redis
  std::uint64_t taken_ = 0;
  steady::time_point backoff_until_{};
  steady::time_point next_retention_{};
  bool retention_first_ = true;    // the first pass trims every target
  std::set<std::string> touched_;  // targets written since the last pass (max_per_target)
  steady::time_point last_logged_{};

  std::thread thread_;
  std::mutex close_mu_;
  bool close_done_ = false;
};

}  // namespace store

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>

namespace store {

// Starts the coroutine make(done) on the store's thread, or answers
// unavailable once closed (checked and started under mu_, so nothing is
// started after the thread stopped running).
template <class T, class Make>
void redis_start(std::mutex& mu, const bool& closed, asio::io_context& io, callback<T> done, Make make) {
  {
    std::lock_guard lk(mu);
    if (!closed) {
      asio::co_spawn(io, make(std::move(done)), [](const std::exception_ptr& e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          spdlog::error("store redis: a request failed: {}", x.what());
        }
      });
      return;
    }
  }
  if (done) done(tl::unexpected(errc::unavailable));
}

}  // namespace store
