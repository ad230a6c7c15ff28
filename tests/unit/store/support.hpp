// What the store's tests share: a fresh temporary directory per test (real
// SQLite files, removed afterwards), or a fresh redis-server of the test's
// own (STORE_FIXTURE runs a test once against each backend), options with
// short intervals, and blocking wrappers around the store's callbacks.
#pragma once

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "support/redis_server.hpp"

namespace store_test {

// mkdtemp under the system's temporary directory; removed (after giving
// back any permission a test took away) when it goes.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path db() const { return path_ / store::kDatabaseFile; }

 private:
  std::filesystem::path path_;
};

// Short intervals, so that failures and retries happen within a test, and
// retention only when a test asks for it.
store::options options_for(const std::filesystem::path& dir);

std::unique_ptr<store::store> open_store(const store::options& o);

// The backends the same tests run against.
enum class backend { sqlite, redis };

// One backend for one run of a test: a temporary directory, and for Redis a
// redis-server on a free loopback port that lives as long as the fixture
// (so a test can reopen the store on it, or kill and restart it).
class fixture {
 public:
  explicit fixture(backend b);
  [[nodiscard]] backend kind() const noexcept { return kind_; }
  [[nodiscard]] const char* name() const noexcept { return kind_ == backend::sqlite ? "sqlite" : "redis"; }
  [[nodiscard]] const temp_dir& dir() const noexcept { return dir_; }
  // options_for(dir()): for Redis the same intervals and retention.
  [[nodiscard]] store::options options() const;
  // Opens the backend with these options (FAIL if it cannot).
  std::unique_ptr<store::store> open(const store::options& o);
  std::unique_ptr<store::store> open() { return open(options()); }
  // Redis only (null for SQLite).
  test::redis_server* redis() noexcept { return redis_ ? &*redis_ : nullptr; }
  [[nodiscard]] store::redis_options redis_options(const store::options& o) const;

 private:
  backend kind_;
  temp_dir dir_;
  std::optional<test::redis_server> redis_;
};

// In a test case: `STORE_FIXTURE(f);` runs the test once per backend, each
// run with its own fixture `f`, the backend named in any failure.
#define STORE_FIXTURE(f)                                                                    \
  store_test::fixture f(GENERATE(store_test::backend::sqlite, store_test::backend::redis)); \
  INFO("backend: " << f.name())

// A line with realistic fields; `at_ms` also names it unless msgid is given.
store::line make_line(const std::string& target, const std::string& msgid, std::int64_t at_ms,
                      const std::string& text = "hello");

std::vector<store::line> history(store::store& s, const store::query& q);
store::result<std::vector<store::line>> try_history(store::store& s, const store::query& q);
std::vector<std::string> msgids(const std::vector<store::line>& lines);

// Polls `pred` every few milliseconds until it holds or `limit` passes:
// the bound is generous, tests assert behaviour, never speed.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds limit = std::chrono::seconds(30));

std::int64_t now_ms();

// Captures what the store logs while it lives (install it before the store
// opens and drop it after the store closed: the default logger is swapped).
class log_capture {
 public:
  log_capture();
  ~log_capture();
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;
  // Formatted lines at error level.
  [[nodiscard]] std::vector<std::string> errors() const;
  [[nodiscard]] std::vector<std::string> all() const;

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> old_;
};

// A second connection of the test's own, through SQLite's C API: to hold a
// lock, to read what the store wrote, to make files the store must refuse.
class raw_db {
 public:
  explicit raw_db(const std::filesystem::path& file);
  ~raw_db();
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;
  int exec(const std::string& sql);
  std::int64_t query_int(const std::string& sql);

 private:
  sqlite3* h_ = nullptr;
};

}  // namespace store_test
