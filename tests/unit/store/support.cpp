// The store tests' shared helpers (see support.hpp).
#include "support.hpp"

#include <stdlib.h>

#include <stdexcept>
#include <thread>
#include <utility>

#include <catch2/catch.hpp>

namespace store_test {

temp_dir::temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "chat-store-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  // A test may have taken write permission away: give it back first.
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add,
                               ec);
  for (const auto& e : std::filesystem::directory_iterator(path_, ec)) {
    std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
  }
  std::filesystem::remove_all(path_, ec);
}

store::options options_for(const std::filesystem::path& dir) {
  using namespace std::chrono_literals;
  store::options o;
  o.dir = dir;
  o.commit_interval = 20ms;
  o.retry_interval = 100ms;
  o.retention_interval = 1h;  // tests call expire_now
  return o;
}

std::unique_ptr<store::store> open_store(const store::options& o) {
  auto s = store::store::open(o);
  if (!s) FAIL("open: " << s.error());
  return std::move(*s);
}

fixture::fixture(backend b) : kind_(b) {
  if (b == backend::redis) redis_.emplace();
}

store::options fixture::options() const {
  return options_for(dir_.path());
}

store::redis_options fixture::redis_options(const store::options& o) const {
  store::redis_options r;
  r.url = redis_ ? redis_->url() : std::string();
  r.max_age = o.max_age;
  r.max_per_target = o.max_per_target;
  r.commit_interval = o.commit_interval;
  r.retention_interval = o.retention_interval;
  r.retry_interval = o.retry_interval;
  return r;
}

std::unique_ptr<store::store> fixture::open(const store::options& o) {
  if (kind_ == backend::sqlite) return open_store(o);
  auto s = store::store::open_redis(redis_options(o));
  if (!s) FAIL("open_redis: " << s.error());
  return std::move(*s);
}

store::line make_line(const std::string& target, const std::string& msgid, std::int64_t at_ms,
                      const std::string& text) {
  store::line l;
  l.target = target;
  l.msgid = msgid;
  l.at_ms = at_ms;
  l.source = "alice!~alice@example.org";
  l.account = "alice";
  l.to = target;
  l.text = text;
  return l;
}

store::result<std::vector<store::line>> try_history(store::store& s, const store::query& q) {
  return store::wait<std::vector<store::line>>(
      [&](store::callback<std::vector<store::line>> cb) { s.history(q, std::move(cb)); });
}

std::vector<store::line> history(store::store& s, const store::query& q) {
  auto r = try_history(s, q);
  if (!r) FAIL("history: " << store::describe(r.error()));
  return *r;
}

std::vector<std::string> msgids(const std::vector<store::line>& lines) {
  std::vector<std::string> out;
  out.reserve(lines.size());
  for (const auto& l : lines) out.push_back(l.msgid);
  return out;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

log_capture::log_capture()
    : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10'000)), old_(spdlog::default_logger()) {
  auto logger = std::make_shared<spdlog::logger>("store-test", sink_);
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

log_capture::~log_capture() {
  spdlog::set_default_logger(old_);
}

std::vector<std::string> log_capture::all() const {
  return sink_->last_formatted();
}

std::vector<std::string> log_capture::errors() const {
  std::vector<std::string> out;
  for (auto& l : all()) {
    if (l.find("[error]") != std::string::npos) out.push_back(l);
  }
  return out;
}

raw_db::raw_db(const std::filesystem::path& file) {
  if (sqlite3_open(file.string().c_str(), &h_) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(h_));
}

raw_db::~raw_db() {
  sqlite3_close(h_);
}

int raw_db::exec(const std::string& sql) {
  return sqlite3_exec(h_, sql.c_str(), nullptr, nullptr, nullptr);
}

std::int64_t raw_db::query_int(const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(h_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
    throw std::runtime_error(sqlite3_errmsg(h_));
  std::int64_t v = -1;
  if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

}  // namespace store_test
