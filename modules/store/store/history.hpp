// History's SQL: the writer's statements (insert a line, keep the list of
// private conversations, retention's bounded deletes) and the reader's
// (CHATHISTORY ranges, TARGETS, find). Prepared once per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace store::history {

// Lines per retention transaction: a big expiry never holds the write lock
// (or keeps history waiting) for long.
inline constexpr std::size_t kRetentionChunk = 10'000;

// The first byte of every private_key(): no channel name and no nick has it.
inline constexpr char kPrivateMark = '\x01';

// CHATHISTORY AROUND from the lines before the point (oldest first) and
// those from it on: about half before, the rest after, at most `limit`,
// oldest first. Both backends answer AROUND with it.
std::vector<line> merge_around(std::vector<line> before, std::vector<line> after, std::size_t limit);

// The two identities of a private key, or nullopt for a channel.
struct key_halves {
  std::string_view a;
  std::string_view b;
};
std::optional<key_halves> split_private_key(std::string_view target) noexcept;

// The private conversations one commit touched: one row per identity and
// conversation, so a group of thousands of lines costs a handful of upserts.
class conversations {
 public:
  void note(const line& l);
  [[nodiscard]] bool empty() const noexcept { return rows_.empty(); }
  // Each row: fn(identity, key, peer, latest_ms) (the Redis backend).
  template <class F>
  void for_each(F&& fn) const {
    for (const auto& [k, r] : rows_) fn(r.identity, r.key, r.peer, r.latest);
  }
  void clear() noexcept { rows_.clear(); }

 private:
  friend class writer;
  struct row {
    std::string identity;
    std::string key;
    std::string peer;
    std::int64_t latest = 0;
  };
  void put(std::string_view identity, std::string_view key, std::string_view peer, std::int64_t at);
  std::unordered_map<std::string, row> rows_;  // identity + '\0' + key
};

// The writer connection's history statements.
class writer {
 public:
  static sql::expected<writer> prepare(sql::db& db);

  sql::expected<void> insert(const line& l);
  sql::expected<void> upsert(const conversations& c);

  // Retention, one bounded chunk per call (the caller's transaction): how
  // many lines went. Lines older than `cutoff_ms` (strictly):
  sql::expected<std::size_t> delete_older(std::int64_t cutoff_ms, std::size_t chunk);
  sql::expected<void> delete_conversations_older(std::int64_t cutoff_ms);
  // Lines of `target` past its newest `keep`:
  sql::expected<std::size_t> delete_beyond(const std::string& target, std::size_t keep, std::size_t chunk);
  // The first target after `after` in index order (skips through the index
  // by seeks, never reading every row): nullopt at the end.
  sql::expected<std::optional<std::string>> next_target(const std::string& after);

 private:
  sql::stmt insert_, upsert_, delete_older_, delete_conversations_, nth_newest_, delete_upto_, next_target_;
};

// The reader connection's history statements.
class reader {
 public:
  static sql::expected<reader> prepare(sql::db& db);

  sql::expected<std::vector<line>> run(const query& q);
  sql::expected<std::vector<target_entry>> run(const targets_query& q);
  sql::expected<std::optional<line>> find(const std::string& target, const std::string& msgid);

 private:
  // A position in a target's (at, id) order; bounds are exclusive.
  struct point {
    std::int64_t at;
    std::int64_t id;
  };
  sql::expected<std::optional<point>> locate(const std::string& target, const std::string& msgid);
  // Lines of kinds up to `last_kind` (messages only, or events too).
  sql::expected<std::vector<line>> range(const std::string& target, point lo, point hi, std::size_t limit,
                                         bool newest, line_kind last_kind);
  sql::expected<std::optional<std::int64_t>> latest_in(const std::string& target, std::int64_t lo,
                                                       std::int64_t hi);

  sql::stmt locate_, asc_, desc_, find_, conversations_, latest_in_;
};

}  // namespace store::history
