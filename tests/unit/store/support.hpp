// What the store's tests share: a fresh temporary directory per test (real
// SQLite files, removed afterwards), options with short intervals, and
// blocking wrappers around the store's callbacks.
#pragma once

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/store.hpp"

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
