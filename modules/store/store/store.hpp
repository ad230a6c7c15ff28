// The server's memory: history, accounts and registered channels in one
// SQLite database (WAL), behind an actor with a writer thread and a reader
// thread; or, for the nodes of a cluster, in Redis (open_redis), behind the
// same calls. Rooms and sessions hand it work and never wait for the disk:
// history queues and is committed in groups; reads and account changes
// answer through a callback, on the store's thread (post it to your strand).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "protocol/sasl.hpp"

namespace store {

// Group commit: the writer commits what has queued once kCommitRows rows
// wait, or kCommitInterval after the first row of a group came, whichever
// is first. This is also the bound on what a SIGKILL can lose (README).
inline constexpr std::chrono::milliseconds kCommitInterval{10};
inline constexpr std::size_t kCommitRows = 4096;
// History rows waiting for the writer past which new rows are dropped (and
// counted) instead of held: memory stays bounded when the disk is slower
// than the chat, or failing.
inline constexpr std::size_t kMaxPendingRows = 262'144;
// The most lines one history query returns (ISUPPORT CHATHISTORY=).
inline constexpr std::size_t kMaxQueryLimit = 1000;
// How long a statement waits for a lock another process holds before it
// fails (SQLITE_BUSY); the writer then keeps its rows and tries again.
inline constexpr std::chrono::milliseconds kBusyTimeout{200};
// After the database failed (full, read-only, locked, corrupt), how long the
// writer waits before it tries again; meanwhile rows queue up to
// kMaxPendingRows.
inline constexpr std::chrono::milliseconds kRetryInterval{2000};
// How often retention (max age, max per target) runs in the background.
inline constexpr std::chrono::milliseconds kRetentionInterval{60'000};
// The schema this build writes; older files are migrated at open, newer
// ones refused.
inline constexpr int kSchemaVersion = 2;
// The most TLS client-certificate fingerprints one account may have (SASL
// EXTERNAL): a client per device is plenty; add_cert past it is
// errc::limit. Bounds what one account makes the server keep.
inline constexpr std::size_t kMaxCertsPerAccount = 16;
// The most read markers one account keeps (draft/read-marker): a session
// with the cap loads them all at login. Setting one more forgets the one
// that points furthest back.
inline constexpr std::size_t kMaxReadMarkers = 1000;
// The database's file name inside the data directory.
inline constexpr std::string_view kDatabaseFile = "chat.db";

// What a history line is: a message, or (IRCv3 draft/event-playback) an
// event in a channel. For events `to` is the channel, and `text` the real
// name (join), the reason (part, quit), the new nick (nick), the topic
// (topic), or "<kicked nick> <reason>" (kick).
enum class line_kind : std::uint8_t { privmsg, notice, action, tagmsg, join, part, quit, nick, topic, kick };
// The last kind that is a message: queries without events stop there.
inline constexpr line_kind kLastMessageKind = line_kind::tagmsg;

// One line of history.
struct line {
  std::string target;      // where it is kept: a folded channel name, or private_key()
  std::string msgid;       // the IRCv3 msgid
  std::int64_t at_ms = 0;  // server time, milliseconds since the epoch
  line_kind kind = line_kind::privmsg;
  std::string source;   // nick!user@host of the sender
  std::string account;  // the sender's account; empty: none
  std::string to;       // the target as sent: a channel name, or the recipient's nick
  std::string text;
  std::string tags;  // client-only tags as IRC writes them ("+a=b;+c"); empty: none
  friend bool operator==(const line&, const line&) = default;
};

// The key under which a private conversation between the identities `a`
// and `b` is kept (each folded: an account, or a nick), the same whichever
// writes first. Starts with a character no channel name starts with.
std::string private_key(std::string_view a, std::string_view b);

// A point in a target's history: a msgid, or a time.
struct bound {
  std::string msgid;       // non-empty: this message
  std::int64_t at_ms = 0;  // else: this time
  bool none = false;       // "*": no bound
};

// A CHATHISTORY query on one target (draft/chathistory): which lines, at
// most `limit` (clamped to kMaxQueryLimit), always returned oldest first.
struct query {
  enum class kind : std::uint8_t {
    latest,   // the newest lines after `a` (or the newest of all when a.none)
    before,   // the newest lines before `a`
    after,    // the oldest lines after `a`
    around,   // lines around `a`: about half before, half after
    between,  // lines between `a` and `b` (either order), from a's side
  };
  kind what = kind::latest;
  std::string target;
  bound a;
  bound b;
  std::size_t limit = 50;
  bool events = false;  // also channel events (draft/event-playback); the limit counts them too
};

// CHATHISTORY TARGETS: the targets `identity` may read (the channels given,
// and its private conversations) with a line between the two times, each
// with the time of its latest line there, oldest latest first.
struct targets_query {
  std::string identity;               // folded
  std::vector<std::string> channels;  // folded channel names it is in
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;  // either order
  std::size_t limit = 50;
};
struct target_entry {
  std::string name;  // a channel name, or the other party's nick as last written
  std::int64_t latest_ms = 0;
  friend bool operator==(const target_entry&, const target_entry&) = default;
};

// A read marker: up to when an account has read a target.
struct read_mark {
  std::string target;  // folded: a channel name, or a nick
  std::int64_t at_ms = 0;
  friend bool operator==(const read_mark&, const read_mark&) = default;
};

// An account.
struct account {
  std::string name;   // as registered; unique folded
  std::string email;  // may be empty
  std::int64_t created_ms = 0;
  protocol::sasl::scram_credential credential;
  std::vector<std::string> certfps;  // TLS client-certificate fingerprints (SASL EXTERNAL)
};

// A registered channel: what survives a restart.
struct channel {
  std::string name;     // as registered
  std::string founder;  // account
  std::int64_t registered_ms = 0;
  std::string topic;
  std::string topic_by;
  std::int64_t topic_at_ms = 0;
  std::string modes;  // e.g. "+nt" (no key or limit arguments)
  friend bool operator==(const channel&, const channel&) = default;
};

// Why a request failed.
enum class errc : std::uint8_t {
  unavailable,  // no database (memory only, or it failed): chat goes on without
  not_found,    // no such account (or channel)
  exists,       // the name is taken
  failed,       // the database refused the change (full, read-only, ...)
  limit,        // the account has as many as it may (kMaxCertsPerAccount)
};
std::string_view describe(errc e) noexcept;

// What the store has done, for metrics and tests. A snapshot.
struct stats {
  std::uint64_t queued = 0;     // history rows taken
  std::uint64_t committed = 0;  // history rows on disk
  std::uint64_t dropped = 0;    // history rows lost: queue full, or the database failed for good
  std::uint64_t commits = 0;    // transactions
  std::uint64_t failures = 0;   // transactions that failed
  std::size_t pending = 0;      // rows waiting now
  bool healthy = true;          // false while the database fails
  std::string last_error;       // what failed last, as SQLite (or Redis) says it
};

struct options {
  std::filesystem::path dir;  // created if missing
  // Retention; zero: keep for ever / no limit.
  std::chrono::milliseconds max_age{0};
  std::size_t max_per_target = 0;
  // The most bytes the database may take (PRAGMA max_page_count); past it
  // writes fail as a full disk would. Zero: no limit.
  std::uint64_t max_bytes = 0;
  std::chrono::milliseconds commit_interval = kCommitInterval;
  std::chrono::milliseconds retention_interval = kRetentionInterval;
  std::chrono::milliseconds retry_interval = kRetryInterval;
};

// A store in Redis, shared by the nodes of a cluster (docs/ARCHITECTURE.md
// has its key layout). The same retention and intervals as options.
struct redis_options {
  std::string url;  // redis://[user:pass@]host:port[/db], rediss:// for TLS
  std::chrono::milliseconds max_age{0};
  std::size_t max_per_target = 0;
  std::chrono::milliseconds commit_interval = kCommitInterval;
  std::chrono::milliseconds retention_interval = kRetentionInterval;
  std::chrono::milliseconds retry_interval = kRetryInterval;
  bool tls_verify = true;   // rediss:// only
  std::string tls_ca_file;  // rediss:// only; empty: the system's roots
};

class backend;

template <class T>
using result = tl::expected<T, errc>;
template <class T>
using callback = std::function<void(result<T>)>;

// Thread-safe: every member may be called from any thread. Callbacks run on
// one of the store's two threads and must not block.
class store {
 public:
  // Opens (creating the directory and the file, and migrating the schema)
  // or says why it could not (logged by the caller): a corrupt or
  // unreadable file, a newer schema, a directory that cannot be made.
  static tl::expected<std::unique_ptr<store>, std::string> open(const options& o);
  // Opens a store in Redis, or says why not (a URL that does not parse).
  // Redis need not be up yet: the store connects (and reconnects) in the
  // background, and until it is there reads answer errc::unavailable and
  // lines queue (up to kMaxPendingRows), as while it is down later.
  static tl::expected<std::unique_ptr<store>, std::string> open_redis(const redis_options& o);
  ~store();  // close()
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // History. Never blocks: queued for the next group commit; dropped (and
  // counted) past kMaxPendingRows.
  void append(line l);

  // Reads. A read sees every line appended before it was asked (it waits
  // for that commit, at most about a commit interval), on the reader's own
  // connection, so reads never wait for writes to the disk.
  void history(query q, callback<std::vector<line>> done);
  void targets(targets_query q, callback<std::vector<target_entry>> done);
  // The line with this msgid, if it is kept under `target`.
  void find(std::string target, std::string msgid, callback<std::optional<line>> done);

  // Accounts. Changes are answered once committed. Names are compared
  // folded (protocol::fold_nick).
  void create_account(account a, callback<void> done);  // errc::exists if taken
  void find_account(std::string name, callback<account> done);
  void find_account_by_cert(std::string fingerprint, callback<account> done);
  void set_credential(std::string name, protocol::sasl::scram_credential c, callback<void> done);
  void set_email(std::string name, std::string email, callback<void> done);
  // exists: someone else's already; limit: the account has
  // kMaxCertsPerAccount (one it has already is fine). Fingerprints are hex,
  // compared without case.
  void add_cert(std::string name, std::string fingerprint, callback<void> done);
  void del_cert(std::string name, std::string fingerprint, callback<void> done);
  void drop_account(std::string name, callback<void> done);  // its channels and certificates go too
  void list_accounts(callback<std::vector<account>> done);

  // Registered channels. save_channel inserts or replaces.
  void save_channel(channel c, callback<void> done);
  void drop_channel(std::string name, callback<void> done);
  void list_channels(callback<std::vector<channel>> done);

  // draft/read-marker: the time up to which `account` has read `target`;
  // set only moves it forward and answers the time kept; past
  // kMaxReadMarkers the account's marker furthest back is forgotten.
  void set_read_marker(std::string account, std::string target, std::int64_t at_ms,
                       callback<std::int64_t> done);
  void read_marker(std::string account, std::string target, callback<std::optional<std::int64_t>> done);
  // Every read marker of `account` (at most kMaxReadMarkers), by target.
  void read_markers(std::string account, callback<std::vector<read_mark>> done);

  // Runs retention now (tests; otherwise every retention_interval).
  void expire_now(callback<std::size_t> done);  // how many lines went

  // Commits everything queued and waits for it (SIGTERM). Thread-safe.
  void flush();
  // flush(), then stops both threads; later calls answer errc::unavailable.
  void close();

  [[nodiscard]] stats snapshot() const;
  // The SQLite file; empty for a store in Redis.
  [[nodiscard]] const std::filesystem::path& file() const noexcept;
  // Where the data is, for the log: the file, or Redis's host:port.
  [[nodiscard]] std::string where() const;

 private:
  explicit store(std::unique_ptr<backend> b);
  std::unique_ptr<backend> impl_;
};

// For the offline admin command and tests: starts a request with a
// callback and waits for its answer.
template <class T>
result<T> wait(const std::function<void(callback<T>)>& start);

}  // namespace store

#include "store/wait.hpp"  // wait()'s definition
