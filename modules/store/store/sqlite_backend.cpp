// The SQLite backend: opening (both connections, schema), the calls that
// queue work for the writer or the reader, the reader thread, flush and
// close. The writer thread is in writer.cpp; the directory and the front
// (store::store) in store.cpp.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "protocol/nick.hpp"
#include "store/actor.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"

namespace store {

sqlite_backend::sqlite_backend(options o) : opts(std::move(o)), file_(opts.dir / kDatabaseFile) {}

sqlite_backend::~sqlite_backend() {
  close();
}

tl::expected<void, std::string> sqlite_backend::open_connections() {
  const std::string path = file_.string();
  const auto failed = [&](const sql::error& e) {
    return tl::unexpected(schema::describe_open_error(file_, e));
  };

  // The writer's connection: it creates the file and owns the schema.
  auto w = sql::db::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!w) return failed(w.error());
  wdb = std::move(*w);
  // SQLite falls back to read-only when it may not write the file; the
  // server cannot work that way (accounts, history), so it says so now.
  if (wdb.read_only()) {
    return tl::unexpected(fmt::format(
        "{}: read-only: the server must be able to write its database (check the file's owner and mode, "
        "and that its file system is mounted read-write)",
        path));
  }
  // The first statement that reads the file: garbage shows up here as
  // SQLITE_NOTADB.
  auto mode = wdb.query_text("PRAGMA journal_mode = WAL");
  if (!mode) return failed(mode.error());
  if (*mode != "wal") {
    return tl::unexpected(fmt::format(
        "{}: cannot use write-ahead logging (journal mode stays {}); is it on a network file system?", path,
        *mode));
  }
  // NORMAL in WAL mode: a commit survives the process being killed; only a
  // power loss can take the last commits back (docs/store.md). A larger
  // checkpoint interval (10,000 pages, about 40 MiB of WAL) copies each
  // often-rewritten index page to the main file once instead of many times:
  // on the benchmark it is a third faster than the default 1,000.
  if (auto ok =
          wdb.exec(fmt::format("PRAGMA busy_timeout = {}; PRAGMA synchronous = NORMAL; "
                               "PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384; "
                               "PRAGMA journal_size_limit = 67108864; PRAGMA wal_autocheckpoint = 10000",
                               kBusyTimeout.count()));
      !ok) {
    return failed(ok.error());
  }
  if (auto ok = schema::migrate(wdb, file_); !ok) return tl::unexpected(ok.error());
  if (opts.max_bytes > 0) {
    auto page = wdb.query_int("PRAGMA page_size");
    if (!page) return failed(page.error());
    const auto pages = std::max<std::uint64_t>(
        1, opts.max_bytes / static_cast<std::uint64_t>(std::max<std::int64_t>(*page, 512)));
    if (auto ok = wdb.query_int(fmt::format("PRAGMA max_page_count = {}", pages)); !ok)
      return failed(ok.error());
  }
  auto hwr = history::writer::prepare(wdb);
  if (!hwr) return failed(hwr.error());
  hw = std::move(*hwr);
  auto awr = accounts::writer::prepare(wdb);
  if (!awr) return failed(awr.error());
  aw = std::move(*awr);
  const auto prep = [&](sql::stmt& s, std::string_view text) -> sql::expected<void> {
    auto r = wdb.prepare(text);
    if (!r) return tl::unexpected(r.error());
    s = std::move(*r);
    return {};
  };
  // IMMEDIATE: take the write lock at BEGIN, where busy_timeout applies,
  // rather than fail at the first INSERT.
  auto tx = prep(begin_, "BEGIN IMMEDIATE")
                .and_then([&] { return prep(commit_, "COMMIT"); })
                .and_then([&] { return prep(rollback_, "ROLLBACK"); })
                .and_then([&] { return prep(savepoint_, "SAVEPOINT change"); })
                .and_then([&] { return prep(release_, "RELEASE change"); })
                .and_then([&] { return prep(rollback_to_, "ROLLBACK TO change"); });
  if (!tx) return failed(tx.error());

  // The reader's connection: its own snapshot of the WAL, so reads never
  // wait for the writer; query_only makes a stray write an error.
  auto r = sql::db::open(path, SQLITE_OPEN_READWRITE);
  if (!r) return failed(r.error());
  rdb = std::move(*r);
  if (auto ok =
          rdb.exec(fmt::format("PRAGMA busy_timeout = {}; PRAGMA query_only = ON; PRAGMA cache_size = -8192",
                               kBusyTimeout.count()));
      !ok) {
    return failed(ok.error());
  }
  auto hrd = history::reader::prepare(rdb);
  if (!hrd) return failed(hrd.error());
  hr = std::move(*hrd);
  auto ard = accounts::reader::prepare(rdb);
  if (!ard) return failed(ard.error());
  ar = std::move(*ard);
  auto rb = rdb.prepare("BEGIN");
  if (!rb) return failed(rb.error());
  rbegin_ = std::move(*rb);
  auto rc = rdb.prepare("COMMIT");
  if (!rc) return failed(rc.error());
  rcommit_ = std::move(*rc);
  return {};
}

void sqlite_backend::start() {
  // The first retention pass waits one interval: opening stays quick on a
  // large file.
  next_retention = steady::now() + opts.retention_interval;
  writer_thread = std::thread([this] { writer_main(); });
  reader_thread = std::thread([this] { reader_main(); });
}

void sqlite_backend::flush() {
  std::unique_lock lk(mu);
  if (writer_gone) return;
  const std::uint64_t target = seq;
  if (attempted >= target) return;
  flush_target = std::max(flush_target, target);
  writer_cv.notify_one();
  progress_cv.wait(lk, [&] { return attempted >= target || writer_gone; });
}

void sqlite_backend::close() {
  std::lock_guard cg(close_mu);
  if (close_done) return;
  close_done = true;
  // A callback (on a store thread) must not close: it would join itself.
  assert(std::this_thread::get_id() != writer_thread.get_id());
  assert(std::this_thread::get_id() != reader_thread.get_id());
  if (writer_thread.joinable()) flush();
  {
    std::lock_guard lk(mu);
    closed = true;  // from here on every call answers unavailable
    writer_stop = true;
    reader_stop = true;
  }
  writer_cv.notify_all();
  reader_cv.notify_all();
  if (writer_thread.joinable()) writer_thread.join();
  if (reader_thread.joinable()) reader_thread.join();
  // Statements before their connections.
  hw.reset();
  aw.reset();
  begin_ = {};
  commit_ = {};
  rollback_ = {};
  savepoint_ = {};
  release_ = {};
  rollback_to_ = {};
  hr.reset();
  ar.reset();
  rbegin_ = {};
  rcommit_ = {};
  wdb.close();
  rdb.close();
}

template <class T>
void sqlite_backend::read(std::function<sql::expected<result<T>>()> body, callback<T> done) {
  std::unique_lock lk(mu);
  if (closed) {
    lk.unlock();
    if (done) done(tl::unexpected(errc::unavailable));
    return;
  }
  // Read-your-writes: it waits for the writer to pass everything queued so
  // far, but never longer than about two group commits; and it asks the
  // writer to commit now rather than at the end of its interval.
  const auto wait =
      std::max<std::chrono::milliseconds>(2 * opts.commit_interval, std::chrono::milliseconds(1));
  bool hurry = false;
  if (seq > settled && seq > hurry_target) {
    hurry_target = seq;
    hurry = true;
  }
  reads.push_back(
      read_task{seq, steady::now() + wait, [this, body = std::move(body), done = std::move(done)] {
                  // One read transaction: a query of several
                  // statements sees one snapshot.
                  sql::expected<result<T>> r = rbegin_.run().and_then(body);
                  if (rdb.in_transaction()) (void)rcommit_.run();
                  if (!r) {
                    const auto now = steady::now();
                    if (now - reader_logged >= opts.retry_interval) {
                      spdlog::error("store {}: a read failed: {} (SQLite code {})", file_.string(),
                                    r.error().message, r.error().code);
                      reader_logged = now;
                    }
                    if (done) done(tl::unexpected(errc::failed));
                    return;
                  }
                  if (done) done(std::move(*r));
                }});
  lk.unlock();
  reader_cv.notify_one();
  if (hurry) writer_cv.notify_one();
}

void sqlite_backend::reader_main() {
  for (;;) {
    read_task t;
    {
      std::unique_lock lk(mu);
      reader_cv.wait(lk, [&] { return !reads.empty() || reader_stop; });
      if (reads.empty()) return;  // stopping, and every read asked is answered
      t = std::move(reads.front());
      reads.pop_front();
      // While the database fails, nothing newer will be committed: no wait.
      progress_cv.wait_until(lk, t.deadline, [&] { return settled >= t.seq || writer_gone || !st.healthy; });
    }
    t.run();
  }
}

void sqlite_backend::append(line l) {
  sqlite_backend& m = *this;
  l.target = protocol::fold_nick(l.target);
  bool wake = false;
  {
    std::lock_guard lk(m.mu);
    if (m.closed || m.pending >= kMaxPendingRows) {
      ++m.st.dropped;
      return;
    }
    ++m.pending;
    ++m.st.queued;
    if (m.queue.empty()) {
      m.first_at = steady::now();
      wake = true;  // the writer sets its deadline
    }
    m.queue.emplace_back(++m.seq, std::move(l));
    if (++m.queue_lines == kCommitRows) wake = true;
  }
  if (wake) m.writer_cv.notify_one();
}

void sqlite_backend::history(query q, callback<std::vector<line>> done) {
  q.target = protocol::fold_nick(q.target);
  sqlite_backend& m = *this;
  m.read<std::vector<line>>(
      [&m, q = std::move(q)]() -> sql::expected<result<std::vector<line>>> {
        auto r = m.hr->run(q);
        if (!r) return tl::unexpected(r.error());
        return result<std::vector<line>>(std::move(*r));
      },
      std::move(done));
}

void sqlite_backend::targets(targets_query q, callback<std::vector<target_entry>> done) {
  q.identity = protocol::fold_nick(q.identity);
  for (auto& c : q.channels) c = protocol::fold_nick(c);
  sqlite_backend& m = *this;
  m.read<std::vector<target_entry>>(
      [&m, q = std::move(q)]() -> sql::expected<result<std::vector<target_entry>>> {
        auto r = m.hr->run(q);
        if (!r) return tl::unexpected(r.error());
        return result<std::vector<target_entry>>(std::move(*r));
      },
      std::move(done));
}

void sqlite_backend::find(std::string target, std::string msgid, callback<std::optional<line>> done) {
  target = protocol::fold_nick(target);
  sqlite_backend& m = *this;
  m.read<std::optional<line>>(
      [&m, target = std::move(target),
       msgid = std::move(msgid)]() -> sql::expected<result<std::optional<line>>> {
        auto r = m.hr->find(target, msgid);
        if (!r) return tl::unexpected(r.error());
        return result<std::optional<line>>(std::move(*r));
      },
      std::move(done));
}

void sqlite_backend::create_account(account a, callback<void> done) {
  submit<void>([a = std::move(a)](accounts::writer& w) { return w.create(a); }, std::move(done));
}

void sqlite_backend::find_account(std::string name, callback<account> done) {
  sqlite_backend& m = *this;
  m.read<account>([&m, name = std::move(name)] { return m.ar->find(name); }, std::move(done));
}

void sqlite_backend::find_account_by_cert(std::string fingerprint, callback<account> done) {
  sqlite_backend& m = *this;
  m.read<account>([&m, fp = std::move(fingerprint)] { return m.ar->find_by_cert(fp); }, std::move(done));
}

void sqlite_backend::set_credential(std::string name, protocol::sasl::scram_credential c,
                                    callback<void> done) {
  submit<void>(
      [name = std::move(name), c = std::move(c)](accounts::writer& w) { return w.set_credential(name, c); },
      std::move(done));
}

void sqlite_backend::set_email(std::string name, std::string email, callback<void> done) {
  submit<void>([name = std::move(name),
                email = std::move(email)](accounts::writer& w) { return w.set_email(name, email); },
               std::move(done));
}

void sqlite_backend::add_cert(std::string name, std::string fingerprint, callback<void> done) {
  submit<void>([name = std::move(name),
                fp = std::move(fingerprint)](accounts::writer& w) { return w.add_cert(name, fp); },
               std::move(done));
}

void sqlite_backend::del_cert(std::string name, std::string fingerprint, callback<void> done) {
  submit<void>([name = std::move(name),
                fp = std::move(fingerprint)](accounts::writer& w) { return w.del_cert(name, fp); },
               std::move(done));
}

void sqlite_backend::drop_account(std::string name, callback<void> done) {
  submit<void>([name = std::move(name)](accounts::writer& w) { return w.drop(name); }, std::move(done));
}

void sqlite_backend::list_accounts(callback<std::vector<account>> done) {
  sqlite_backend& m = *this;
  m.read<std::vector<account>>(
      [&m]() -> sql::expected<result<std::vector<account>>> {
        auto r = m.ar->list();
        if (!r) return tl::unexpected(r.error());
        return result<std::vector<account>>(std::move(*r));
      },
      std::move(done));
}

void sqlite_backend::save_channel(channel c, callback<void> done) {
  submit<void>([c = std::move(c)](accounts::writer& w) { return w.save_channel(c); }, std::move(done));
}

void sqlite_backend::drop_channel(std::string name, callback<void> done) {
  submit<void>([name = std::move(name)](accounts::writer& w) { return w.drop_channel(name); },
               std::move(done));
}

void sqlite_backend::list_channels(callback<std::vector<channel>> done) {
  sqlite_backend& m = *this;
  m.read<std::vector<channel>>(
      [&m]() -> sql::expected<result<std::vector<channel>>> {
        auto r = m.ar->channels();
        if (!r) return tl::unexpected(r.error());
        return result<std::vector<channel>>(std::move(*r));
      },
      std::move(done));
}

void sqlite_backend::set_read_marker(std::string account, std::string target, std::int64_t at_ms,
                                     callback<std::int64_t> done) {
  submit<std::int64_t>([account = std::move(account), target = std::move(target),
                        at_ms](accounts::writer& w) { return w.set_marker(account, target, at_ms); },
                       std::move(done));
}

void sqlite_backend::read_marker(std::string account, std::string target,
                                 callback<std::optional<std::int64_t>> done) {
  sqlite_backend& m = *this;
  m.read<std::optional<std::int64_t>>(
      [&m, account = std::move(account),
       target = std::move(target)]() -> sql::expected<result<std::optional<std::int64_t>>> {
        auto r = m.ar->marker(account, target);
        if (!r) return tl::unexpected(r.error());
        return result<std::optional<std::int64_t>>(*r);
      },
      std::move(done));
}

void sqlite_backend::read_markers(std::string account, callback<std::vector<read_mark>> done) {
  sqlite_backend& m = *this;
  m.read<std::vector<read_mark>>(
      [&m, account = std::move(account)]() -> sql::expected<result<std::vector<read_mark>>> {
        auto r = m.ar->markers(account);
        if (!r) return tl::unexpected(r.error());
        return result<std::vector<read_mark>>(std::move(*r));
      },
      std::move(done));
}

void sqlite_backend::expire_now(callback<std::size_t> done) {
  sqlite_backend& m = *this;
  {
    std::unique_lock lk(m.mu);
    if (!m.closed) {
      if (m.queue.empty()) m.first_at = steady::now();
      m.queue.emplace_back(++m.seq, std::make_unique<expire_request>(expire_request{std::move(done)}));
      m.queue_urgent = true;
      lk.unlock();
      m.writer_cv.notify_one();
      return;
    }
  }
  if (done) done(tl::unexpected(errc::unavailable));
}

stats sqlite_backend::snapshot() const {
  std::lock_guard lk(mu);
  stats s = st;
  s.pending = pending;
  return s;
}

}  // namespace store
