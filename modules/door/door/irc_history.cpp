// IRCv3 draft/chathistory: CHATHISTORY LATEST, BEFORE, AFTER, AROUND,
// BETWEEN and TARGETS, answered from the store in a `chathistory` batch.
// A channel's history is for its members; a private conversation's for its
// two parties, and only for those logged in (a nick alone changes hands).
#include <fmt/format.h>

#include <charconv>

#include "door/archive.hpp"
#include "door/irc_door.hpp"
#include "door/irc_stream.hpp"
#include "protocol/nick.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

namespace {

// Batch ids for history: unique per process is enough.
std::string next_history_batch() {
  static std::atomic<std::uint64_t> last{0};
  return "H" + std::to_string(last.fetch_add(1, std::memory_order_relaxed) + 1);
}

// "*", "msgid=...", "timestamp=...".
std::optional<store::bound> parse_bound(std::string_view text) {
  store::bound b;
  if (text == "*") {
    b.none = true;
    return b;
  }
  if (text.starts_with("msgid=") && text.size() > 6) {
    b.msgid = std::string(text.substr(6));
    return b;
  }
  if (text.starts_with("timestamp=")) {
    if (auto at = irc::parse_server_time(text.substr(10))) {
      b.at_ms = *at;
      return b;
    }
  }
  return std::nullopt;
}

std::optional<std::size_t> parse_limit(std::string_view text) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0) return std::nullopt;
  return std::min(n, store::kMaxQueryLimit);
}

std::chrono::system_clock::time_point time_of(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// Already-rendered lines, handed out a chunk at a time.
class lines_stream final : public reply_stream {
 public:
  explicit lines_stream(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  bool fill(std::string& out, std::size_t budget) override {
    while (next_ < lines_.size() && out.size() < budget) out += lines_[next_++];
    return next_ == lines_.size();
  }

 private:
  std::vector<std::string> lines_;
  std::size_t next_ = 0;
};

}  // namespace

std::string irc_door::readable_key(std::string_view target) const {
  if (target.starts_with('#')) {
    const std::lock_guard lock(info_mutex_);
    return rooms_.contains(protocol::fold_nick(target)) ? protocol::fold_nick(target) : std::string();
  }
  const auto me = account();
  if (me.empty() || !protocol::parse_nick(target).has_value()) return {};
  auto peer = hub_.directory().find(target);
  const std::string peer_account = peer ? peer->account() : std::string();
  return history_key(target, history_identity(me, nick_), peer_account);
}

void irc_door::cmd_chathistory(const message& m) {
  auto fail = [this](std::string_view code, std::initializer_list<std::string_view> context,
                     std::string_view why) { standard_reply("FAIL", "CHATHISTORY", code, context, why); };
  if (!settings_.store) return fail("UNKNOWN_COMMAND", {m.params[0]}, "History is not kept on this server");
  std::string sub = m.params[0];
  for (auto& c : sub) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  if (sub == "TARGETS") {
    if (m.params.size() < 4) return fail("NEED_MORE_PARAMS", {sub}, "Missing parameters");
    const auto a = parse_bound(m.params[1]);
    const auto b = parse_bound(m.params[2]);
    const auto limit = parse_limit(m.params[3]);
    if (!a || !b || a->none || b->none || !a->msgid.empty() || !b->msgid.empty()) {
      return fail("INVALID_PARAMS", {sub}, "TARGETS takes two timestamps");
    }
    if (!limit) return fail("INVALID_PARAMS", {sub, m.params[3]}, "The limit must be a positive number");
    store::targets_query q;
    const auto me = account();
    q.identity = me.empty() ? std::string() : history_identity(me, nick_);
    {
      const std::lock_guard lock(info_mutex_);
      for (const auto& [key, r] : rooms_) q.channels.push_back(key);
    }
    q.from_ms = a->at_ms;
    q.to_ms = b->at_ms;
    q.limit = *limit;
    begin_wait();
    return settings_.store->targets(std::move(q),
                                    back_here<std::vector<store::target_entry>>(
                                        [this, sub](store::result<std::vector<store::target_entry>> r) {
                                          if (r) {
                                            send_targets(*r);
                                          } else {
                                            standard_reply("FAIL", "CHATHISTORY", "MESSAGE_ERROR", {sub, "*"},
                                                           "Messages could not be retrieved");
                                          }
                                          end_wait();
                                        }));
  }

  store::query q;
  std::size_t limit_at = 3;
  if (sub == "LATEST") {
    q.what = store::query::kind::latest;
  } else if (sub == "BEFORE") {
    q.what = store::query::kind::before;
  } else if (sub == "AFTER") {
    q.what = store::query::kind::after;
  } else if (sub == "AROUND") {
    q.what = store::query::kind::around;
  } else if (sub == "BETWEEN") {
    q.what = store::query::kind::between;
    limit_at = 4;
  } else {
    return fail("UNKNOWN_COMMAND", {sub}, "Unknown command");
  }
  if (m.params.size() <= limit_at) return fail("NEED_MORE_PARAMS", {sub}, "Missing parameters");
  const std::string& target = m.params[1];
  const auto a = parse_bound(m.params[2]);
  if (!a || (a->none && q.what != store::query::kind::latest)) {
    return fail("INVALID_PARAMS", {sub, m.params[2]}, "Expected msgid=, timestamp= (or * for LATEST)");
  }
  q.a = *a;
  if (q.what == store::query::kind::between) {
    const auto b = parse_bound(m.params[3]);
    if (!b || b->none) return fail("INVALID_PARAMS", {sub, m.params[3]}, "Expected msgid= or timestamp=");
    q.b = *b;
  }
  const auto limit = parse_limit(m.params[limit_at]);
  if (!limit) return fail("INVALID_PARAMS", {sub, m.params[limit_at]}, "The limit must be a positive number");
  q.limit = *limit;
  q.events = caps_.has(cap::event_playback) && target.starts_with('#');
  q.target = readable_key(target);
  if (q.target.empty()) return fail("INVALID_TARGET", {sub, target}, "Messages could not be retrieved");
  begin_wait();
  settings_.store->history(
      std::move(q),
      back_here<std::vector<store::line>>([this, sub, target](store::result<std::vector<store::line>> r) {
        if (r) {
          send_history(target, *r);
        } else {
          standard_reply("FAIL", "CHATHISTORY", "MESSAGE_ERROR", {sub, target},
                         "Messages could not be retrieved");
        }
        end_wait();
      }));
}

void irc_door::send_history(std::string_view target, const std::vector<store::line>& lines) {
  // Streamed, labeled or not: a thousand lines collected whole could pass
  // the client's SendQ.
  start_stream(std::make_shared<lines_stream>(label_stream(render_history(target, lines))));
}

std::vector<std::string> irc_door::render_history(std::string_view target,
                                                  const std::vector<store::line>& lines) {
  const bool batch = caps_.has(cap::batch);
  const auto id = next_history_batch();
  std::vector<std::string> out;
  out.reserve(lines.size() + 2);
  if (batch) {
    out.push_back(irc::encode_line({{}, settings_.server_name, "BATCH"}, {"+" + id, "chathistory", target},
                                   irc::last_param::plain));
  }
  for (const auto& l : lines) {
    std::string tags;
    if (batch) irc::append_tag(tags, "batch", id);
    if (caps_.has(cap::server_time)) irc::append_tag(tags, "time", irc::format_server_time(time_of(l.at_ms)));
    if (caps_.has(cap::message_tags)) {
      irc::append_tag(tags, "msgid", l.msgid);
      if (!l.tags.empty()) {
        if (!tags.empty()) tags += ';';
        tags += l.tags;
      }
    }
    if (caps_.has(cap::account_tag) && !l.account.empty()) irc::append_tag(tags, "account", l.account);
    if (l.kind > store::kLastMessageKind) {
      // draft/event-playback: what happened in the channel, as it was shown.
      if (!caps_.has(cap::event_playback)) continue;
      out.push_back(render_event_line(tags, l));
      continue;
    }
    const auto kind = message_kind_of(l.kind);
    std::string_view command = "PRIVMSG";
    std::string text = l.text;
    if (kind == chat::message_kind::notice) command = "NOTICE";
    if (kind == chat::message_kind::action)
      text =
          "\x01"
          "ACTION " +
          text + "\x01";
    if (kind == chat::message_kind::tagmsg) {
      if (!caps_.has(cap::message_tags)) continue;
      out.push_back(irc::encode_line({tags, l.source, "TAGMSG"}, {l.to}, irc::last_param::plain));
      continue;
    }
    out.push_back(irc::encode_line({tags, l.source, command}, {l.to, text}));
  }
  if (batch)
    out.push_back(irc::encode_line({{}, settings_.server_name, "BATCH"}, {"-" + id}, irc::last_param::plain));
  return out;
}

std::string irc_door::render_event_line(const std::string& tags, const store::line& l) const {
  using irc::last_param;
  auto with = [&](std::string_view verb, std::initializer_list<std::string_view> params,
                  last_param last = last_param::trailing) {
    return irc::encode_line({tags, l.source, verb}, params, last);
  };
  switch (l.kind) {
    case store::line_kind::join:
      if (caps_.has(cap::extended_join))
        return with("JOIN", {l.to, l.account.empty() ? "*" : l.account, l.text});
      return with("JOIN", {l.to}, last_param::plain);
    case store::line_kind::part:
      return l.text.empty() ? with("PART", {l.to}, last_param::plain) : with("PART", {l.to, l.text});
    case store::line_kind::quit:
      return with("QUIT", {l.text});
    case store::line_kind::nick:
      return with("NICK", {l.text});  // as relayed live: ":newnick"
    case store::line_kind::topic:
      return with("TOPIC", {l.to, l.text});
    case store::line_kind::kick: {
      const auto space = l.text.find(' ');
      const std::string_view victim = std::string_view(l.text).substr(0, space);
      const std::string_view reason =
          space == std::string::npos ? std::string_view() : std::string_view(l.text).substr(space + 1);
      return with("KICK", {l.to, victim, reason});
    }
    default:
      break;
  }
  return {};
}

void irc_door::replay_history(const std::string& room, chat::replay_setting r, std::int64_t joined_ms) {
  // Clients with CHATHISTORY ask for what they want themselves.
  if (!settings_.store || caps_.has(cap::chathistory)) return;
  store::query q;
  q.what = store::query::kind::before;
  q.target = protocol::fold_nick(room);
  q.a.at_ms = joined_ms;  // what was said since comes live
  q.limit = r.lines;
  const auto oldest = joined_ms - std::chrono::duration_cast<std::chrono::milliseconds>(r.age).count();
  settings_.store->history(
      std::move(q), back_here<std::vector<store::line>>([this, room, r, oldest](
                                                            store::result<std::vector<store::line>> got) {
        if (!got) return;  // no history now: the join goes on without
        std::vector<store::line> lines;
        for (auto& l : *got) {
          if (l.at_ms >= oldest) lines.push_back(std::move(l));
        }
        {
          const std::lock_guard lock(info_mutex_);
          if (lines.empty() || !rooms_.contains(protocol::fold_nick(room))) return;  // left meanwhile
        }
        auto out = render_history(room, lines);
        if (!caps_.has(cap::server_time)) {
          // Without times the lines would pass for new ones: say what they are.
          const auto shown = chat::format_replay(r);
          out.insert(out.begin(), irc::encode_line({{}, settings_.server_name, "NOTICE"},
                                                   {room, "Replaying up to " + std::to_string(r.lines) +
                                                              " lines of history from the last " +
                                                              shown.substr(shown.find(':') + 1)}));
        }
        // Streamed on its own, never into a labeled reply being collected.
        start_stream(std::make_shared<lines_stream>(std::move(out)));
      }));
}

void irc_door::send_targets(const std::vector<store::target_entry>& targets) {
  const bool batch = caps_.has(cap::batch);
  const auto id = next_history_batch();
  if (batch) {
    send_bytes(irc::encode_line({{}, settings_.server_name, "BATCH"}, {"+" + id, "draft/chathistory-targets"},
                                irc::last_param::plain));
  }
  for (const auto& t : targets) {
    std::string tags;
    if (batch) irc::append_tag(tags, "batch", id);
    send_bytes(irc::encode_line({tags, settings_.server_name, "CHATHISTORY"},
                                {"TARGETS", t.name, irc::format_server_time(time_of(t.latest_ms))},
                                irc::last_param::plain));
  }
  if (batch)
    send_bytes(irc::encode_line({{}, settings_.server_name, "BATCH"}, {"-" + id}, irc::last_param::plain));
}

}  // namespace door
