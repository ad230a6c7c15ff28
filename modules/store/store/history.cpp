// History's SQL. Every CHATHISTORY query is one range of one target's lines
// in (at, id) order on the (target, at) index: bounds become exclusive
// points in that order, so msgid and timestamp bounds share one statement.
#include "store/history.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <tuple>
#include <utility>

#include "protocol/nick.hpp"

namespace store::history {

namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

constexpr std::string_view kColumns = "target, msgid, at, kind, source, account, recipient, text, tags";

std::string select_range(std::string_view order) {
  // Row values keep the two-column comparison on the index (EXPLAIN QUERY
  // PLAN: SEARCH messages USING INDEX messages_by_target (target=? AND at>?
  // AND at<?)), with no sort step in either direction.
  return std::string("SELECT ")
      .append(kColumns)
      .append(
          " FROM messages WHERE target = ?1 AND (at, id) > (?2, ?3) AND (at, id) < (?4, ?5) AND kind <= ?7 "
          "ORDER BY ")
      .append(order)
      .append(" LIMIT ?6");
}

line read_line(const sql::stmt& s) {
  line l;
  l.target = s.text(0);
  l.msgid = s.text(1);
  l.at_ms = s.int64(2);
  const auto kind = s.int64(3);
  l.kind = kind >= 0 && kind <= static_cast<std::int64_t>(line_kind::kick) ? static_cast<line_kind>(kind)
                                                                           : line_kind::privmsg;
  l.source = s.text(4);
  l.account = s.text(5);
  l.to = s.text(6);
  l.text = s.text(7);
  l.tags = s.text(8);
  return l;
}

std::int64_t as_int(std::size_t n) {
  return static_cast<std::int64_t>(std::min<std::size_t>(n, static_cast<std::size_t>(kMax)));
}

std::size_t clamp_limit(std::size_t n) {
  return std::clamp<std::size_t>(n, 1, kMaxQueryLimit);
}

std::string_view nick_of(std::string_view source) {
  return source.substr(0, source.find('!'));
}

}  // namespace

std::vector<line> merge_around(std::vector<line> before, std::vector<line> after, std::size_t limit) {
  std::size_t nb = std::min(before.size(), (limit - 1) / 2);
  const std::size_t na = std::min(after.size(), limit - nb);
  nb = std::min(before.size(), limit - na);
  std::vector<line> out;
  out.reserve(nb + na);
  std::move(before.end() - static_cast<std::ptrdiff_t>(nb), before.end(), std::back_inserter(out));
  std::move(after.begin(), after.begin() + static_cast<std::ptrdiff_t>(na), std::back_inserter(out));
  return out;
}

std::optional<key_halves> split_private_key(std::string_view target) noexcept {
  if (target.empty() || target.front() != kPrivateMark) return std::nullopt;
  const auto second = target.find(kPrivateMark, 1);
  if (second == std::string_view::npos) return std::nullopt;
  return key_halves{target.substr(1, second - 1), target.substr(second + 1)};
}

void conversations::note(const line& l) {
  const auto halves = split_private_key(l.target);
  if (!halves) return;
  const std::string_view nick = nick_of(l.source);
  const std::string sender = protocol::fold_nick(l.account.empty() ? nick : std::string_view(l.account));
  // Each side sees the other: the sender sees the nick it wrote to, the
  // recipient the sender's nick. If the line's sender is neither half (an
  // account logged out mid-conversation), the half the line was sent to
  // is the recipient.
  const auto side = [&](std::string_view self, std::string_view other) {
    bool from_self = self == sender;
    if (!from_self && other != sender) from_self = protocol::fold_nick(l.to) != self;
    put(self, l.target, from_self ? std::string_view(l.to) : nick, l.at_ms);
  };
  side(halves->a, halves->b);
  if (halves->b != halves->a) side(halves->b, halves->a);
}

void conversations::put(std::string_view identity, std::string_view key, std::string_view peer,
                        std::int64_t at) {
  std::string k;
  k.reserve(identity.size() + 1 + key.size());
  k.append(identity).push_back('\0');
  k.append(key);
  auto [it, fresh] = rows_.try_emplace(std::move(k));
  row& r = it->second;
  if (fresh) {
    r.identity = identity;
    r.key = key;
  }
  // The peer as last written: a later line renames it (ties: the later one).
  if (fresh || at >= r.latest) {
    r.peer = peer;
    r.latest = at;
  }
}

sql::expected<writer> writer::prepare(sql::db& db) {
  writer w;
  const auto p = [&](sql::stmt& s, std::string_view text) -> sql::expected<void> {
    auto r = db.prepare(text);
    if (!r) return tl::unexpected(r.error());
    s = std::move(*r);
    return {};
  };
  auto ok =
      p(w.insert_,
        "INSERT INTO messages(target, msgid, at, kind, source, account, recipient, text, tags) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
          .and_then([&] {
            return p(
                w.upsert_,
                "INSERT INTO conversations(identity, key, peer, latest) VALUES(?1, ?2, ?3, ?4) "
                "ON CONFLICT(identity, key) DO UPDATE SET peer = excluded.peer, latest = excluded.latest "
                "WHERE excluded.latest >= conversations.latest");
          })
          .and_then([&] {
            return p(w.delete_older_,
                     "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE at < ?1 ORDER BY at "
                     "LIMIT ?2)");
          })
          .and_then([&] { return p(w.delete_conversations_, "DELETE FROM conversations WHERE latest < ?1"); })
          .and_then([&] {
            return p(
                w.nth_newest_,
                "SELECT at, id FROM messages WHERE target = ?1 ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?2");
          })
          .and_then([&] {
            return p(w.delete_upto_,
                     "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE target = ?1 "
                     "AND (at, id) <= (?2, ?3) ORDER BY at, id LIMIT ?4)");
          })
          .and_then([&] {
            return p(w.next_target_, "SELECT target FROM messages WHERE target > ?1 ORDER BY target LIMIT 1");
          });
  if (!ok) return tl::unexpected(ok.error());
  return w;
}

sql::expected<void> writer::insert(const line& l) {
  return insert_.bind(1, l.target)
      .bind(2, l.msgid)
      .bind(3, l.at_ms)
      .bind(4, static_cast<std::int64_t>(l.kind))
      .bind(5, l.source)
      .bind(6, l.account)
      .bind(7, l.to)
      .bind(8, l.text)
      .bind(9, l.tags)
      .run();
}

sql::expected<void> writer::upsert(const conversations& c) {
  for (const auto& [k, r] : c.rows_) {
    auto ok = upsert_.bind(1, r.identity).bind(2, r.key).bind(3, r.peer).bind(4, r.latest).run();
    if (!ok) return ok;
  }
  return {};
}

sql::expected<std::size_t> writer::delete_older(std::int64_t cutoff_ms, std::size_t chunk) {
  auto ok = delete_older_.bind(1, cutoff_ms).bind(2, as_int(chunk)).run();
  if (!ok) return tl::unexpected(ok.error());
  return static_cast<std::size_t>(delete_older_.changes());
}

sql::expected<void> writer::delete_conversations_older(std::int64_t cutoff_ms) {
  return delete_conversations_.bind(1, cutoff_ms).run();
}

sql::expected<std::size_t> writer::delete_beyond(const std::string& target, std::size_t keep,
                                                 std::size_t chunk) {
  std::int64_t at = 0;
  std::int64_t id = 0;
  {
    sql::reset_guard g(nth_newest_);
    auto row = nth_newest_.bind(1, target).bind(2, as_int(keep)).step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return 0;  // `keep` lines or fewer
    at = nth_newest_.int64(0);
    id = nth_newest_.int64(1);
  }
  auto ok = delete_upto_.bind(1, target).bind(2, at).bind(3, id).bind(4, as_int(chunk)).run();
  if (!ok) return tl::unexpected(ok.error());
  return static_cast<std::size_t>(delete_upto_.changes());
}

sql::expected<std::optional<std::string>> writer::next_target(const std::string& after) {
  sql::reset_guard g(next_target_);
  auto row = next_target_.bind(1, after).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(next_target_.text(0)));
}

sql::expected<reader> reader::prepare(sql::db& db) {
  reader r;
  const auto p = [&](sql::stmt& s, std::string_view text) -> sql::expected<void> {
    auto st = db.prepare(text);
    if (!st) return tl::unexpected(st.error());
    s = std::move(*st);
    return {};
  };
  const std::string find = std::string("SELECT ").append(kColumns).append(
      " FROM messages WHERE msgid = ?1 AND target = ?2 ORDER BY id LIMIT 1");
  auto ok = p(r.locate_, "SELECT at, id FROM messages WHERE msgid = ?1 AND target = ?2 ORDER BY id LIMIT 1")
                .and_then([&] { return p(r.asc_, select_range("at, id")); })
                .and_then([&] { return p(r.desc_, select_range("at DESC, id DESC")); })
                .and_then([&] { return p(r.find_, find); })
                .and_then([&] {
                  return p(r.conversations_,
                           "SELECT key, peer FROM conversations WHERE identity = ?1 AND latest > ?2");
                })
                .and_then([&] {
                  return p(r.latest_in_,
                           "SELECT at FROM messages WHERE target = ?1 AND at > ?2 AND at < ?3 AND kind <= 3 "
                           "ORDER BY at DESC LIMIT 1");
                });
  if (!ok) return tl::unexpected(ok.error());
  return r;
}

sql::expected<std::optional<reader::point>> reader::locate(const std::string& target,
                                                           const std::string& msgid) {
  sql::reset_guard g(locate_);
  auto row = locate_.bind(1, msgid).bind(2, target).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<point>();
  return std::optional<point>(point{locate_.int64(0), locate_.int64(1)});
}

sql::expected<std::vector<line>> reader::range(const std::string& target, point lo, point hi,
                                               std::size_t limit, bool newest, line_kind last_kind) {
  sql::stmt& s = newest ? desc_ : asc_;
  sql::reset_guard g(s);
  s.bind(1, target)
      .bind(2, lo.at)
      .bind(3, lo.id)
      .bind(4, hi.at)
      .bind(5, hi.id)
      .bind(6, as_int(limit))
      .bind(7, static_cast<std::int64_t>(last_kind));
  std::vector<line> out;
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_line(s));
  }
  // Always oldest first, whichever end the query started from.
  if (newest) std::reverse(out.begin(), out.end());
  return out;
}

sql::expected<std::vector<line>> reader::run(const query& q) {
  const std::size_t limit = clamp_limit(q.limit);
  const line_kind last_kind = q.events ? line_kind::kick : kLastMessageKind;
  constexpr point first{kMin, kMin};
  constexpr point last{kMax, kMax};

  // A bound as a point: a msgid is its line's (at, id); a time t is
  // exclusive on both sides, so as a lower bound it sits after every line
  // of t, as an upper bound before them.
  struct resolved {
    bool none = true;
    bool by_msgid = false;
    point p{0, 0};
    [[nodiscard]] point lower() const { return none ? point{kMin, kMin} : by_msgid ? p : point{p.at, kMax}; }
    [[nodiscard]] point upper() const { return none ? point{kMax, kMax} : by_msgid ? p : point{p.at, kMin}; }
  };
  const auto resolve = [&](const bound& b) -> sql::expected<std::optional<resolved>> {
    if (b.none) return std::optional<resolved>(resolved{});
    if (b.msgid.empty()) return std::optional<resolved>(resolved{false, false, point{b.at_ms, 0}});
    auto p = locate(q.target, b.msgid);
    if (!p) return tl::unexpected(p.error());
    if (!*p) return std::optional<resolved>();  // unknown here: no lines, not an error
    return std::optional<resolved>(resolved{false, true, **p});
  };

  auto a = resolve(q.a);
  if (!a) return tl::unexpected(a.error());
  if (!*a) return std::vector<line>();
  const resolved& ra = **a;

  switch (q.what) {
    case query::kind::latest:
      return range(q.target, ra.lower(), last, limit, true, last_kind);
    case query::kind::before:
      return range(q.target, first, ra.upper(), limit, true, last_kind);
    case query::kind::after:
      return range(q.target, ra.lower(), last, limit, false, last_kind);
    case query::kind::between: {
      auto b = resolve(q.b);
      if (!b) return tl::unexpected(b.error());
      if (!*b) return std::vector<line>();
      const resolved& rb = **b;
      // From a's side: forwards when a is the earlier bound ("*" as a is
      // the beginning, as b the end).
      bool forward = ra.none || rb.none || ra.p.at < rb.p.at;
      if (!ra.none && !rb.none && ra.p.at == rb.p.at)
        forward = !(ra.by_msgid && rb.by_msgid) || ra.p.id < rb.p.id;
      if (forward) return range(q.target, ra.lower(), rb.none ? last : rb.upper(), limit, false, last_kind);
      return range(q.target, rb.lower(), ra.upper(), limit, true, last_kind);
    }
    case query::kind::around: {
      if (ra.none) return range(q.target, first, last, limit, true, last_kind);
      // About half before, the rest from the bound on (a msgid's own line
      // first, as Ergo does); a side with too few lines leaves its share
      // to the other.
      const point from = ra.by_msgid ? point{ra.p.at, ra.p.id - 1} : point{ra.p.at, kMin};
      auto before = range(q.target, first, ra.upper(), limit, true, last_kind);
      if (!before) return before;
      auto after = range(q.target, from, last, limit, false, last_kind);
      if (!after) return after;
      return merge_around(std::move(*before), std::move(*after), limit);
    }
  }
  return std::vector<line>();
}

sql::expected<std::optional<std::int64_t>> reader::latest_in(const std::string& target, std::int64_t lo,
                                                             std::int64_t hi) {
  sql::reset_guard g(latest_in_);
  auto row = latest_in_.bind(1, target).bind(2, lo).bind(3, hi).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(latest_in_.int64(0));
}

sql::expected<std::vector<target_entry>> reader::run(const targets_query& q) {
  const std::int64_t lo = std::min(q.from_ms, q.to_ms);
  const std::int64_t hi = std::max(q.from_ms, q.to_ms);
  std::vector<target_entry> found;

  std::vector<std::string> channels = q.channels;
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  for (const auto& c : channels) {
    auto at = latest_in(c, lo, hi);
    if (!at) return tl::unexpected(at.error());
    if (*at) found.push_back(target_entry{c, **at});
  }

  // The identity's conversations whose latest line is after the window's
  // start; each then says when its latest line inside the window was.
  std::vector<std::pair<std::string, std::string>> candidates;  // key, peer
  {
    sql::reset_guard g(conversations_);
    conversations_.bind(1, q.identity).bind(2, lo);
    for (;;) {
      auto row = conversations_.step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      candidates.emplace_back(conversations_.text(0), conversations_.text(1));
    }
  }
  for (const auto& [key, peer] : candidates) {
    auto at = latest_in(key, lo, hi);
    if (!at) return tl::unexpected(at.error());
    if (*at) found.push_back(target_entry{peer, **at});
  }

  std::sort(found.begin(), found.end(), [](const target_entry& x, const target_entry& y) {
    return std::tie(x.latest_ms, x.name) < std::tie(y.latest_ms, y.name);
  });
  // From the first time's side: the oldest when it is the earlier, else
  // the newest; oldest first either way.
  const std::size_t limit = clamp_limit(q.limit);
  if (found.size() > limit) {
    if (q.from_ms <= q.to_ms) {
      found.resize(limit);
    } else {
      found.erase(found.begin(), found.end() - static_cast<std::ptrdiff_t>(limit));
    }
  }
  return found;
}

sql::expected<std::optional<line>> reader::find(const std::string& target, const std::string& msgid) {
  sql::reset_guard g(find_);
  auto row = find_.bind(1, msgid).bind(2, target).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<line>();
  return std::optional<line>(read_line(find_));
}

}  // namespace store::history
