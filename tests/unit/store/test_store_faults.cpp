// Faults keep the chat running: a database locked by another process, a
// full one, a read-only or corrupt file, a queue past its bound, and
// close(). Real SQLite files and real failures, never a mock.
#include <fcntl.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace store_test;
using namespace std::chrono_literals;
using Catch::Contains;
using store::errc;

namespace {

store::result<void> create(store::store& s, const std::string& name) {
  store::account a;
  a.name = name;
  return store::wait<void>([&](auto cb) { s.create_account(a, cb); });
}

store::query latest(const std::string& target, std::size_t limit = store::kMaxQueryLimit) {
  store::query q;
  q.target = target;
  q.a.none = true;
  q.limit = limit;
  return q;
}

// Holds the database's write lock from another connection, as another
// process would (sqlite3 shell, a backup, a second server).
struct write_lock {
  explicit write_lock(const std::filesystem::path& file) : db(file) {
    REQUIRE(db.exec("PRAGMA busy_timeout = 30000") == SQLITE_OK);
    REQUIRE(db.exec("BEGIN EXCLUSIVE") == SQLITE_OK);
  }
  void release() { REQUIRE(db.exec("COMMIT") == SQLITE_OK); }
  raw_db db;
};

// Root ignores file modes. For the length of one scope this thread checks
// files as "nobody" instead (setfsuid is per thread, and dropping the
// filesystem uid from 0 drops CAP_DAC_OVERRIDE with it), so that a
// read-only file is read-only even in a CI container running as root.
struct as_nobody {
  as_nobody() {
    if (geteuid() == 0) {
      setfsuid(65534);
      active = true;
    }
  }
  ~as_nobody() {
    if (active) setfsuid(0);
  }
  as_nobody(const as_nobody&) = delete;
  as_nobody& operator=(const as_nobody&) = delete;
  bool active = false;
};

}  // namespace

TEST_CASE("store: a locked database keeps taking lines and catches up once released") {
  temp_dir d;
  log_capture logs;
  auto o = options_for(d.path());
  {
    auto s = open_store(o);
    REQUIRE(create(*s, "early"));
    write_lock lock(d.db());
    const auto locked_at = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) s->append(make_line("#l", "l" + std::to_string(i), i));
    REQUIRE(eventually([&] { return !s->snapshot().healthy; }));

    auto st = s->snapshot();
    CHECK(st.queued == 200);
    CHECK(st.pending == 200);  // kept, not lost
    CHECK(st.dropped == 0);
    CHECK(st.failures >= 1);
    CHECK_THAT(st.last_error, Contains("locked"));

    // Account changes say so rather than wait; reads go on.
    auto late = create(*s, "late");
    REQUIRE_FALSE(late);
    CHECK(late.error() == errc::failed);
    CHECK(store::wait<store::account>([&](auto cb) { s->find_account("early", cb); }));
    CHECK(try_history(*s, latest("#l")));
    s->flush();  // returns: the attempt failed

    std::this_thread::sleep_for(300ms);  // a few more failed retries
    lock.release();
    const auto held_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - locked_at)
            .count();
    REQUIRE(eventually([&] {
      auto now = s->snapshot();
      return now.healthy && now.committed == 200;
    }));
    CHECK(history(*s, latest("#l")).size() == 200);
    CHECK(create(*s, "late"));
    CHECK(s->snapshot().pending == 0);
    s->close();

    // One error when it started failing, then at most one per retry
    // interval: never one per line.
    const auto errors = logs.errors();
    REQUIRE_FALSE(errors.empty());
    CHECK_THAT(errors.front(), Contains(d.db().string()));
    CHECK_THAT(errors.front(), Contains("database is locked"));
    CHECK(errors.size() <= static_cast<std::size_t>(2 + held_ms / o.retry_interval.count()));
    bool recovered = false;
    for (const auto& l : logs.all()) recovered = recovered || l.find("works again") != std::string::npos;
    CHECK(recovered);
  }
}

TEST_CASE("store: past kMaxPendingRows new lines are dropped and counted exactly") {
  temp_dir d;
  auto s = open_store(options_for(d.path()));
  write_lock lock(d.db());
  s->append(make_line("#o", "first", 0));
  REQUIRE(eventually([&] { return !s->snapshot().healthy; }));
  REQUIRE(s->snapshot().pending == 1);

  const std::size_t extra = 100;
  for (std::size_t i = 0; i < store::kMaxPendingRows + extra; ++i) {
    s->append(make_line("#o", std::to_string(i), static_cast<std::int64_t>(i + 1), "x"));
  }
  auto st = s->snapshot();
  CHECK(st.pending == store::kMaxPendingRows);  // memory stays bounded
  CHECK(st.dropped == 1 + extra);
  CHECK(st.queued == store::kMaxPendingRows);

  lock.release();
  REQUIRE(eventually([&] { return s->snapshot().committed == store::kMaxPendingRows; }, 120s));
  st = s->snapshot();
  CHECK(st.pending == 0);
  CHECK(st.dropped == 1 + extra);
  CHECK(st.healthy);
  // The oldest were kept, the overflow was the newest.
  const auto got = history(*s, latest("#o", 1));
  REQUIRE(got.size() == 1);
  CHECK(got[0].msgid == std::to_string(store::kMaxPendingRows - 2));
}

TEST_CASE("store: a full database keeps the chat running") {
  temp_dir d;
  auto o = options_for(d.path());
  o.max_bytes = std::uint64_t{64} * 1024;
  auto s = open_store(o);
  const std::string text(100, 't');
  const int n = 2000;  // about 400 KiB of history for 64 KiB of file
  for (int i = 0; i < n; ++i) s->append(make_line("#full", "f" + std::to_string(i), i, text));
  s->flush();
  REQUIRE(eventually([&] { return !s->snapshot().healthy; }));

  const auto st = s->snapshot();
  CHECK(st.failures >= 1);
  CHECK_THAT(st.last_error, Contains("full"));
  CHECK(st.committed < static_cast<std::uint64_t>(n));
  CHECK(st.dropped == 0);
  CHECK(st.pending == st.queued - st.committed);  // kept for when space comes back

  // Still answering: reads, changes (refused), flush.
  const auto got = try_history(*s, latest("#full"));
  REQUIRE(got);
  CHECK(got->size() == std::min<std::size_t>(st.committed, store::kMaxQueryLimit));
  auto r = create(*s, "nobody");
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::failed);
  s->flush();

  // Closing gives up on what never fitted, and counts it.
  s->close();
  const auto end = s->snapshot();
  CHECK(end.pending == 0);
  CHECK(end.dropped == end.queued - end.committed);
}

TEST_CASE("store: a read-only database file is refused at open with a clear message") {
  temp_dir d;
  {
    auto s = open_store(options_for(d.path()));
    s->append(make_line("#r", "r", 1));
  }
  namespace fs = std::filesystem;
  REQUIRE_FALSE(fs::exists(d.path() / "chat.db-wal"));  // a clean close checkpoints it away
  fs::permissions(d.db(), fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(d.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  tl::expected<std::unique_ptr<store::store>, std::string> s = tl::unexpected(std::string());
  {
    as_nobody guard;
    // The premise: this thread really cannot write the file.
    const int fd = ::open(d.db().c_str(), O_RDWR);
    if (fd >= 0) ::close(fd);
    REQUIRE(fd < 0);
    s = store::store::open(options_for(d.path()));
  }
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error(), Contains(d.db().string()));
  CHECK_THAT(s.error(), Contains("read-only"));
}

TEST_CASE("store: a database whose WAL cannot be created is refused at open") {
  temp_dir d;
  {
    auto s = open_store(options_for(d.path()));
    s->append(make_line("#w", "w", 1));
  }
  // A directory where the WAL goes: no file can be opened there, root or not.
  std::filesystem::create_directory(d.path() / "chat.db-wal");
  auto s = store::store::open(options_for(d.path()));
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error(), Contains(d.db().string()));
  CHECK_THAT(s.error(), Contains("cannot open"));
}

TEST_CASE("store: a directory that cannot be made is refused at open") {
  temp_dir d;
  std::ofstream(d.path() / "file") << "x";
  auto s = store::store::open(options_for(d.path() / "file" / "sub"));
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error(), Contains("cannot create the data directory"));
  CHECK_THAT(s.error(), Contains((d.path() / "file" / "sub").string()));
}

TEST_CASE("store: a file that is not a database is refused at open") {
  temp_dir d;
  std::ofstream(d.db(), std::ios::binary) << std::string(4096, 'x');
  auto s = store::store::open(options_for(d.path()));
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error(), Contains(d.db().string()));
  CHECK_THAT(s.error(), Contains("not a SQLite database"));
  // Left as it was: the operator may want it.
  CHECK(std::filesystem::file_size(d.db()) == 4096);
}

TEST_CASE("store: corruption while open is logged and neither crashes nor hangs") {
  temp_dir d;
  {
    auto s = open_store(options_for(d.path()));
    for (int i = 0; i < 20'000; ++i)
      s->append(make_line("#c" + std::to_string(i % 20), std::to_string(i), i));
  }
  log_capture logs;
  {
    auto s = open_store(options_for(d.path()));  // its caches are cold: it read the schema only
    {
      std::fstream f(d.db(), std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(0, std::ios::end);
      const auto size = static_cast<std::size_t>(f.tellg());
      REQUIRE(size > 8192);
      f.seekp(4096);  // every page but the first (the header and the schema)
      const std::string garbage(size - 4096, 'x');
      f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    auto r = try_history(*s, latest("#c3"));
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::failed);
    for (int i = 0; i < 100; ++i) s->append(make_line("#c1", "n" + std::to_string(i), 50'000 + i));
    s->flush();
    REQUIRE(eventually([&] { return !s->snapshot().healthy; }));
    // Every call still answers.
    CHECK_FALSE(store::wait<store::account>([&](auto cb) { s->find_account("x", cb); }));
    CHECK_FALSE(create(*s, "x"));
    s->close();
    CHECK(s->snapshot().dropped == 100);
  }
  CHECK_FALSE(logs.errors().empty());
}

TEST_CASE("store: after close every call answers unavailable") {
  temp_dir d;
  auto s = open_store(options_for(d.path()));
  s->close();
  s->close();  // twice is fine
  s->flush();
  s->append(make_line("#a", "late", 1));
  CHECK(s->snapshot().dropped == 1);
  auto h = try_history(*s, latest("#a"));
  REQUIRE_FALSE(h);
  CHECK(h.error() == errc::unavailable);
  auto c = create(*s, "x");
  REQUIRE_FALSE(c);
  CHECK(c.error() == errc::unavailable);
  auto e = store::wait<std::size_t>([&](auto cb) { s->expire_now(cb); });
  REQUIRE_FALSE(e);
  CHECK(e.error() == errc::unavailable);
  auto m = store::wait<std::optional<std::int64_t>>([&](auto cb) { s->read_marker("x", "#a", cb); });
  REQUIRE_FALSE(m);
  CHECK(m.error() == errc::unavailable);
}

TEST_CASE("store: close commits what is pending") {
  temp_dir d;
  auto o = options_for(d.path());
  o.commit_interval = 1h;  // only close commits
  {
    auto s = open_store(o);
    for (int i = 0; i < 100; ++i) s->append(make_line("#p", std::to_string(i), i));
    CHECK(s->snapshot().committed == 0);
    s->close();
    CHECK(s->snapshot().committed == 100);
  }
  auto s = open_store(options_for(d.path()));
  CHECK(history(*s, latest("#p")).size() == 100);
}

TEST_CASE("store: flush waits for everything queued before it") {
  temp_dir d;
  auto o = options_for(d.path());
  o.commit_interval = 1h;
  auto s = open_store(o);
  for (int i = 0; i < 10; ++i) s->append(make_line("#f", std::to_string(i), i));
  s->flush();
  const auto st = s->snapshot();
  CHECK(st.committed == 10);
  CHECK(st.pending == 0);
  CHECK(st.commits >= 1);
  raw_db raw(d.db());
  CHECK(raw.query_int("SELECT count(*) FROM messages") == 10);
}

TEST_CASE("store: a killed process keeps every committed line and loses only the uncommitted") {
  temp_dir d;
  // The child is forked before any store thread exists in this process.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto o = options_for(d.path());
    o.commit_interval = 1h;  // nothing commits by itself
    auto s = store::store::open(o);
    if (!s) _exit(2);
    for (int i = 0; i < 1000; ++i) (*s)->append(make_line("#k", "c" + std::to_string(i), i));
    (*s)->flush();
    for (int i = 0; i < 10; ++i) (*s)->append(make_line("#k", "u" + std::to_string(i), 2000 + i));
    raise(SIGKILL);  // no close, no checkpoint: the WAL holds the commits
    _exit(3);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(std::filesystem::exists(d.path() / "chat.db-wal"));
  auto s = open_store(options_for(d.path()));
  const auto got = history(*s, latest("#k"));
  REQUIRE(got.size() == 1000);
  CHECK(got.back().msgid == "c999");
}
