// A thin RAII layer over SQLite's C API: one connection, prepared statements
// kept for its life, and errors as values carrying sqlite3_errmsg's words so
// that every failure the store logs says what SQLite said.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace store::sql {

// A failed call: SQLite's (extended) result code and its message.
struct error {
  int code = 0;
  std::string message;
  int sys_errno = 0;  // the OS's errno behind an I/O or open failure, or 0
  // The primary code (SQLITE_BUSY for SQLITE_BUSY_SNAPSHOT, ...).
  [[nodiscard]] int primary() const noexcept { return code & 0xff; }
};

template <class T>
using expected = tl::expected<T, error>;

class stmt;

// One connection. Not thread-safe (opened without SQLite's mutex): each
// connection belongs to one thread, as each store thread owns its own.
class db {
 public:
  db() = default;
  ~db();
  db(db&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  db& operator=(db&& o) noexcept;
  db(const db&) = delete;
  db& operator=(const db&) = delete;

  // flags: SQLITE_OPEN_*; SQLITE_OPEN_NOMUTEX and EXRESCODE are added.
  static expected<db> open(const std::string& file, int flags);

  // Runs statements that return no rows we need (DDL, PRAGMA settings).
  expected<void> exec(std::string_view sql);
  expected<stmt> prepare(std::string_view sql);
  // A one-value query ("PRAGMA user_version").
  expected<std::int64_t> query_int(std::string_view sql);
  expected<std::string> query_text(std::string_view sql);

  // The last error on this connection, for a failed step.
  [[nodiscard]] error last_error() const;
  [[nodiscard]] bool read_only() const noexcept;
  // Whether a transaction is open (so that a failure knows to roll back).
  [[nodiscard]] bool in_transaction() const noexcept;
  [[nodiscard]] std::int64_t changes() const noexcept;
  [[nodiscard]] sqlite3* handle() const noexcept { return h_; }
  void close() noexcept;

 private:
  explicit db(sqlite3* h) : h_(h) {}
  sqlite3* h_ = nullptr;
};

// A prepared statement. bind() indexes start at 1, column() at 0, as in
// SQLite. Text and blobs are bound without a copy (SQLITE_STATIC): the
// caller keeps them alive until the statement is reset, which every use
// here does within one function.
class stmt {
 public:
  stmt() = default;
  ~stmt();
  stmt(stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)), db_(std::exchange(o.db_, nullptr)) {}
  stmt& operator=(stmt&& o) noexcept;
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;

  stmt& bind(int i, std::int64_t v);
  stmt& bind(int i, std::string_view text);
  stmt& bind_blob(int i, std::string_view bytes);

  // true: a row is ready; false: done. Errors come with the connection's message.
  expected<bool> step();
  // Steps to the end (for writes), then resets.
  expected<void> run();
  // Resets and clears bindings: ready for the next use. Never fails (the
  // error of the last step was already returned by step()).
  void reset() noexcept;

  [[nodiscard]] std::int64_t int64(int col) const noexcept;
  [[nodiscard]] std::string_view text(int col) const noexcept;
  [[nodiscard]] std::string_view blob(int col) const noexcept;
  [[nodiscard]] bool is_null(int col) const noexcept;
  // Rows the connection's last finished write changed (after run()).
  [[nodiscard]] std::int64_t changes() const noexcept;

 private:
  friend class db;
  stmt(sqlite3_stmt* s, sqlite3* d) : s_(s), db_(d) {}
  sqlite3_stmt* s_ = nullptr;
  sqlite3* db_ = nullptr;
};

// Resets a statement when a scope ends, whichever way it ends.
class reset_guard {
 public:
  explicit reset_guard(stmt& s) : s_(s) {}
  ~reset_guard() { s_.reset(); }
  reset_guard(const reset_guard&) = delete;
  reset_guard& operator=(const reset_guard&) = delete;

 private:
  stmt& s_;
};

}  // namespace store::sql
