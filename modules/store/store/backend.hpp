// What store::store sits on: one abstract backend per kind of storage, with
// the store's calls and its contract (thread-safe, never blocks the caller
// except flush and close, callbacks on the backend's own threads). SQLite
// (sqlite_backend.cpp, actor.hpp) is a server's own file; Redis
// (redis_backend.hpp) is shared by the nodes of a cluster.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace store {

class backend {
 public:
  backend() = default;
  backend(const backend&) = delete;
  backend& operator=(const backend&) = delete;
  virtual ~backend() = default;

  // Each as store::store's call of the same name (store.hpp); names and
  // targets arrive as the caller gave them (the backend folds them).
  virtual void append(line l) = 0;
  virtual void history(query q, callback<std::vector<line>> done) = 0;
  virtual void targets(targets_query q, callback<std::vector<target_entry>> done) = 0;
  virtual void find(std::string target, std::string msgid, callback<std::optional<line>> done) = 0;

  virtual void create_account(account a, callback<void> done) = 0;
  virtual void find_account(std::string name, callback<account> done) = 0;
  virtual void find_account_by_cert(std::string fingerprint, callback<account> done) = 0;
  virtual void set_credential(std::string name, protocol::sasl::scram_credential c, callback<void> done) = 0;
  virtual void set_email(std::string name, std::string email, callback<void> done) = 0;
  virtual void add_cert(std::string name, std::string fingerprint, callback<void> done) = 0;
  virtual void del_cert(std::string name, std::string fingerprint, callback<void> done) = 0;
  virtual void drop_account(std::string name, callback<void> done) = 0;
  virtual void list_accounts(callback<std::vector<account>> done) = 0;

  virtual void save_channel(channel c, callback<void> done) = 0;
  virtual void drop_channel(std::string name, callback<void> done) = 0;
  virtual void list_channels(callback<std::vector<channel>> done) = 0;

  virtual void set_read_marker(std::string account, std::string target, std::int64_t at_ms,
                               callback<std::int64_t> done) = 0;
  virtual void read_marker(std::string account, std::string target,
                           callback<std::optional<std::int64_t>> done) = 0;
  virtual void read_markers(std::string account, callback<std::vector<read_mark>> done) = 0;

  virtual void expire_now(callback<std::size_t> done) = 0;
  virtual void flush() = 0;
  virtual void close() = 0;

  [[nodiscard]] virtual stats snapshot() const = 0;
  // The SQLite file; empty for a backend without one.
  [[nodiscard]] virtual const std::filesystem::path& file() const noexcept = 0;
  // Where the data is, for the log: a file, or a Redis host:port (never a
  // password).
  [[nodiscard]] virtual std::string where() const = 0;
};

}  // namespace store
