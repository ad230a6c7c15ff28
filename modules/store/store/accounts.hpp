// Accounts, certificates, registered channels and read markers: the
// writer's changes (each answering a result the caller sees after commit)
// and the reader's lookups. Names are keyed folded (protocol::fold_nick).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace store::accounts {

// Certificate fingerprints are hex: compared without case.
std::string fold_fingerprint(std::string_view fp);

// The writer connection's statements. Each change runs inside the writer's
// transaction (and a savepoint the caller opens): an sql::error aborts the
// transaction; a result's errc (exists, not_found) means nothing was
// changed and the caller rolls the savepoint back.
class writer {
 public:
  static sql::expected<writer> prepare(sql::db& db);

  sql::expected<result<void>> create(const account& a);
  sql::expected<result<void>> set_credential(const std::string& name,
                                             const protocol::sasl::scram_credential& c);
  sql::expected<result<void>> set_email(const std::string& name, const std::string& email);
  sql::expected<result<void>> add_cert(const std::string& name, const std::string& fingerprint);
  sql::expected<result<void>> del_cert(const std::string& name, const std::string& fingerprint);
  sql::expected<result<void>> drop(const std::string& name);
  sql::expected<result<void>> save_channel(const channel& c);
  sql::expected<result<void>> drop_channel(const std::string& name);
  sql::expected<result<std::int64_t>> set_marker(const std::string& account, const std::string& target,
                                                 std::int64_t at_ms);

 private:
  sql::expected<bool> exists(const std::string& folded);
  sql::expected<result<void>> one_row(sql::stmt& s);  // not_found unless it changed a row

  sql::stmt exists_, insert_, owner_, count_certs_, insert_cert_, set_credential_, set_email_, del_cert_,
      drop_, save_channel_, drop_channel_, set_marker_, count_markers_, trim_markers_;
};

// The reader connection's statements.
class reader {
 public:
  static sql::expected<reader> prepare(sql::db& db);

  sql::expected<result<account>> find(const std::string& name);
  sql::expected<result<account>> find_by_cert(const std::string& fingerprint);
  sql::expected<std::vector<account>> list();
  sql::expected<std::vector<channel>> channels();
  sql::expected<std::optional<std::int64_t>> marker(const std::string& account, const std::string& target);
  sql::expected<std::vector<read_mark>> markers(const std::string& account);

 private:
  sql::stmt by_name_, certs_of_, owner_, all_, all_certs_, channels_, marker_, markers_;
};

}  // namespace store::accounts
