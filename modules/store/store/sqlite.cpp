// The RAII wrapper's definitions: every SQLite call of the store goes
// through here, so that each error becomes a value with SQLite's message.
#include "store/sqlite.hpp"

#include <sqlite3.h>

namespace store::sql {

namespace {

error error_of(sqlite3* h, int rc) {
  // A failed open may leave no handle: sqlite3_errstr still names the code.
  if (h == nullptr) return error{rc, sqlite3_errstr(rc), 0};
  return error{rc, sqlite3_errmsg(h), sqlite3_system_errno(h)};
}

int size_of(std::string_view s) {
  return static_cast<int>(s.size());
}

}  // namespace

db::~db() {
  close();
}

db& db::operator=(db&& o) noexcept {
  if (this != &o) {
    close();
    h_ = std::exchange(o.h_, nullptr);
  }
  return *this;
}

void db::close() noexcept {
  // sqlite3_close_v2 defers the close until the last statement is
  // finalized, so the order in which members are destroyed cannot leak.
  if (h_ != nullptr) sqlite3_close_v2(std::exchange(h_, nullptr));
}

expected<db> db::open(const std::string& file, int flags) {
  sqlite3* h = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &h, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  db d(h);  // closed on every path, even a failed open leaves a handle
  if (rc != SQLITE_OK) return tl::unexpected(error_of(h, rc));
  sqlite3_extended_result_codes(h, 1);
  return d;
}

expected<void> db::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(h_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(error_of(h_, rc));
  return {};
}

expected<stmt> db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  // PERSISTENT: these statements live as long as the connection.
  const int rc = sqlite3_prepare_v3(h_, sql.data(), size_of(sql), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(error_of(h_, rc));
  return stmt(s, h_);
}

expected<std::int64_t> db::query_int(std::string_view sql) {
  auto s = prepare(sql);
  if (!s) return tl::unexpected(s.error());
  auto row = s->step();
  if (!row) return tl::unexpected(row.error());
  return *row ? s->int64(0) : 0;
}

expected<std::string> db::query_text(std::string_view sql) {
  auto s = prepare(sql);
  if (!s) return tl::unexpected(s.error());
  auto row = s->step();
  if (!row) return tl::unexpected(row.error());
  return *row ? std::string(s->text(0)) : std::string();
}

error db::last_error() const {
  return error_of(h_, sqlite3_extended_errcode(h_));
}

bool db::read_only() const noexcept {
  return sqlite3_db_readonly(h_, "main") == 1;
}

bool db::in_transaction() const noexcept {
  return h_ != nullptr && sqlite3_get_autocommit(h_) == 0;
}

std::int64_t db::changes() const noexcept {
  return sqlite3_changes64(h_);
}

stmt::~stmt() {
  if (s_ != nullptr) sqlite3_finalize(s_);
}

stmt& stmt::operator=(stmt&& o) noexcept {
  if (this != &o) {
    if (s_ != nullptr) sqlite3_finalize(s_);
    s_ = std::exchange(o.s_, nullptr);
    db_ = std::exchange(o.db_, nullptr);
  }
  return *this;
}

// Bind errors (a wrong index, SQLITE_TOOBIG) are programming errors or
// surface again at step(), which reports them: no separate path here.
stmt& stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

stmt& stmt::bind(int i, std::string_view text) {
  // A non-null pointer even for "": SQLite binds NULL for a null pointer,
  // and the columns are NOT NULL.
  sqlite3_bind_text(s_, i, text.empty() ? "" : text.data(), size_of(text), SQLITE_STATIC);
  return *this;
}

stmt& stmt::bind_blob(int i, std::string_view bytes) {
  sqlite3_bind_blob(s_, i, bytes.empty() ? "" : bytes.data(), size_of(bytes), SQLITE_STATIC);
  return *this;
}

expected<bool> stmt::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return tl::unexpected(error_of(db_, rc));
}

expected<void> stmt::run() {
  reset_guard g(*this);
  for (;;) {
    auto r = step();
    if (!r) return tl::unexpected(r.error());
    if (!*r) return {};
  }
}

void stmt::reset() noexcept {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::int64_t stmt::int64(int col) const noexcept {
  return sqlite3_column_int64(s_, col);
}

std::string_view stmt::text(int col) const noexcept {
  const auto* p = sqlite3_column_text(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

std::string_view stmt::blob(int col) const noexcept {
  const void* p = sqlite3_column_blob(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  if (p == nullptr) return {};
  return {static_cast<const char*>(p), static_cast<std::size_t>(n)};
}

bool stmt::is_null(int col) const noexcept {
  return sqlite3_column_type(s_, col) == SQLITE_NULL;
}

std::int64_t stmt::changes() const noexcept {
  return sqlite3_changes64(db_);
}

}  // namespace store::sql
