// The Redis backend's accounts, certificates, registered channels and read
// markers. Every change is one EVAL (atomic, and in the order asked).
// Under kPrefix:
//   acct:F        hash: name, email, created, salt, iterations, stored_key, server_key
//   acct:F:certs  set of its fingerprints;  certs  hash fingerprint -> F
//   acct:F:chans  set of the channels it founded
//   acct:F:marks  sorted set: target -> read marker time
//   accounts      set of every F;  channels  hash folded name -> encoded channel
//   chanfounder   hash folded channel name -> F
// (F: the folded account name.)
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "protocol/nick.hpp"
#include "store/accounts.hpp"  // fold_fingerprint
#include "store/redis_backend.hpp"
#include "store/redis_codec.hpp"
#include "store/redis_scripts.hpp"

namespace store {

namespace {

using namespace redis_codec;
using namespace redis_scripts;
using protocol::fold_nick;

std::string acct(std::string_view folded, std::string_view part = {}) {
  std::string k = key("acct:");
  k.append(folded);
  if (!part.empty()) k.append(":").append(part);
  return k;
}

std::vector<std::string> eval(std::string_view script, std::vector<std::string> keys,
                              std::vector<std::string> args) {
  std::vector<std::string> out{"EVAL", std::string(script), std::to_string(keys.size())};
  out.insert(out.end(), std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
  out.insert(out.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  return out;
}

result<void> verdict(const redis::reply& r) {
  const std::string_view s = r.as_string();
  if (s == "ok") return {};
  if (s == "exists") return tl::unexpected(errc::exists);
  if (s == "not_found") return tl::unexpected(errc::not_found);
  if (s == "limit") return tl::unexpected(errc::limit);
  return tl::unexpected(errc::failed);
}

std::vector<std::string> credential_fields(const protocol::sasl::scram_credential& c) {
  return {"salt",       c.salt,       "iterations", std::to_string(c.iterations),
          "stored_key", c.stored_key, "server_key", c.server_key};
}

}  // namespace

asio::awaitable<void> redis_backend::do_change(std::vector<std::string> cmd, callback<void> done) {
  auto r = co_await call(std::move(cmd));
  if (!done) co_return;
  if (!r) {
    done(tl::unexpected(r.error()));
  } else {
    done(verdict(*r));
  }
}

void redis_backend::create_account(account a, callback<void> done) {
  const std::string f = fold_nick(a.name);
  std::set<std::string> fps;
  for (const auto& fp : a.certfps) fps.insert(accounts::fold_fingerprint(fp));
  std::vector<std::string> args{std::string(kPrefix),
                                f,
                                a.name,
                                a.email,
                                std::to_string(a.created_ms),
                                a.credential.salt,
                                std::to_string(a.credential.iterations),
                                a.credential.stored_key,
                                a.credential.server_key,
                                std::to_string(kMaxCertsPerAccount)};
  args.insert(args.end(), fps.begin(), fps.end());
  auto cmd = eval(kCreateScript, {}, std::move(args));
  run<void>(std::move(done), [&](callback<void> d) { return do_change(std::move(cmd), std::move(d)); });
}

void redis_backend::set_credential(std::string name, protocol::sasl::scram_credential c,
                                   callback<void> done) {
  auto cmd = eval(kUpdateScript, {acct(fold_nick(name))}, credential_fields(c));
  run<void>(std::move(done), [&](callback<void> d) { return do_change(std::move(cmd), std::move(d)); });
}

void redis_backend::set_email(std::string name, std::string email, callback<void> done) {
  auto cmd = eval(kUpdateScript, {acct(fold_nick(name))}, {"email", std::move(email)});
  run<void>(std::move(done), [&](callback<void> d) { return do_change(std::move(cmd), std::move(d)); });
}

void redis_backend::add_cert(std::string name, std::string fingerprint, callback<void> done) {
  const std::string f = fold_nick(name);
  auto cmd = eval(kAddCertScript, {acct(f), key("certs"), acct(f, "certs")},
                  {accounts::fold_fingerprint(fingerprint), f, std::to_string(kMaxCertsPerAccount)});
  run<void>(std::move(done), [&](callback<void> d) { return do_change(std::move(cmd), std::move(d)); });
}

void redis_backend::del_cert(std::string name, std::string fingerprint, callback<void> done) {
  const std::string f = fold_nick(name);
  auto cmd =
      eval(kDelCertScript, {key("certs"), acct(f, "certs")}, {accounts::fold_fingerprint(fingerprint), f});
  run<void>(std::move(done), [&](callback<void> d) { return do_change(std::move(cmd), std::move(d)); });
}

void redis_backend::drop_account(std::string name, callback<void> done) {
  auto cmd = eval(kDropScript, {}, {std::string(kPrefix), fold_nick(name)});
  run<void>(std::move(done), [&](callback<void> d) { return do_change(std::move(cmd), std::move(d)); });
}

void redis_backend::save_channel(channel c, callback<void> done) {
  const std::string founder = fold_nick(c.founder);
  auto cmd = eval(kSaveChannelScript, {},
                  {std::string(kPrefix), fold_nick(c.name), encode_channel(c, founder), founder});
  run<void>(std::move(done), [&](callback<void> d) { return do_change(std::move(cmd), std::move(d)); });
}

void redis_backend::drop_channel(std::string name, callback<void> done) {
  auto cmd = eval(kDropChannelScript, {}, {std::string(kPrefix), fold_nick(name)});
  run<void>(std::move(done), [&](callback<void> d) { return do_change(std::move(cmd), std::move(d)); });
}

asio::awaitable<tl::expected<account, errc>> redis_backend::load_account(std::string folded) {
  auto c1 = cmd("HGETALL", acct(folded));
  auto h = co_await call(std::move(c1));
  if (!h) co_return tl::unexpected(h.error());
  std::map<std::string, std::string> f;
  for (std::size_t i = 0; i + 1 < h->elements.size(); i += 2) f[h->elements[i].str] = h->elements[i + 1].str;
  if (f.empty()) co_return tl::unexpected(errc::not_found);
  const auto created = parse_int(f["created"]);
  const auto iterations = parse_int(f["iterations"]);
  if (f["name"].empty() || !created || !iterations || *iterations <= 0 || *iterations > 0xFFFFFFFFLL) {
    spdlog::warn("store {}: the account {} is not readable: ignored", where(), folded);
    co_return tl::unexpected(errc::not_found);
  }
  account a;
  a.name = f["name"];
  a.email = f["email"];
  a.created_ms = *created;
  a.credential.salt = f["salt"];
  a.credential.iterations = static_cast<std::uint32_t>(*iterations);
  a.credential.stored_key = f["stored_key"];
  a.credential.server_key = f["server_key"];
  auto c2 = cmd("SMEMBERS", acct(folded, "certs"));
  auto certs = co_await call(std::move(c2));
  if (!certs) co_return tl::unexpected(certs.error());
  for (const auto& c : certs->elements) a.certfps.push_back(c.str);
  std::sort(a.certfps.begin(), a.certfps.end());
  co_return a;
}

void redis_backend::find_account(std::string name, callback<account> done) {
  run<account>(std::move(done),
               [&](callback<account> d) { return do_find_account(std::move(name), std::move(d)); });
}

asio::awaitable<void> redis_backend::do_find_account(std::string name, callback<account> done) {
  auto a = co_await load_account(fold_nick(name));
  if (done) done(std::move(a));
}

void redis_backend::find_account_by_cert(std::string fingerprint, callback<account> done) {
  run<account>(std::move(done),
               [&](callback<account> d) { return do_find_by_cert(std::move(fingerprint), std::move(d)); });
}

asio::awaitable<void> redis_backend::do_find_by_cert(std::string fingerprint, callback<account> done) {
  auto c3 = cmd("HGET", key("certs"), accounts::fold_fingerprint(fingerprint));
  auto owner = co_await call(std::move(c3));
  if (!owner) {
    if (done) done(tl::unexpected(owner.error()));
    co_return;
  }
  if (!owner->is_string()) {
    if (done) done(tl::unexpected(errc::not_found));
    co_return;
  }
  auto a = co_await load_account(owner->str);
  if (done) done(std::move(a));
}

void redis_backend::list_accounts(callback<std::vector<account>> done) {
  run<std::vector<account>>(std::move(done),
                            [&](callback<std::vector<account>> d) { return do_list_accounts(std::move(d)); });
}

asio::awaitable<void> redis_backend::do_list_accounts(callback<std::vector<account>> done) {
  auto names = co_await members_of(key("accounts"));  // sorted: by folded name, as SQLite lists them
  if (!names) {
    if (done) done(tl::unexpected(names.error()));
    co_return;
  }
  std::vector<account> out;
  for (const auto& f : *names) {
    auto a = co_await load_account(f);
    if (a) {
      out.push_back(std::move(*a));
    } else if (a.error() != errc::not_found) {
      if (done) done(tl::unexpected(a.error()));
      co_return;
    }
  }
  if (done) done(std::move(out));
}

void redis_backend::list_channels(callback<std::vector<channel>> done) {
  run<std::vector<channel>>(std::move(done),
                            [&](callback<std::vector<channel>> d) { return do_list_channels(std::move(d)); });
}

asio::awaitable<void> redis_backend::do_list_channels(callback<std::vector<channel>> done) {
  auto c4 = cmd("HGETALL", key("channels"));
  auto all = co_await call(std::move(c4));
  if (!all) {
    if (done) done(tl::unexpected(all.error()));
    co_return;
  }
  std::map<std::string, channel> by_name;       // folded: the order SQLite lists them in
  std::map<std::string, std::string> founders;  // F -> the account's name
  for (std::size_t i = 0; i + 1 < all->elements.size(); i += 2) {
    auto c = decode_channel(all->elements[i + 1].str);
    if (!c) {
      spdlog::warn("store {}: the registered channel {} is not readable: ignored", where(),
                   all->elements[i].str);
      continue;
    }
    founders.emplace(c->founder, std::string());
    by_name.emplace(all->elements[i].str, std::move(*c));
  }
  for (auto& [f, name] : founders) {
    auto c5 = cmd("HGET", acct(f), "name");
    auto n = co_await call(std::move(c5));
    if (!n) {
      if (done) done(tl::unexpected(n.error()));
      co_return;
    }
    if (n->is_string()) name = n->str;
  }
  std::vector<channel> out;
  for (auto& [folded, c] : by_name) {
    const auto& name = founders[c.founder];
    if (name.empty()) continue;  // its founder is gone
    c.founder = name;
    out.push_back(std::move(c));
  }
  if (done) done(std::move(out));
}

void redis_backend::set_read_marker(std::string account, std::string target, std::int64_t at_ms,
                                    callback<std::int64_t> done) {
  const std::string f = fold_nick(account);
  auto cmd = eval(kSetMarkerScript, {acct(f), acct(f, "marks")},
                  {fold_nick(target), std::to_string(at_ms), std::to_string(kMaxReadMarkers)});
  run<std::int64_t>(std::move(done),
                    [&](callback<std::int64_t> d) { return do_set_marker(std::move(cmd), std::move(d)); });
}

asio::awaitable<void> redis_backend::do_set_marker(std::vector<std::string> cmd,
                                                   callback<std::int64_t> done) {
  auto r = co_await call(std::move(cmd));
  if (!done) co_return;
  if (!r) {
    done(tl::unexpected(r.error()));
  } else if (r->is_nil()) {
    done(tl::unexpected(errc::not_found));
  } else if (auto at = parse_score(r->str)) {
    done(*at);
  } else {
    done(tl::unexpected(errc::failed));
  }
}

void redis_backend::read_marker(std::string account, std::string target,
                                callback<std::optional<std::int64_t>> done) {
  run<std::optional<std::int64_t>>(std::move(done), [&](callback<std::optional<std::int64_t>> d) {
    return do_marker(std::move(account), std::move(target), std::move(d));
  });
}

asio::awaitable<void> redis_backend::do_marker(std::string account, std::string target,
                                               callback<std::optional<std::int64_t>> done) {
  auto c6 = cmd("ZSCORE", acct(fold_nick(account), "marks"), fold_nick(target));
  auto r = co_await call(std::move(c6));
  if (!done) co_return;
  if (!r) {
    done(tl::unexpected(r.error()));
  } else if (r->is_nil()) {
    done(std::optional<std::int64_t>());
  } else {
    done(parse_score(r->str));
  }
}

void redis_backend::read_markers(std::string account, callback<std::vector<read_mark>> done) {
  run<std::vector<read_mark>>(std::move(done), [&](callback<std::vector<read_mark>> d) {
    return do_markers(std::move(account), std::move(d));
  });
}

asio::awaitable<void> redis_backend::do_markers(std::string account, callback<std::vector<read_mark>> done) {
  auto c7 = cmd("ZRANGE", acct(fold_nick(account), "marks"), "0", "-1", "WITHSCORES");
  auto r = co_await call(std::move(c7));
  if (!done) co_return;
  if (!r) {
    done(tl::unexpected(r.error()));
    co_return;
  }
  std::vector<read_mark> out;
  for (std::size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    if (auto at = parse_score(r->elements[i + 1].str)) out.push_back(read_mark{r->elements[i].str, *at});
  }
  std::sort(out.begin(), out.end(),
            [](const read_mark& a, const read_mark& b) { return a.target < b.target; });
  done(std::move(out));
}

}  // namespace store
