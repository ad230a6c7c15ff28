// The Redis backend's history: the append script (one EVAL per group of
// lines), CHATHISTORY ranges on each target's sorted sets, TARGETS, find,
// and retention's bounded trims. Each target T has, under kPrefix:
//   t:T:all   sorted set of members (at, id) of every line (lex order)
//   t:T:msg   the same for messages only (events=false reads it)
//   t:T:lines hash member -> the encoded line
//   t:T:ids   hash msgid -> member
// and targets (set of T), conv:I (sorted set: I's private keys by latest),
// peer:I (hash: private key -> the peer's nick as last written), idents.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <set>
#include <tuple>

#include "protocol/nick.hpp"
#include "store/history.hpp"
#include "store/redis_backend.hpp"
#include "store/redis_codec.hpp"
#include "store/redis_scripts.hpp"

namespace store {

namespace {

using namespace redis_codec;
using namespace redis_scripts;
template <class T>
using maybe = tl::expected<T, errc>;

constexpr std::int64_t kMaxTime = std::numeric_limits<std::int64_t>::max();

std::size_t clamp_limit(std::size_t n) {
  return std::clamp<std::size_t>(n, 1, kMaxQueryLimit);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A bound resolved: none, a time, or a line's member (from its msgid).
struct resolved {
  bool none = true;
  bool by_msgid = false;
  std::int64_t at = 0;
  std::string member;
  // Exclusive bounds in the sets' lex order: a time as a lower bound sits
  // after every line of that millisecond, as an upper bound before them
  // ("g" sorts after every hex digit).
  [[nodiscard]] std::string lower() const {
    return none ? "-" : by_msgid ? "(" + member : "(" + at_key(at) + "g";
  }
  [[nodiscard]] std::string upper() const { return none ? "+" : "(" + (by_msgid ? member : at_key(at)); }
  // Inclusive from the bound on (AROUND's second half).
  [[nodiscard]] std::string from() const { return "[" + (by_msgid ? member : at_key(at)); }
};

}  // namespace

std::vector<std::string> redis_backend::append_command(const std::deque<std::pair<std::uint64_t, line>>& held,
                                                       std::size_t n) {
  std::vector<std::string> args;
  args.reserve(5 + 5 * n);
  args.emplace_back("EVAL");
  args.emplace_back(kAppendScript);
  args.emplace_back("0");
  args.emplace_back(kPrefix);
  args.push_back(std::to_string(n));
  history::conversations convs;
  for (std::size_t i = 0; i < n; ++i) {
    const line& l = held[i].second;
    args.push_back(l.target);
    args.push_back(l.msgid);
    args.push_back(at_key(l.at_ms));
    args.push_back(std::to_string(static_cast<int>(l.kind)));
    args.push_back(encode_line(l));
    convs.note(l);
  }
  std::vector<std::string> rows;
  std::size_t count = 0;
  convs.for_each(
      [&](const std::string& identity, const std::string& key, const std::string& peer, std::int64_t latest) {
        rows.push_back(identity);
        rows.push_back(key);
        rows.push_back(peer);
        rows.push_back(std::to_string(latest));
        ++count;
      });
  args.push_back(std::to_string(count));
  std::move(rows.begin(), rows.end(), std::back_inserter(args));
  return args;
}

void redis_backend::history(query q, callback<std::vector<line>> done) {
  q.target = protocol::fold_nick(q.target);
  const std::uint64_t seq = current_seq();
  run<std::vector<line>>(std::move(done), [&](callback<std::vector<line>> d) {
    return do_history(seq, std::move(q), std::move(d));
  });
}

asio::awaitable<void> redis_backend::do_history(std::uint64_t seq, query q,
                                                callback<std::vector<line>> done) {
  co_await caught_up(seq);
  auto r = co_await run_query(q);
  if (done) done(r);
}

asio::awaitable<maybe<std::vector<line>>> redis_backend::range(const std::string& target, std::string lo,
                                                               std::string hi, std::size_t limit, bool newest,
                                                               bool events) {
  std::vector<std::string> args{newest ? "ZREVRANGEBYLEX" : "ZRANGEBYLEX",
                                target_key(target, events ? "all" : "msg"),
                                newest ? std::move(hi) : std::move(lo),
                                newest ? std::move(lo) : std::move(hi),
                                "LIMIT",
                                "0",
                                std::to_string(limit)};
  auto ms = co_await call(std::move(args));
  if (!ms) co_return tl::unexpected(ms.error());
  std::vector<line> out;
  if (!ms->is_array() || ms->elements.empty()) co_return out;
  std::vector<std::string> get{"HMGET", target_key(target, "lines")};
  for (auto& m : ms->elements) get.push_back(std::move(m.str));
  auto vs = co_await call(std::move(get));
  if (!vs) co_return tl::unexpected(vs.error());
  std::size_t bad = 0;
  for (const auto& v : vs->elements) {
    if (v.is_nil()) continue;  // trimmed meanwhile
    auto l = decode_line(v.str);
    if (!l) {
      ++bad;
      continue;
    }
    out.push_back(std::move(*l));
  }
  if (bad > 0)
    spdlog::warn("store {}: {} history lines of {} are not readable: skipped", where(), bad, target);
  if (newest) std::reverse(out.begin(), out.end());
  co_return out;
}

asio::awaitable<maybe<std::vector<line>>> redis_backend::run_query(const query& q) {
  const std::size_t limit = clamp_limit(q.limit);
  const auto resolve = [&](const bound& b) -> asio::awaitable<maybe<std::optional<resolved>>> {
    if (b.none) co_return std::optional<resolved>(resolved{});
    if (b.msgid.empty()) co_return std::optional<resolved>(resolved{false, false, b.at_ms, {}});
    auto c1 = cmd("HGET", target_key(q.target, "ids"), b.msgid);
    auto m = co_await call(std::move(c1));
    if (!m) co_return tl::unexpected(m.error());
    if (!m->is_string()) co_return std::optional<resolved>();  // unknown here: no lines, not an error
    const auto at = at_of(m->str);
    if (!at || m->str.size() != kMemberDigits) co_return std::optional<resolved>();
    co_return std::optional<resolved>(resolved{false, true, *at, m->str});
  };
  auto a = co_await resolve(q.a);
  if (!a) co_return tl::unexpected(a.error());
  if (!*a) co_return std::vector<line>();
  const resolved ra = **a;
  const resolved all{};

  switch (q.what) {
    case query::kind::latest:
      co_return co_await range(q.target, ra.lower(), all.upper(), limit, true, q.events);
    case query::kind::before:
      co_return co_await range(q.target, all.lower(), ra.upper(), limit, true, q.events);
    case query::kind::after:
      co_return co_await range(q.target, ra.lower(), all.upper(), limit, false, q.events);
    case query::kind::between: {
      auto b = co_await resolve(q.b);
      if (!b) co_return tl::unexpected(b.error());
      if (!*b) co_return std::vector<line>();
      const resolved rb = **b;
      bool forward = ra.none || rb.none || ra.at < rb.at;
      if (!ra.none && !rb.none && ra.at == rb.at)
        forward = !(ra.by_msgid && rb.by_msgid) || ra.member < rb.member;
      if (forward) co_return co_await range(q.target, ra.lower(), rb.upper(), limit, false, q.events);
      co_return co_await range(q.target, rb.lower(), ra.upper(), limit, true, q.events);
    }
    case query::kind::around: {
      if (ra.none) co_return co_await range(q.target, all.lower(), all.upper(), limit, true, q.events);
      auto before = co_await range(q.target, all.lower(), ra.upper(), limit, true, q.events);
      if (!before) co_return before;
      auto after = co_await range(q.target, ra.from(), all.upper(), limit, false, q.events);
      if (!after) co_return after;
      co_return history::merge_around(std::move(*before), std::move(*after), limit);
    }
  }
  co_return std::vector<line>();
}

asio::awaitable<maybe<std::optional<std::int64_t>>> redis_backend::latest_in(const std::string& target,
                                                                             std::int64_t lo,
                                                                             std::int64_t hi) {
  auto c2 = cmd("ZREVRANGEBYLEX", target_key(target, "msg"), "(" + at_key(hi), "(" + at_key(lo) + "g",
                "LIMIT", "0", "1");
  auto r = co_await call(std::move(c2));
  if (!r) co_return tl::unexpected(r.error());
  if (!r->is_array() || r->elements.empty()) co_return std::optional<std::int64_t>();
  co_return at_of(r->elements.front().str);
}

void redis_backend::targets(targets_query q, callback<std::vector<target_entry>> done) {
  q.identity = protocol::fold_nick(q.identity);
  for (auto& c : q.channels) c = protocol::fold_nick(c);
  const std::uint64_t seq = current_seq();
  run<std::vector<target_entry>>(std::move(done), [&](callback<std::vector<target_entry>> d) {
    return do_targets(seq, std::move(q), std::move(d));
  });
}

asio::awaitable<void> redis_backend::do_targets(std::uint64_t seq, targets_query q,
                                                callback<std::vector<target_entry>> done) {
  co_await caught_up(seq);
  const std::int64_t lo = std::min(q.from_ms, q.to_ms);
  const std::int64_t hi = std::max(q.from_ms, q.to_ms);
  std::vector<target_entry> found;
  const auto fail = [&](errc e) {
    if (done) done(tl::unexpected(e));
  };

  std::vector<std::string> channels = q.channels;
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  for (const auto& c : channels) {
    auto at = co_await latest_in(c, lo, hi);
    if (!at) co_return fail(at.error());
    if (*at) found.push_back(target_entry{c, **at});
  }

  // The identity's conversations whose latest line is after the window's
  // start; each then says when its latest line inside the window was.
  auto c3 = cmd("ZRANGEBYSCORE", key("conv:") + q.identity, fmt::format("({}", lo), "+inf");
  auto keys = co_await call(std::move(c3));
  if (!keys) co_return fail(keys.error());
  if (keys->is_array() && !keys->elements.empty()) {
    std::vector<std::string> get{"HMGET", key("peer:") + q.identity};
    for (const auto& k : keys->elements) get.push_back(k.str);
    auto peers = co_await call(std::move(get));
    if (!peers) co_return fail(peers.error());
    for (std::size_t i = 0; i < keys->elements.size() && i < peers->elements.size(); ++i) {
      if (!peers->elements[i].is_string()) continue;
      auto at = co_await latest_in(keys->elements[i].str, lo, hi);
      if (!at) co_return fail(at.error());
      if (*at) found.push_back(target_entry{peers->elements[i].str, **at});
    }
  }

  std::sort(found.begin(), found.end(), [](const target_entry& x, const target_entry& y) {
    return std::tie(x.latest_ms, x.name) < std::tie(y.latest_ms, y.name);
  });
  const std::size_t limit = clamp_limit(q.limit);
  if (found.size() > limit) {
    if (q.from_ms <= q.to_ms) {
      found.resize(limit);
    } else {
      found.erase(found.begin(), found.end() - static_cast<std::ptrdiff_t>(limit));
    }
  }
  if (done) done(std::move(found));
}

void redis_backend::find(std::string target, std::string msgid, callback<std::optional<line>> done) {
  target = protocol::fold_nick(target);
  const std::uint64_t seq = current_seq();
  run<std::optional<line>>(std::move(done), [&](callback<std::optional<line>> d) {
    return do_find(seq, std::move(target), std::move(msgid), std::move(d));
  });
}

asio::awaitable<void> redis_backend::do_find(std::uint64_t seq, std::string target, std::string msgid,
                                             callback<std::optional<line>> done) {
  co_await caught_up(seq);
  auto c4 = cmd("HGET", target_key(target, "ids"), msgid);
  auto m = co_await call(std::move(c4));
  if (!m) {
    if (done) done(tl::unexpected(m.error()));
    co_return;
  }
  std::optional<line> found;
  if (m->is_string()) {
    auto c5 = cmd("HGET", target_key(target, "lines"), m->str);
    auto v = co_await call(std::move(c5));
    if (!v) {
      if (done) done(tl::unexpected(v.error()));
      co_return;
    }
    if (v->is_string()) found = decode_line(v->str);
    if (v->is_string() && !found)
      spdlog::warn("store {}: the line {} of {} is not readable", where(), msgid, target);
  }
  if (done) done(std::move(found));
}

asio::awaitable<maybe<std::vector<std::string>>> redis_backend::members_of(std::string set) {
  std::set<std::string> seen;  // SSCAN may return a member twice
  std::string cursor = "0";
  for (std::size_t step = 0; step < kMaxScanSteps; ++step) {
    auto c6 = cmd("SSCAN", set, cursor, "COUNT", std::to_string(kScanCount));
    auto r = co_await call(std::move(c6));
    if (!r) co_return tl::unexpected(r.error());
    if (!r->is_array() || r->elements.size() != 2) co_return tl::unexpected(errc::failed);
    for (const auto& m : r->elements[1].elements) seen.insert(m.str);
    cursor = r->elements[0].str;
    if (cursor == "0") break;
  }
  co_return std::vector<std::string>(seen.begin(), seen.end());
}

asio::awaitable<maybe<std::size_t>> redis_backend::trim(const std::string& target, bool by_age,
                                                        std::int64_t arg) {
  std::size_t total = 0;
  for (;;) {
    auto c7 =
        cmd("EVAL", std::string(kTrimScript), "0", std::string(kPrefix), target, by_age ? "age" : "keep",
            by_age ? at_key(arg) : std::to_string(arg), std::to_string(history::kRetentionChunk));
    auto r = co_await call(std::move(c7));
    if (!r) co_return tl::unexpected(r.error());
    const auto n = static_cast<std::size_t>(std::max<long long>(0, r->integer));
    total += n;
    if (n < history::kRetentionChunk) co_return total;
  }
}

asio::awaitable<maybe<std::size_t>> redis_backend::expire() {
  std::size_t total = 0;
  // One target's keys holding something else fails that target only: it
  // is logged (call) and the pass goes on; Redis gone ends the pass.
  if (opts_.max_age.count() > 0) {
    // Older than max_age goes: a line exactly max_age old stays.
    const std::int64_t cutoff = now_ms() - opts_.max_age.count();
    auto targets = co_await members_of(key("targets"));
    if (!targets) co_return tl::unexpected(targets.error());
    for (const auto& t : *targets) {
      auto n = co_await trim(t, true, cutoff);
      if (!n && n.error() == errc::unavailable) co_return tl::unexpected(n.error());
      if (n) total += *n;
    }
    auto idents = co_await members_of(key("idents"));
    if (!idents) co_return tl::unexpected(idents.error());
    for (const auto& i : *idents) {
      auto c8 = cmd("EVAL", std::string(kTrimConversationsScript), "0", std::string(kPrefix), i,
                    std::to_string(cutoff));
      auto n = co_await call(std::move(c8));
      if (!n && n.error() == errc::unavailable) co_return tl::unexpected(n.error());
    }
  }
  if (opts_.max_per_target > 0) {
    std::set<std::string> targets;
    targets.swap(touched_);
    if (retention_first_) {
      // Every target once after open: other nodes, or an earlier run, wrote them.
      auto all = co_await members_of(key("targets"));
      if (!all) {
        touched_.merge(targets);
        co_return tl::unexpected(all.error());
      }
      targets.insert(all->begin(), all->end());
    }
    for (auto it = targets.begin(); it != targets.end(); ++it) {
      auto n = co_await trim(*it, false,
                             static_cast<std::int64_t>(std::min<std::size_t>(
                                 opts_.max_per_target, static_cast<std::size_t>(kMaxTime))));
      if (!n && n.error() == errc::unavailable) {
        touched_.insert(it, targets.end());  // the next pass does the rest
        co_return tl::unexpected(n.error());
      }
      if (n) total += *n;
    }
    retention_first_ = false;
  }
  co_return total;
}

}  // namespace store
