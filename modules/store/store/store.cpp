// The store's front: describe(), private_key(), opening either backend,
// and store::store's calls, each handed to its backend (backend.hpp).
#include "store/store.hpp"

#include <fmt/format.h>

#include <system_error>
#include <utility>

#include "protocol/nick.hpp"
#include "store/actor.hpp"
#include "store/backend.hpp"
#include "store/history.hpp"
#include "store/redis_backend.hpp"

namespace store {

std::string_view describe(errc e) noexcept {
  switch (e) {
    case errc::unavailable:
      return "no database";
    case errc::not_found:
      return "not found";
    case errc::exists:
      return "already exists";
    case errc::failed:
      return "the database refused the change";
    case errc::limit:
      return "too many";
  }
  return "unknown error";
}

// "\x01" a "\x01" b with a <= b: the same key whichever side writes first.
// \x01 starts no channel name (# or &) and appears in no nick or account
// name, so a key is never a channel's and splits back into its two halves.
std::string private_key(std::string_view a, std::string_view b) {
  std::string x = protocol::fold_nick(a);
  std::string y = protocol::fold_nick(b);
  if (y < x) std::swap(x, y);
  std::string key;
  key.reserve(x.size() + y.size() + 2);
  key.push_back(history::kPrivateMark);
  key.append(x).push_back(history::kPrivateMark);
  key.append(y);
  return key;
}

tl::expected<std::unique_ptr<store>, std::string> store::open(const options& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec)
    return tl::unexpected(
        fmt::format("cannot create the data directory {}: {}", o.dir.string(), ec.message()));
  auto m = std::make_unique<sqlite_backend>(o);
  if (auto ok = m->open_connections(); !ok) return tl::unexpected(ok.error());
  m->start();
  return std::unique_ptr<store>(new store(std::move(m)));
}

tl::expected<std::unique_ptr<store>, std::string> store::open_redis(const redis_options& o) {
  auto m = redis_backend::open(o);
  if (!m) return tl::unexpected(m.error());
  return std::unique_ptr<store>(new store(std::move(*m)));
}

store::store(std::unique_ptr<backend> b) : impl_(std::move(b)) {}

store::~store() {
  close();
}

void store::append(line l) {
  impl_->append(std::move(l));
}

void store::history(query q, callback<std::vector<line>> done) {
  impl_->history(std::move(q), std::move(done));
}

void store::targets(targets_query q, callback<std::vector<target_entry>> done) {
  impl_->targets(std::move(q), std::move(done));
}

void store::find(std::string target, std::string msgid, callback<std::optional<line>> done) {
  impl_->find(std::move(target), std::move(msgid), std::move(done));
}

void store::create_account(account a, callback<void> done) {
  impl_->create_account(std::move(a), std::move(done));
}

void store::find_account(std::string name, callback<account> done) {
  impl_->find_account(std::move(name), std::move(done));
}

void store::find_account_by_cert(std::string fingerprint, callback<account> done) {
  impl_->find_account_by_cert(std::move(fingerprint), std::move(done));
}

void store::set_credential(std::string name, protocol::sasl::scram_credential c, callback<void> done) {
  impl_->set_credential(std::move(name), std::move(c), std::move(done));
}

void store::set_email(std::string name, std::string email, callback<void> done) {
  impl_->set_email(std::move(name), std::move(email), std::move(done));
}

void store::add_cert(std::string name, std::string fingerprint, callback<void> done) {
  impl_->add_cert(std::move(name), std::move(fingerprint), std::move(done));
}

void store::del_cert(std::string name, std::string fingerprint, callback<void> done) {
  impl_->del_cert(std::move(name), std::move(fingerprint), std::move(done));
}

void store::drop_account(std::string name, callback<void> done) {
  impl_->drop_account(std::move(name), std::move(done));
}

void store::list_accounts(callback<std::vector<account>> done) {
  impl_->list_accounts(std::move(done));
}

void store::save_channel(channel c, callback<void> done) {
  impl_->save_channel(std::move(c), std::move(done));
}

void store::drop_channel(std::string name, callback<void> done) {
  impl_->drop_channel(std::move(name), std::move(done));
}

void store::list_channels(callback<std::vector<channel>> done) {
  impl_->list_channels(std::move(done));
}

void store::set_read_marker(std::string account, std::string target, std::int64_t at_ms,
                            callback<std::int64_t> done) {
  impl_->set_read_marker(std::move(account), std::move(target), at_ms, std::move(done));
}

void store::read_marker(std::string account, std::string target, callback<std::optional<std::int64_t>> done) {
  impl_->read_marker(std::move(account), std::move(target), std::move(done));
}

void store::read_markers(std::string account, callback<std::vector<read_mark>> done) {
  impl_->read_markers(std::move(account), std::move(done));
}

void store::expire_now(callback<std::size_t> done) {
  impl_->expire_now(std::move(done));
}

void store::flush() {
  impl_->flush();
}

void store::close() {
  impl_->close();
}

stats store::snapshot() const {
  return impl_->snapshot();
}

const std::filesystem::path& store::file() const noexcept {
  return impl_->file();
}

std::string store::where() const {
  return impl_->where();
}

}  // namespace store
