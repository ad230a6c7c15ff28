// The account tables' SQL. Foreign keys (ON DELETE CASCADE) make dropping
// an account take its certificates, channels and read markers with it, so
// no change here has to remember them.
#include "store/accounts.hpp"

#include <map>
#include <utility>

#include "protocol/nick.hpp"

namespace store::accounts {

namespace {

using protocol::fold_nick;

constexpr std::string_view kAccountColumns =
    "name_folded, name, email, created, salt, iterations, stored_key, server_key";

template <class T>
sql::expected<result<T>> fail(errc e) {
  return result<T>(tl::unexpected(e));
}

// Prepares each (statement, text) pair in turn; the first error stops it.
template <class... Pairs>
sql::expected<void> prepare_all(sql::db& db, Pairs&&... pairs) {
  sql::expected<void> ok;
  const auto one = [&](std::pair<sql::stmt*, std::string_view> p) {
    if (!ok) return;
    auto s = db.prepare(p.second);
    if (!s) {
      ok = tl::unexpected(s.error());
      return;
    }
    *p.first = std::move(*s);
  };
  (one(std::forward<Pairs>(pairs)), ...);
  return ok;
}

account read_account(const sql::stmt& s) {
  // Columns as kAccountColumns, from 1 (0 is the folded name).
  account a;
  a.name = s.text(1);
  a.email = s.text(2);
  a.created_ms = s.int64(3);
  a.credential.salt = s.blob(4);
  a.credential.iterations = static_cast<std::uint32_t>(s.int64(5));
  a.credential.stored_key = s.blob(6);
  a.credential.server_key = s.blob(7);
  return a;
}

}  // namespace

std::string fold_fingerprint(std::string_view fp) {
  return fold_nick(fp);
}

sql::expected<writer> writer::prepare(sql::db& db) {
  writer w;
  using p = std::pair<sql::stmt*, std::string_view>;
  const std::string insert = std::string("INSERT INTO accounts(")
                                 .append(kAccountColumns)
                                 .append(") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  auto ok = prepare_all(
      db, p{&w.exists_, "SELECT 1 FROM accounts WHERE name_folded = ?1"}, p{&w.insert_, insert},
      p{&w.owner_, "SELECT account FROM certs WHERE fingerprint = ?1"},
      p{&w.count_certs_, "SELECT count(*) FROM certs WHERE account = ?1"},
      p{&w.insert_cert_, "INSERT INTO certs(fingerprint, account) VALUES(?1, ?2)"},
      p{&w.set_credential_,
        "UPDATE accounts SET salt = ?2, iterations = ?3, stored_key = ?4, server_key = ?5 WHERE name_folded "
        "= ?1"},
      p{&w.set_email_, "UPDATE accounts SET email = ?2 WHERE name_folded = ?1"},
      p{&w.del_cert_, "DELETE FROM certs WHERE fingerprint = ?1 AND account = ?2"},
      p{&w.drop_, "DELETE FROM accounts WHERE name_folded = ?1"},
      p{&w.save_channel_,
        "INSERT INTO channels(name_folded, name, founder, registered, topic, topic_by, topic_at, modes) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(name_folded) DO UPDATE SET name = excluded.name, "
        "founder = excluded.founder, registered = excluded.registered, topic = excluded.topic, "
        "topic_by = excluded.topic_by, topic_at = excluded.topic_at, modes = excluded.modes"},
      p{&w.drop_channel_, "DELETE FROM channels WHERE name_folded = ?1"},
      p{&w.set_marker_,
        "INSERT INTO read_markers(account, target, at) VALUES(?1, ?2, ?3) ON CONFLICT(account, target) "
        "DO UPDATE SET at = max(at, excluded.at) RETURNING at"},
      p{&w.count_markers_, "SELECT count(*) FROM read_markers WHERE account = ?1"},
      p{&w.trim_markers_,
        "DELETE FROM read_markers WHERE account = ?1 AND target IN (SELECT target FROM read_markers WHERE "
        "account = ?1 AND target != ?2 ORDER BY at, target LIMIT ?3)"});
  if (!ok) return tl::unexpected(ok.error());
  return w;
}

sql::expected<bool> writer::exists(const std::string& folded) {
  sql::reset_guard g(exists_);
  return exists_.bind(1, folded).step();
}

sql::expected<result<void>> writer::one_row(sql::stmt& s) {
  auto ok = s.run();
  if (!ok) return tl::unexpected(ok.error());
  if (s.changes() == 0) return fail<void>(errc::not_found);
  return result<void>();
}

sql::expected<result<void>> writer::create(const account& a) {
  const std::string folded = fold_nick(a.name);
  auto taken = exists(folded);
  if (!taken) return tl::unexpected(taken.error());
  if (*taken) return fail<void>(errc::exists);
  auto ok = insert_.bind(1, folded)
                .bind(2, a.name)
                .bind(3, a.email)
                .bind(4, a.created_ms)
                .bind_blob(5, a.credential.salt)
                .bind(6, static_cast<std::int64_t>(a.credential.iterations))
                .bind_blob(7, a.credential.stored_key)
                .bind_blob(8, a.credential.server_key)
                .run();
  if (!ok) return tl::unexpected(ok.error());
  for (const auto& fp : a.certfps) {
    auto r = add_cert(a.name, fp);
    if (!r || !*r) return r;  // exists: the caller's savepoint undoes the account too
  }
  return result<void>();
}

sql::expected<result<void>> writer::set_credential(const std::string& name,
                                                   const protocol::sasl::scram_credential& c) {
  const std::string folded = fold_nick(name);
  set_credential_.bind(1, folded)
      .bind_blob(2, c.salt)
      .bind(3, static_cast<std::int64_t>(c.iterations))
      .bind_blob(4, c.stored_key)
      .bind_blob(5, c.server_key);
  return one_row(set_credential_);
}

sql::expected<result<void>> writer::set_email(const std::string& name, const std::string& email) {
  const std::string folded = fold_nick(name);
  set_email_.bind(1, folded).bind(2, email);
  return one_row(set_email_);
}

sql::expected<result<void>> writer::add_cert(const std::string& name, const std::string& fingerprint) {
  const std::string folded = fold_nick(name);
  const std::string fp = fold_fingerprint(fingerprint);
  auto known = exists(folded);
  if (!known) return tl::unexpected(known.error());
  if (!*known) return fail<void>(errc::not_found);
  {
    sql::reset_guard g(owner_);
    auto row = owner_.bind(1, fp).step();
    if (!row) return tl::unexpected(row.error());
    // Already this account's: nothing to do. Someone else's: taken.
    if (*row) return owner_.text(0) == folded ? result<void>() : result<void>(tl::unexpected(errc::exists));
  }
  {
    // The writer is the only one adding: counting first is enough.
    sql::reset_guard g(count_certs_);
    auto row = count_certs_.bind(1, folded).step();
    if (!row) return tl::unexpected(row.error());
    if (*row && count_certs_.int64(0) >= static_cast<std::int64_t>(kMaxCertsPerAccount)) {
      return fail<void>(errc::limit);
    }
  }
  auto ok = insert_cert_.bind(1, fp).bind(2, folded).run();
  if (!ok) return tl::unexpected(ok.error());
  return result<void>();
}

sql::expected<result<void>> writer::del_cert(const std::string& name, const std::string& fingerprint) {
  const std::string folded = fold_nick(name);
  const std::string fp = fold_fingerprint(fingerprint);
  del_cert_.bind(1, fp).bind(2, folded);
  return one_row(del_cert_);
}

sql::expected<result<void>> writer::drop(const std::string& name) {
  const std::string folded = fold_nick(name);
  drop_.bind(1, folded);
  return one_row(drop_);
}

sql::expected<result<void>> writer::save_channel(const channel& c) {
  const std::string folded = fold_nick(c.name);
  const std::string founder = fold_nick(c.founder);
  // A founder that is no account would fail the foreign key, and with it
  // the whole group: answer not_found instead.
  auto known = exists(founder);
  if (!known) return tl::unexpected(known.error());
  if (!*known) return fail<void>(errc::not_found);
  auto ok = save_channel_.bind(1, folded)
                .bind(2, c.name)
                .bind(3, founder)
                .bind(4, c.registered_ms)
                .bind(5, c.topic)
                .bind(6, c.topic_by)
                .bind(7, c.topic_at_ms)
                .bind(8, c.modes)
                .run();
  if (!ok) return tl::unexpected(ok.error());
  return result<void>();
}

sql::expected<result<void>> writer::drop_channel(const std::string& name) {
  const std::string folded = fold_nick(name);
  drop_channel_.bind(1, folded);
  return one_row(drop_channel_);
}

sql::expected<result<std::int64_t>> writer::set_marker(const std::string& account, const std::string& target,
                                                       std::int64_t at_ms) {
  const std::string folded = fold_nick(account);
  const std::string where = fold_nick(target);
  auto known = exists(folded);
  if (!known) return tl::unexpected(known.error());
  if (!*known) return fail<std::int64_t>(errc::not_found);
  sql::reset_guard g(set_marker_);
  set_marker_.bind(1, folded).bind(2, where).bind(3, at_ms);
  std::int64_t now = at_ms;
  for (;;) {
    auto row = set_marker_.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    now = set_marker_.int64(0);
  }
  std::int64_t count = 0;
  {
    sql::reset_guard c(count_markers_);
    auto row = count_markers_.bind(1, folded).step();
    if (!row) return tl::unexpected(row.error());
    if (*row) count = count_markers_.int64(0);
  }
  if (count > static_cast<std::int64_t>(kMaxReadMarkers)) {
    sql::reset_guard t(trim_markers_);
    auto ok = trim_markers_.bind(1, folded)
                  .bind(2, where)
                  .bind(3, count - static_cast<std::int64_t>(kMaxReadMarkers))
                  .run();
    if (!ok) return tl::unexpected(ok.error());
  }
  return result<std::int64_t>(now);
}

sql::expected<reader> reader::prepare(sql::db& db) {
  reader r;
  using p = std::pair<sql::stmt*, std::string_view>;
  const std::string by_name =
      std::string("SELECT ").append(kAccountColumns).append(" FROM accounts WHERE name_folded = ?1");
  const std::string all =
      std::string("SELECT ").append(kAccountColumns).append(" FROM accounts ORDER BY name_folded");
  auto ok = prepare_all(
      db, p{&r.by_name_, by_name},
      p{&r.certs_of_, "SELECT fingerprint FROM certs WHERE account = ?1 ORDER BY 1"},
      p{&r.owner_, "SELECT account FROM certs WHERE fingerprint = ?1"}, p{&r.all_, all},
      p{&r.all_certs_, "SELECT account, fingerprint FROM certs ORDER BY account, fingerprint"},
      p{&r.channels_,
        "SELECT c.name, a.name, c.registered, c.topic, c.topic_by, c.topic_at, c.modes FROM channels c "
        "JOIN accounts a ON a.name_folded = c.founder ORDER BY c.name_folded"},
      p{&r.marker_, "SELECT at FROM read_markers WHERE account = ?1 AND target = ?2"},
      p{&r.markers_, "SELECT target, at FROM read_markers WHERE account = ?1 ORDER BY target"});
  if (!ok) return tl::unexpected(ok.error());
  return r;
}

sql::expected<result<account>> reader::find(const std::string& name) {
  const std::string folded = fold_nick(name);
  account a;
  {
    sql::reset_guard g(by_name_);
    auto row = by_name_.bind(1, folded).step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return fail<account>(errc::not_found);
    a = read_account(by_name_);
  }
  sql::reset_guard g(certs_of_);
  certs_of_.bind(1, folded);
  for (;;) {
    auto row = certs_of_.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    a.certfps.emplace_back(certs_of_.text(0));
  }
  return result<account>(std::move(a));
}

sql::expected<result<account>> reader::find_by_cert(const std::string& fingerprint) {
  std::string owner;
  {
    sql::reset_guard g(owner_);
    auto row = owner_.bind(1, fold_fingerprint(fingerprint)).step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return fail<account>(errc::not_found);
    owner = owner_.text(0);
  }
  return find(owner);
}

sql::expected<std::vector<account>> reader::list() {
  std::map<std::string, std::vector<std::string>> certs;
  {
    sql::reset_guard g(all_certs_);
    for (;;) {
      auto row = all_certs_.step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      certs[std::string(all_certs_.text(0))].emplace_back(all_certs_.text(1));
    }
  }
  std::vector<account> out;
  sql::reset_guard g(all_);
  for (;;) {
    auto row = all_.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    account a = read_account(all_);
    if (auto it = certs.find(std::string(all_.text(0))); it != certs.end()) a.certfps = std::move(it->second);
    out.push_back(std::move(a));
  }
  return out;
}

sql::expected<std::vector<channel>> reader::channels() {
  std::vector<channel> out;
  sql::reset_guard g(channels_);
  for (;;) {
    auto row = channels_.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    channel c;
    c.name = channels_.text(0);
    c.founder = channels_.text(1);
    c.registered_ms = channels_.int64(2);
    c.topic = channels_.text(3);
    c.topic_by = channels_.text(4);
    c.topic_at_ms = channels_.int64(5);
    c.modes = channels_.text(6);
    out.push_back(std::move(c));
  }
  return out;
}

sql::expected<std::optional<std::int64_t>> reader::marker(const std::string& account,
                                                          const std::string& target) {
  sql::reset_guard g(marker_);
  auto row = marker_.bind(1, fold_nick(account)).bind(2, fold_nick(target)).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(marker_.int64(0));
}

sql::expected<std::vector<read_mark>> reader::markers(const std::string& account) {
  std::vector<read_mark> out;
  const std::string folded = fold_nick(account);  // bound, not copied: it must outlive the steps
  sql::reset_guard g(markers_);
  markers_.bind(1, folded);
  for (;;) {
    auto row = markers_.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_mark{std::string(markers_.text(0)), markers_.int64(1)});
  }
  return out;
}

}  // namespace store::accounts
