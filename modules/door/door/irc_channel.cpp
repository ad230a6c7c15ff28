// IRC channel commands: JOIN, PART, TOPIC, NAMES, LIST, MODE (channel and
// user modes), KICK, INVITE. Rooms check permissions on their own strands
// and answer with events (irc_render.cpp).
#include <algorithm>

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

}  // namespace

void irc_door::cmd_join(const message& m) {
  if (m.params[0] == "0") return leave_everything(kLeftAll);
  const auto names = protocol::split_list(m.params[0]);
  const auto keys = m.params.size() > 1 ? protocol::split_list(m.params[1]) : std::vector<std::string_view>{};
  if (names.size() > 1) spend_extra(names.size() - 1);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string name(names[i]);
    if (!protocol::parse_room_name(name, protocol::kMaxRoomNameLength).has_value()) {
      reply(numeric::err_nosuchchannel, {name, "No such channel"});
      continue;
    }
    join_room(name, i < keys.size() ? std::string(keys[i]) : std::string());
  }
}

void irc_door::join_room(const std::string& name, const std::string& key) {
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
    rooms_.emplace(std::move(folded), r);
  }
  r->join(as_actor(), key);
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
    r->part(as_actor(), reason);
  }
}

void irc_door::cmd_topic(const message& m) {
  auto r = hub_.find_room(m.params[0]);
  if (!r) return reply(numeric::err_nosuchchannel, {m.params[0], "No such channel"});
  if (m.params.size() < 2) return r->topic(as_actor(), std::nullopt);
  r->topic(as_actor(), clip(m.params[1], protocol::kMaxTopicLength));
}

void irc_door::cmd_names(const message& m) {
  if (m.params.empty()) return reply(numeric::rpl_endofnames, {"*", "End of /NAMES list"});
  // TARGMAX=NAMES:1: one channel per NAMES.
  const auto names = protocol::split_list(m.params[0]);
  if (names.empty()) return reply(numeric::rpl_endofnames, {"*", "End of /NAMES list"});
  if (names.size() > 1) too_many_targets("NAMES", names[1]);
  if (auto r = hub_.find_room(names[0])) {
    r->names(as_actor());
  } else {
    reply(numeric::rpl_endofnames, {names[0], "End of /NAMES list"});
  }
}

void irc_door::cmd_list(const message& m) {
  std::vector<std::string> wanted;
  if (!m.params.empty()) {
    for (const auto w : protocol::split_list(m.params[0])) wanted.emplace_back(w);
  }
  list_filter filter;
  if (!wanted.empty()) {
    filter = [wanted = std::move(wanted)](const chat::room_summary& r) {
      return std::any_of(wanted.begin(), wanted.end(),
                         [&](const std::string& w) { return protocol::fold_equal{}(w, r.name); });
    };
  }
  // A page of rooms at a time: 10,000 channels are a reply larger than any
  // sendq, and the hub is never copied whole.
  start_stream(
      list_stream([&hub = hub_](std::string_view after, std::size_t n) { return hub.rooms_after(after, n); },
                  std::move(filter), settings_.server_name, std::string(target())));
}

void irc_door::cmd_mode(const message& m) {
  const auto& target = m.params[0];
  if (!target.starts_with('#')) return user_mode(m);
  auto r = hub_.find_room(target);
  if (!r) return reply(numeric::err_nosuchchannel, {target, "No such channel"});
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
      const bool takes_arg = c == 'o' || c == 'v' || c == 'b' || c == 'k' || (c == 'l' && add);
      if (takes_arg) {
        if (next_arg < m.params.size()) {
          change.arg = m.params[next_arg++];
        } else if (c != 'b' && !(c == 'k' && !add)) {
          reply(numeric::err_needmoreparams, {"MODE", "Not enough parameters"});
          continue;
        }
      }
      changes.push_back(std::move(change));
      if (changes.size() == 4) break;  // MODES=4
    }
    if (changes.empty()) return;
  }
  r->mode(as_actor(), std::move(changes));
}

void irc_door::user_mode(const message& m) {
  const auto& target = m.params[0];
  if (!protocol::fold_equal{}(target, nick_)) {
    return reply(numeric::err_usersdontmatch, {"Can't change mode for other users"});
  }
  if (m.params.size() < 2) {
    std::string modes = "+";
    if (oper_) modes += 'o';
    if (wallops_) modes += 'w';
    return reply(numeric::rpl_umodeis, {modes});
  }
  // +w and -w; -o gives up operator status (only OPER grants it).
  bool add = true;
  std::string applied;
  char applied_sign = 0;
  bool unknown = false;
  for (const char c : m.params[1]) {
    if (c == '+' || c == '-') {
      add = c == '+';
      continue;
    }
    bool changed = false;
    if (c == 'w') {
      changed = wallops_.exchange(add) != add;
    } else if (c == 'o') {
      changed = !add && oper_.exchange(false);
    } else if (c != 'i') {
      unknown = true;
      continue;
    }
    if (!changed) continue;
    const char sign = add ? '+' : '-';
    if (sign != applied_sign) applied += sign;
    applied_sign = sign;
    applied += c;
  }
  if (unknown) reply(numeric::err_umodeunknownflag, {"Unknown MODE flag"});
  if (!applied.empty()) send_bytes(irc::encode_line({{}, nick_, "MODE"}, {nick_, applied}));
}

void irc_door::cmd_kick(const message& m) {
  auto r = hub_.find_room(m.params[0]);
  if (!r) return reply(numeric::err_nosuchchannel, {m.params[0], "No such channel"});
  const std::string reason = m.params.size() > 2 ? clip(m.params[2], protocol::kMaxReasonLength) : nick_;
  const auto targets = protocol::split_list(m.params[1]);
  const std::size_t count = std::min(targets.size(), protocol::kMaxTargets);
  if (targets.size() > count) too_many_targets("KICK", targets[count]);
  if (count > 1) spend_extra(count - 1);
  for (std::size_t i = 0; i < count; ++i) r->kick(as_actor(), std::string(targets[i]), reason);
}

void irc_door::cmd_invite(const message& m) {
  auto peer = hub_.directory().find(m.params[0]);
  if (!peer) return reply(numeric::err_nosuchnick, {m.params[0], "No such nick/channel"});
  auto r = hub_.find_room(m.params[1]);
  if (!r) return reply(numeric::err_nosuchchannel, {m.params[1], "No such channel"});
  r->invite(as_actor(), peer, peer->info().nick);
}

}  // namespace door
