// IRC commands about oneself and other users: AWAY, SETNAME, user MODE,
// ISON, USERHOST, MONITOR, and the operators' CHGHOST. Changes of away
// state, real name and host are announced to the user's rooms (and to
// those who MONITOR it) as one shared event each.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <vector>

#include "door/irc_door.hpp"
#include "door/log.hpp"
#include "protocol/chars.hpp"
#include "protocol/limits.hpp"
#include "protocol/lists.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

namespace {

// MONITOR's comma-separated lists go over several lines past this many bytes
// (a 730 line's nick!user@host entries fit 512 bytes with the longest prefix).
constexpr std::size_t kMonitorLineRoom = 400;

}  // namespace

void irc_door::announce(chat::attribute what, std::string text) {
  auto ev = chat::new_event(chat::event_kind::attribute_changed, {}, nick_, this);
  ev->source = source();
  ev->attribute = what;
  ev->text = std::move(text);
  std::vector<std::shared_ptr<chat::room>> rooms;
  {
    const std::lock_guard lock(info_mutex_);
    for (const auto& [key, r] : rooms_) rooms.push_back(r.room);
  }
  for (const auto& r : rooms) touch(r)->relay(this, ev);
  hub_.monitor().notify(nick_, ev);  // extended-monitor
}

void irc_door::cmd_away(const message& m) {
  const std::string text = m.params.empty()
                               ? std::string()
                               : std::string(protocol::utf8_clip(m.params[0], protocol::kMaxAwayLength));
  {
    const std::lock_guard lock(info_mutex_);
    away_ = text;
  }
  if (text.empty()) {
    reply(numeric::rpl_unaway, {"You are no longer marked as being away"});
  } else {
    reply(numeric::rpl_nowaway, {"You have been marked as being away"});
  }
  announce(chat::attribute::away, text);  // away-notify
}

void irc_door::cmd_setname(const message& m) {
  const auto& name = m.params[0];
  if (name.empty() || name.size() > protocol::kMaxRealnameLength) {
    return standard_reply("FAIL", "SETNAME", "INVALID_REALNAME", {}, "Realname is not valid");
  }
  {
    const std::lock_guard lock(info_mutex_);
    realname_ = name;
  }
  if (caps_.has(cap::setname)) send_bytes(irc::encode_line({{}, source(), "SETNAME"}, {name}));
  announce(chat::attribute::realname, name);
}

std::string irc_door::user_modes() const {
  std::string modes = "+";
  if (bot_) modes += 'B';
  if (invisible_) modes += 'i';
  if (oper_) modes += 'o';
  if (wallops_) modes += 'w';
  return modes;
}

void irc_door::user_mode(const message& m) {
  const auto& target_name = m.params[0];
  if (!protocol::fold_equal{}(target_name, nick_)) {
    if (!hub_.directory().find(target_name))
      return reply(numeric::err_nosuchnick, {target_name, "No such nick/channel"});
    return reply(numeric::err_usersdontmatch, {"Can't change mode for other users"});
  }
  if (m.params.size() < 2) return reply(numeric::rpl_umodeis, {user_modes()});
  // +i, +w, +B and their minus; -o gives up operator status (only OPER
  // grants it).
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
    } else if (c == 'i') {
      changed = invisible_.exchange(add) != add;
      if (changed && add) hub_.invisible().fetch_add(1, std::memory_order_relaxed);
      if (changed && !add) hub_.invisible().fetch_sub(1, std::memory_order_relaxed);
    } else if (c == 'B') {
      changed = bot_.exchange(add) != add;
    } else if (c == 'o') {
      changed = !add && oper_.exchange(false);
      if (changed) hub_.opers().fetch_sub(1, std::memory_order_relaxed);
    } else {
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

void irc_door::cmd_ison(const message& m) {
  std::vector<std::string> online;
  for (const auto& p : m.params) {
    for (const auto nick : protocol::split_words(p)) {
      if (auto peer = hub_.directory().find(nick)) online.push_back(peer->nick());
    }
  }
  std::string out;
  irc::append_numeric_list(out, settings_.server_name, numeric::rpl_ison, nick_, {}, online);
  send_bytes(std::move(out));
}

void irc_door::cmd_userhost(const message& m) {
  std::vector<std::string> found;
  for (std::size_t k = 0; k < m.params.size() && k < 5; ++k) {
    if (auto peer = hub_.directory().find(m.params[k])) {
      const auto i = peer->details();
      found.push_back(
          fmt::format("{}{}={}{}@{}", i.nick, i.oper ? "*" : "", i.away.empty() ? '+' : '-', i.user, i.host));
    }
  }
  std::string out;
  irc::append_numeric_list(out, settings_.server_name, numeric::rpl_userhost, nick_, {}, found);
  send_bytes(std::move(out));
}

void irc_door::cmd_monitor(const message& m) {
  const std::string_view sub = m.params[0];
  const auto& srv = settings_.server_name;
  // 730 for those online (nick!user@host), 731 for the others.
  auto status = [&](const std::vector<std::string>& nicks) {
    std::vector<std::string> online;
    std::vector<std::string> offline;
    for (const auto& n : nicks) {
      if (auto peer = hub_.directory().find(n)) {
        const auto i = peer->details();
        online.push_back(i.nick + "!" + i.user + "@" + i.host);
      } else {
        offline.push_back(n);
      }
    }
    std::string out;
    // Comma-separated lists: the list writer splits at spaces, so build
    // each line's list by hand within a line's room.
    auto send = [&](numeric n, const std::vector<std::string>& items) {
      std::string list;
      for (const auto& item : items) {
        if (!list.empty() && list.size() + 1 + item.size() > kMonitorLineRoom) {
          irc::append_numeric(out, srv, n, target(), {list});
          list.clear();
        }
        if (!list.empty()) list += ',';
        list += item;
      }
      if (!list.empty()) irc::append_numeric(out, srv, n, target(), {list});
    };
    send(numeric::rpl_mononline, online);
    send(numeric::rpl_monoffline, offline);
    if (!out.empty()) send_bytes(std::move(out));
  };
  if (sub == "+" && m.params.size() > 1) {
    std::vector<std::string> added;
    const auto wanted = protocol::split_list(m.params[1]);
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const std::string n(wanted[i]);
      if (!protocol::parse_nick(n).has_value()) continue;
      if (std::any_of(monitored_.begin(), monitored_.end(),
                      [&](const std::string& x) { return protocol::fold_equal{}(x, n); })) {
        continue;
      }
      if (monitored_.size() >= kMaxMonitor) {
        std::string rest;
        for (std::size_t k = i; k < wanted.size(); ++k)
          rest += (rest.empty() ? "" : ",") + std::string(wanted[k]);
        reply(numeric::err_monlistfull, {std::to_string(kMaxMonitor), rest, "Monitor list is full"});
        break;
      }
      monitored_.push_back(n);
      hub_.monitor().watch(n, self());
      added.push_back(n);
    }
    status(added);
  } else if (sub == "-" && m.params.size() > 1) {
    for (const auto n : protocol::split_list(m.params[1])) {
      std::erase_if(monitored_, [&](const std::string& x) {
        const bool same = protocol::fold_equal{}(x, n);
        if (same) hub_.monitor().unwatch(x, this);
        return same;
      });
    }
  } else if (sub == "C" || sub == "c") {
    for (const auto& n : monitored_) hub_.monitor().unwatch(n, this);
    monitored_.clear();
  } else if (sub == "L" || sub == "l") {
    std::string out;
    std::string list;
    for (const auto& n : monitored_) {
      if (!list.empty() && list.size() + 1 + n.size() > kMonitorLineRoom) {
        irc::append_numeric(out, srv, numeric::rpl_monlist, target(), {list});
        list.clear();
      }
      if (!list.empty()) list += ',';
      list += n;
    }
    if (!list.empty()) irc::append_numeric(out, srv, numeric::rpl_monlist, target(), {list});
    irc::append_numeric(out, srv, numeric::rpl_endofmonlist, target(), {"End of MONITOR list"});
    send_bytes(std::move(out));
  } else if (sub == "S" || sub == "s") {
    status(monitored_);
  } else {
    reply(numeric::err_needmoreparams, {"MONITOR", "Not enough parameters"});
  }
}

void irc_door::cmd_chghost(const message& m) {
  auto target_member = hub_.directory().find(m.params[0]);
  if (!target_member) return reply(numeric::err_nosuchnick, {m.params[0], "No such nick/channel"});
  const auto& user = m.params[1];
  const auto& host = m.params[2];
  auto fine = [](std::string_view s, std::size_t max) {
    return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
      return protocol::is_letter(c) || protocol::is_digit(c) || c == '-' || c == '.' || c == '_' ||
             c == '~' || c == ':';
    });
  };
  if (!fine(user, protocol::kMaxUserLength) || !fine(host, protocol::kMaxHostLength)) {
    return standard_reply("FAIL", "CHGHOST", "INVALID_HOST", {m.params[0]}, "User name or host is not valid");
  }
  spdlog::info("irc {}: {} sets the host of {} to {}@{}", link_.remote_label(), nick_, m.params[0], user,
               host);
  auto ev = chat::new_event(chat::event_kind::host_set, {}, nick_, this);
  ev->text = user + "@" + host;
  target_member->deliver(ev);
  server_line("NOTICE", {nick_, fmt::format("{} is now {}@{}", m.params[0], user, host)});
}

}  // namespace door
