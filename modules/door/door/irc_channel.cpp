// IRC channel commands: JOIN, PART, TOPIC, NAMES, LIST (with ELIST
// filters), MODE on channels, KICK, INVITE. Rooms check permissions on their
// own strands and answer with events (irc_render.cpp).
#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <set>

#include "door/irc_door.hpp"
#include "protocol/limits.hpp"
#include "protocol/lists.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

namespace {

constexpr std::string_view kLeftAll = "Left all channels";

std::string clip(std::string_view text, std::size_t max) {
  return std::string(protocol::utf8_clip(text, max));
}

// A LIST's conditions (ELIST C, M, N, T, U) and channel names.
struct list_query {
  std::vector<std::string> names;                                        // exact channel names
  std::vector<std::string> masks;                                        // M: at least one must match, if any
  std::vector<std::string> exclude;                                      // N: none may match
  std::size_t min_users = 0;                                             // U: more than
  std::size_t max_users = std::numeric_limits<std::size_t>::max();       // U: fewer than
  std::time_t created_before = std::numeric_limits<std::time_t>::max();  // C>minutes
  std::time_t created_after = 0;                                         // C<minutes
  std::time_t topic_before = std::numeric_limits<std::time_t>::max();    // T>minutes
  std::time_t topic_after = 0;                                           // T<minutes

  bool accepts(const chat::room_summary& r) const {
    if (!names.empty() && std::none_of(names.begin(), names.end(), [&](const std::string& n) {
          return protocol::fold_equal{}(n, r.name);
        })) {
      return false;
    }
    if (!masks.empty() && std::none_of(masks.begin(), masks.end(), [&](const std::string& m) {
          return protocol::match_mask(m, r.name);
        })) {
      return false;
    }
    if (std::any_of(exclude.begin(), exclude.end(),
                    [&](const std::string& m) { return protocol::match_mask(m, r.name); })) {
      return false;
    }
    return r.members > min_users && r.members < max_users && r.created_at < created_before &&
           r.created_at > created_after && r.topic_at < topic_before && r.topic_at >= topic_after;
  }
};

std::optional<std::size_t> number(std::string_view s) {
  std::size_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

list_query parse_list(const std::vector<std::string>& params) {
  list_query q;
  const auto now = std::time(nullptr);
  for (const auto& p : params) {
    for (const auto item : protocol::split_list(p)) {
      if (item.size() > 1 && (item[0] == '>' || item[0] == '<')) {
        if (const auto n = number(item.substr(1))) {
          if (item[0] == '>') q.min_users = *n;
          if (item[0] == '<') q.max_users = *n;
        }
      } else if (item.size() > 2 && (item[0] == 'C' || item[0] == 'T') &&
                 (item[1] == '>' || item[1] == '<')) {
        if (const auto minutes = number(item.substr(2))) {
          const auto at = now - static_cast<std::time_t>(*minutes) * 60;
          auto& before = item[0] == 'C' ? q.created_before : q.topic_before;
          auto& after = item[0] == 'C' ? q.created_after : q.topic_after;
          if (item[1] == '>') before = at;  // more than m minutes ago
          if (item[1] == '<') after = at;   // less than m minutes ago
        }
      } else if (item.starts_with('!')) {
        q.exclude.emplace_back(item.substr(1));
      } else if (item.find_first_of("*?") != std::string_view::npos) {
        q.masks.emplace_back(item);
      } else {
        q.names.emplace_back(item);
      }
    }
  }
  return q;
}

}  // namespace

void irc_door::cmd_join(const message& m) {
  if (m.params[0] == "0") return leave_everything(kLeftAll);
  std::string keys = m.params.size() > 1 ? m.params[1] : std::string();
  if (wants_markers()) return join_with_markers(m.params[0], std::move(keys));
  join_all(m.params[0], keys, nullptr);
}

void irc_door::join_all(const std::string& names_list, const std::string& keys_list,
                        const join_markers* markers) {
  const auto names = protocol::split_list(names_list);
  const auto keys = protocol::split_list(keys_list);
  if (names.size() > 1) spend_extra(names.size() - 1);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string name(names[i]);
    if (!protocol::parse_room_name(name, protocol::kMaxRoomNameLength).has_value()) {
      reply(numeric::err_nosuchchannel, {name, "No such channel"});
      continue;
    }
    std::optional<std::optional<std::int64_t>> marker;
    if (markers && i < markers->size()) marker = (*markers)[i];
    join_room(name, i < keys.size() ? std::string(keys[i]) : std::string(), marker);
  }
}

void irc_door::join_room(const std::string& name, const std::string& key,
                         std::optional<std::optional<std::int64_t>> marker) {
  auto folded = protocol::fold_nick(name);
  {
    const std::lock_guard lock(info_mutex_);
    if (rooms_.contains(folded)) return;  // joined, or joining
    if (rooms_.size() >= settings_.max_rooms_per_user) {
      // Before the room is looked up: a refused JOIN must not create one
      // (nobody would be in it to ever close it).
      reply(numeric::err_toomanychannels, {name, "You have joined too many channels"});
      return;
    }
  }
  auto r = hub_.room_named(name);
  {
    const std::lock_guard lock(info_mutex_);
    joined j;
    j.room = r;
    if (marker) {
      j.marker_due = true;
      j.marker = *marker;
    }
    rooms_.emplace(std::move(folded), std::move(j));
  }
  auto who = as_actor();
  {
    const std::lock_guard lock(info_mutex_);
    who.realname = realname_;
    who.away = away_;
  }
  touch(r)->join(std::move(who), key);
}

void irc_door::cmd_part(const message& m) {
  const std::string reason =
      m.params.size() > 1 ? clip(m.params[1], protocol::kMaxReasonLength) : std::string();
  const auto names = protocol::split_list(m.params[0]);
  if (names.size() > 1) spend_extra(names.size() - 1);
  for (const auto name : names) {
    auto r = hub_.find_room(name);
    if (!r) {
      reply(numeric::err_nosuchchannel, {name, "No such channel"});
      continue;
    }
    {
      // Forgotten now, not when the PART comes back: a JOIN right behind it
      // (a client's /cycle) goes to the room after this PART, instead of
      // being taken for a JOIN already on its way. The room answers 442 if
      // we were not in it after all.
      const std::lock_guard lock(info_mutex_);
      rooms_.erase(protocol::fold_nick(name));
    }
    touch(r)->part(as_actor(), reason);
  }
}

void irc_door::cmd_topic(const message& m) {
  auto r = hub_.find_room(m.params[0]);
  if (!r) return reply(numeric::err_nosuchchannel, {m.params[0], "No such channel"});
  if (m.params.size() < 2) return touch(r)->topic(as_actor(), std::nullopt);
  touch(r)->topic(as_actor(), clip(m.params[1], protocol::kMaxTopicLength));
}

void irc_door::cmd_names(const message& m) {
  if (m.params.empty()) return reply(numeric::rpl_endofnames, {"*", "End of /NAMES list"});
  // TARGMAX=NAMES:1: one channel per NAMES.
  const auto names = protocol::split_list(m.params[0]);
  if (names.empty()) return reply(numeric::rpl_endofnames, {"*", "End of /NAMES list"});
  if (names.size() > 1) too_many_targets("NAMES", names[1]);
  if (auto r = hub_.find_room(names[0])) {
    touch(r)->names(as_actor());
  } else {
    reply(numeric::rpl_endofnames, {names[0], "End of /NAMES list"});
  }
}

void irc_door::cmd_list(const message& m) {
  auto query = parse_list(m.params);
  // Secret channels are listed to their members only.
  std::set<std::string> mine;
  {
    const std::lock_guard lock(info_mutex_);
    for (const auto& [key, r] : rooms_) mine.insert(key);
  }
  list_filter filter = [query = std::move(query), mine = std::move(mine)](const chat::room_summary& r) {
    return query.accepts(r) && (!r.secret || mine.contains(protocol::fold_nick(r.name)));
  };
  // A page of rooms at a time: 10,000 channels are a reply larger than any
  // sendq, and the hub is never copied whole.
  start_stream(
      list_stream([&hub = hub_](std::string_view after, std::size_t n) { return hub.rooms_after(after, n); },
                  std::move(filter), settings_.server_name, std::string(target())));
}

void irc_door::cmd_mode(const message& m) {
  const auto& target_name = m.params[0];
  if (!target_name.starts_with('#')) return user_mode(m);
  auto r = hub_.find_room(target_name);
  if (!r) return reply(numeric::err_nosuchchannel, {target_name, "No such channel"});
  std::vector<chat::mode_change> changes;
  if (m.params.size() > 1) {
    bool add = true;
    std::size_t next_arg = 2;
    for (const char c : m.params[1]) {
      if (c == '+' || c == '-') {
        add = c == '+';
        continue;
      }
      chat::mode_change change{add, c, {}};
      const bool list = chat::kListModes.find(c) != std::string_view::npos;
      const bool takes_arg = c == 'o' || c == 'v' || list || c == 'k' || ((c == 'l' || c == 'H') && add);
      if (takes_arg) {
        if (next_arg < m.params.size()) {
          change.arg = m.params[next_arg++];
        } else if (!list && !(c == 'k' && !add)) {
          reply(numeric::err_needmoreparams, {"MODE", "Not enough parameters"});
          continue;
        }
      }
      if (c == 'k' && add) {
        // A key a client could not send back (a space, a comma, a leading
        // ':') or longer than KEYLEN is refused.
        const auto& k = change.arg;
        if (k.empty() || k.size() > kMaxKeyLength || k.find_first_of(" ,") != std::string::npos ||
            k[0] == ':') {
          reply(numeric::err_invalidkey, {target_name, "Key is not well-formed"});
          continue;
        }
      }
      if (c == 'H' && add) {
        // Replay on join needs the history, and a setting it can keep.
        if (!settings_.store) {
          reply(numeric::err_invalidmodeparam,
                {target_name, "H", change.arg, "History is not kept on this server"});
          continue;
        }
        if (!chat::parse_replay(change.arg)) {
          reply(numeric::err_invalidmodeparam,
                {target_name, "H", change.arg,
                 "Expected <count>:<age> (count 1-" + std::to_string(chat::kMaxReplayLines) +
                     ", age like 30m, 1d; at most a year)"});
          continue;
        }
      }
      if ((c == 'o' || c == 'v') && !hub_.directory().find(change.arg)) {
        reply(numeric::err_nosuchnick, {change.arg, "No such nick/channel"});
        continue;
      }
      changes.push_back(std::move(change));
      if (changes.size() == 4) break;  // MODES=4
    }
    if (changes.empty()) return;
  }
  touch(r)->mode(as_actor(), std::move(changes));
}

void irc_door::cmd_kick(const message& m) {
  auto r = hub_.find_room(m.params[0]);
  if (!r) return reply(numeric::err_nosuchchannel, {m.params[0], "No such channel"});
  const std::string reason = m.params.size() > 2 ? clip(m.params[2], protocol::kMaxReasonLength) : nick_;
  const auto targets = protocol::split_list(m.params[1]);
  const std::size_t count = std::min(targets.size(), protocol::kMaxTargets);
  if (targets.size() > count) too_many_targets("KICK", targets[count]);
  if (count > 1) spend_extra(count - 1);
  for (std::size_t i = 0; i < count; ++i) touch(r)->kick(as_actor(), std::string(targets[i]), reason);
}

void irc_door::cmd_rename(const message& m) {
  const auto& from = m.params[0];
  const auto& to = m.params[1];
  auto r = hub_.find_room(from);
  if (!r) return reply(numeric::err_nosuchchannel, {from, "No such channel"});
  if (!protocol::parse_room_name(to, protocol::kMaxRoomNameLength).has_value()) {
    return standard_reply("FAIL", "RENAME", "CANNOT_RENAME", {from, to},
                          "The new name is not a valid channel name");
  }
  const std::string reason =
      m.params.size() > 2 ? clip(m.params[2], protocol::kMaxReasonLength) : std::string();
  touch(r)->rename_to(as_actor(), to, reason,
                      [&hub = hub_, room = r.get()](const std::string& old, const std::string& now) {
                        return hub.rekey(old, now, room);
                      });
}

void irc_door::cmd_invite(const message& m) {
  auto peer = hub_.directory().find(m.params[0]);
  if (!peer) return reply(numeric::err_nosuchnick, {m.params[0], "No such nick/channel"});
  auto r = hub_.find_room(m.params[1]);
  if (!r) return reply(numeric::err_nosuchchannel, {m.params[1], "No such channel"});
  touch(r)->invite(as_actor(), peer, peer->nick());
}

}  // namespace door
