// Migrations keyed by PRAGMA user_version: each step takes the file from
// one version to the next inside one transaction, so a crash mid-migration
// leaves the old version intact. A file newer than this build is refused.
#include "store/schema.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <string_view>
#include <system_error>

#include "store/store.hpp"

namespace store::schema {

namespace {

// Version 1. Why each part is as it is:
// - messages keeps its rowid as `id`: the insertion order, which breaks ties
//   between lines of the same millisecond and is the cheapest key to append.
//   Its indexes are each appended to at one place or a few (msgids and times
//   grow), which is what keeps group commits fast on a large file:
//   (target, at) serves every CHATHISTORY range in (at, id) order (the rowid
//   is every index's implicit last column); (msgid) resolves msgid bounds;
//   (at) lets max-age retention find old lines without a scan.
// - conversations lists each identity's private conversations, so that
//   CHATHISTORY TARGETS never scans history: one row per identity and
//   conversation, upserted once per commit.
// - the account tables are WITHOUT ROWID: small, looked up by their key.
//   Names are kept folded as keys and as registered for display.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE messages(
  id INTEGER PRIMARY KEY,
  target TEXT NOT NULL,
  msgid TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  source TEXT NOT NULL,
  account TEXT NOT NULL,
  recipient TEXT NOT NULL,
  text TEXT NOT NULL,
  tags TEXT NOT NULL);
CREATE INDEX messages_by_target ON messages(target, at);
CREATE INDEX messages_by_msgid ON messages(msgid);
CREATE INDEX messages_by_time ON messages(at);

CREATE TABLE conversations(
  identity TEXT NOT NULL,
  key TEXT NOT NULL,
  peer TEXT NOT NULL,
  latest INTEGER NOT NULL,
  PRIMARY KEY(identity, key)) WITHOUT ROWID;

CREATE TABLE accounts(
  name_folded TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  created INTEGER NOT NULL,
  salt BLOB NOT NULL,
  iterations INTEGER NOT NULL,
  stored_key BLOB NOT NULL,
  server_key BLOB NOT NULL) WITHOUT ROWID;

CREATE TABLE certs(
  fingerprint TEXT PRIMARY KEY,
  account TEXT NOT NULL REFERENCES accounts(name_folded) ON DELETE CASCADE) WITHOUT ROWID;
CREATE INDEX certs_by_account ON certs(account);

CREATE TABLE channels(
  name_folded TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  founder TEXT NOT NULL REFERENCES accounts(name_folded) ON DELETE CASCADE,
  registered INTEGER NOT NULL,
  topic TEXT NOT NULL,
  topic_by TEXT NOT NULL,
  topic_at INTEGER NOT NULL,
  modes TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX channels_by_founder ON channels(founder);

CREATE TABLE read_markers(
  account TEXT NOT NULL REFERENCES accounts(name_folded) ON DELETE CASCADE,
  target TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY(account, target)) WITHOUT ROWID;
)sql";

// Version 2: messages.kind 4 to 9 are channel events (line_kind join to
// kick, IRCv3 draft/event-playback). No table changes; but a version 1
// build would show those rows as messages, so it must refuse the file, as
// it refuses any newer one.
constexpr std::string_view kVersion2 = "-- channel events in messages.kind 4..9";

struct migration {
  int version;
  std::string_view sql;
};

// In order; the last one is kSchemaVersion. A new version appends its step
// (ALTER TABLE, new indexes) and raises kSchemaVersion.
constexpr migration kMigrations[] = {{1, kVersion1}, {2, kVersion2}};
static_assert(std::size(kMigrations) == kSchemaVersion);

}  // namespace

tl::expected<void, std::string> migrate(sql::db& db, const std::filesystem::path& file) {
  auto version = db.query_int("PRAGMA user_version");
  if (!version) return tl::unexpected(describe_open_error(file, version.error()));
  if (*version > kSchemaVersion) {
    return tl::unexpected(fmt::format(
        "{}: the database's schema is version {}, newer than this build's ({}): it was written by a newer "
        "chat-server; refusing to open it rather than lose what that version keeps",
        file.string(), *version, kSchemaVersion));
  }
  if (*version < 0) {
    return tl::unexpected(
        fmt::format("{}: schema version {} is not one chat-server writes", file.string(), *version));
  }
  for (const auto& m : kMigrations) {
    if (m.version <= *version) continue;
    // IMMEDIATE: take the write lock first, so two servers started on one
    // directory cannot both migrate.
    auto step = db.exec("BEGIN IMMEDIATE")
                    .and_then([&] { return db.exec(m.sql); })
                    .and_then([&] { return db.exec(fmt::format("PRAGMA user_version = {}", m.version)); })
                    .and_then([&] { return db.exec("COMMIT"); });
    if (!step) {
      const sql::error e = step.error();
      if (db.in_transaction()) (void)db.exec("ROLLBACK");
      return tl::unexpected(
          fmt::format("{} (migrating the schema to version {})", describe_open_error(file, e), m.version));
    }
  }
  return {};
}

std::string describe_open_error(const std::filesystem::path& file, const sql::error& e) {
  const std::string f = file.string();
  const std::string os =
      e.sys_errno != 0 ? fmt::format(" ({})", std::generic_category().message(e.sys_errno)) : std::string();
  switch (e.primary()) {
    case SQLITE_NOTADB:
      return fmt::format("{}: not a SQLite database (corrupt, or another program's file): {}", f, e.message);
    case SQLITE_CORRUPT:
      return fmt::format("{}: the database is corrupt: {}", f, e.message);
    case SQLITE_READONLY:
      return fmt::format("{}: read-only: {}{}: the server must be able to write its database", f, e.message,
                         os);
    case SQLITE_CANTOPEN:
      return fmt::format(
          "{}: cannot open: {}{}: check that the directory and the file (and its -wal and -shm) are "
          "readable and writable",
          f, e.message, os);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return fmt::format("{}: locked by another process: {}", f, e.message);
    case SQLITE_FULL:
      return fmt::format("{}: the disk is full: {}", f, e.message);
    default:
      return fmt::format("{}: {}{}", f, e.message, os);
  }
}

}  // namespace store::schema
