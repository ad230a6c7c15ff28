// What the IRC client learns of who is where: joins, parts, quits, kicks
// and nick changes (its own and others'), and the NAMES replies that fill
// the member lists (Tab completion, the original's !who). The rest of the
// machine: irc_machine.cpp.
#include <algorithm>

#include "core/irc_machine.hpp"
#include "protocol/nick.hpp"

namespace client {
namespace {

std::string last_param(const protocol::irc::message& m) {
  return m.params.empty() ? std::string() : m.params.back();
}

// " has left #room (the reason)"
std::string with_reason(std::string text, std::string_view reason) {
  if (!reason.empty()) text += " (" + sanitize(reason) + ")";
  return text;
}

}  // namespace

bool irc_machine::membership_line(const protocol::irc::message& m, std::string_view from, effects& out) {
  const auto& p = m.params;
  const auto& cmd = m.command;
  if (cmd == "JOIN" && !p.empty()) {
    const auto& room = p[0];
    if (is_me(from)) {
      // A room new to us (a !join, or one the server put us in) becomes
      // the current one; the rooms joined on registration, which a server
      // may answer in any order, leave the one welcome() chose.
      if (std::none_of(rooms_.begin(), rooms_.end(), [&](const auto& r) { return same(r, room); })) {
        rooms_.push_back(room);
        current_ = room;
      } else if (same(room, current_)) {
        current_ = room;  // as the server spells it
      }
      unread_.erase(protocol::fold_nick(room));
      members_[protocol::fold_nick(room)].clear();  // NAMES follows
      out.show.push_back(look_.dim("You have joined " + sanitize(room) + "."));
      changed(out);
      request_history(out, room);
    } else {
      add_member(room, from);
      out.show.push_back(where(room) + look_.nick(from) + look_.dim(" has joined " + sanitize(room)));
    }
  } else if (cmd == "PART" && !p.empty()) {
    const auto& room = p[0];
    const auto reason = p.size() > 1 ? p[1] : std::string();
    if (is_me(from)) {
      forget_room(room);
      members_.erase(protocol::fold_nick(room));
      out.show.push_back(look_.dim("You have left " + sanitize(room) + "."));
      changed(out);
    } else {
      remove_member(room, from);
      out.show.push_back(where(room) + look_.nick(from) +
                         look_.dim(with_reason(" has left " + sanitize(room), reason)));
    }
  } else if (cmd == "QUIT") {
    nick_gone(out, from);
    for (auto& [room, list] : members_)
      std::erase_if(list, [&](const std::string& n) { return same(n, from); });
    out.show.push_back(look_.nick(from) + look_.dim(with_reason(" has quit", last_param(m))));
  } else if (cmd == "KICK" && p.size() >= 2) {
    const auto& room = p[0];
    const auto reason = p.size() > 2 ? p[2] : std::string();
    remove_member(room, p[1]);
    if (is_me(p[1])) {
      forget_room(room);
      members_.erase(protocol::fold_nick(room));
      out.show.push_back(look_.strong(
          with_reason("You were kicked from " + sanitize(room) + " by " + sanitize(from), reason)));
      changed(out);
    } else {
      out.show.push_back(where(room) + look_.nick(p[1]) +
                         look_.dim(with_reason(" was kicked by " + sanitize(from), reason)));
    }
  } else if (cmd == "NICK" && !p.empty()) {
    for (auto& [room, list] : members_) {
      for (auto& n : list) {
        if (same(n, from)) n = p[0];
      }
    }
    if (is_me(from)) {
      nick_ = p[0];
      nick_changed_by_us(out);
      changed(out);
      out.show.push_back(look_.dim("You are now known as ") + look_.nick(nick_));
    } else {
      nick_gone(out, from);
      // A private conversation follows the person, not the old nick (which
      // someone else may take next).
      for (auto& q : queries_) {
        if (same(q, from)) q = p[0];
      }
      if (same(current_, from)) current_ = p[0];
      if (same(previous_, from)) previous_ = p[0];
      if (auto it = unread_.find(protocol::fold_nick(from)); it != unread_.end()) {
        const auto count = it->second;
        unread_.erase(it);
        unread_[protocol::fold_nick(p[0])] = count;
      }
      changed(out);
      out.show.push_back(look_.nick(from) + look_.dim(" is now known as ") + look_.nick(p[0]));
    }
  } else {
    return false;
  }
  return true;
}

bool irc_machine::names_line(const protocol::irc::message& m, effects& out) {
  const auto& p = m.params;
  const auto& cmd = m.command;
  if (cmd == "353" && p.size() >= 4) {
    auto& names = names_[protocol::fold_nick(p[2])];
    std::string_view list = p[3];
    while (!list.empty()) {
      const auto space = list.find(' ');
      const auto name = list.substr(0, space);
      if (!name.empty() && names.size() < kMaxNames) names.emplace_back(name);
      list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
    }
  } else if (cmd == "366" && p.size() >= 2) {
    const auto key = protocol::fold_nick(p[1]);
    auto names = std::move(names_[key]);
    names_.erase(key);
    if (auto known = members_.find(key); known != members_.end()) {
      // A room we are in: its members, without their prefixes.
      known->second.clear();
      for (const auto& name : names) {
        const auto start = name.find_first_not_of("~&@%+");
        if (start != std::string::npos) known->second.push_back(name.substr(start));
      }
    }
    auto& asked = who_asked_[key];
    if (asked > 0) {
      // The original's !who: the others, one per line.
      --asked;
      bool anyone = false;
      for (const auto& name : names) {
        const auto start = name.find_first_not_of("~&@%+");
        if (start == std::string::npos || is_me(std::string_view(name).substr(start))) continue;
        anyone = true;
        out.show.push_back("-> " + look_.nick(std::string_view(name).substr(start)));
      }
      if (!anyone) out.show.emplace_back("No one but you is active");
    } else {
      std::string list;
      for (const auto& name : names) list += (list.empty() ? "" : ", ") + look_.nick(name);
      out.show.push_back(look_.dim("In " + sanitize(p[1]) + ": ") + list);
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace client
