// Where the IRC client talks: the rooms joined and private conversations,
// who is in each room (for Tab), and the unread lines waiting elsewhere,
// shown in the status line. The rest of the machine: irc_machine.cpp.
#include <algorithm>

#include "core/irc_machine.hpp"
#include "protocol/nick.hpp"

namespace client {

std::string irc_machine::prompt() const {
  if (awaiting_nick_) return "Username: ";
  return (current_.empty() ? std::string() : sanitize(current_)) + "> ";
}

status irc_machine::status() const {
  client::status s;
  s.place = sanitize(current_);
  s.nick = sanitize(nick_);
  s.away = away_;
  // Where unread lines wait, by number for Alt-N; past 9, only counted.
  const auto places = conversations();
  for (std::size_t i = 0; i < places.size(); ++i) {
    auto it = unread_.find(protocol::fold_nick(places[i]));
    if (it == unread_.end()) continue;
    if (i >= 9) {
      ++s.more;
      continue;
    }
    s.waiting.push_back({static_cast<int>(i + 1), sanitize(places[i]), it->second.lines, it->second.mention});
  }
  return s;
}

void irc_machine::changed(effects& out) const {
  out.prompt = prompt();
  out.status = status();
}

std::vector<std::string> irc_machine::conversations() const {
  auto all = rooms_;
  all.insert(all.end(), queries_.begin(), queries_.end());
  return all;
}

void irc_machine::note_unread(effects& out, std::string_view where, bool mention) {
  if (same(where, current_)) return;
  if (is_room(where)) {
    // Only rooms we are in: a server's line "to" another is not a place.
    if (std::none_of(rooms_.begin(), rooms_.end(), [&](const std::string& r) { return same(r, where); }))
      return;
  } else if (std::none_of(queries_.begin(), queries_.end(),
                          [&](const std::string& q) { return same(q, where); })) {
    if (queries_.size() >= kMaxQueries) {
      // Full: the oldest conversation with nothing unread makes room; if
      // every one has unread lines, this one is not kept as a place.
      const auto old = std::find_if(queries_.begin(), queries_.end(), [&](const std::string& q) {
        return !unread_.contains(protocol::fold_nick(q)) && !same(q, current_);
      });
      if (old == queries_.end()) return;
      queries_.erase(old);
    }
    queries_.emplace_back(where);
  }
  auto& u = unread_[protocol::fold_nick(where)];
  ++u.lines;
  u.mention = u.mention || mention;
  changed(out);
}

void irc_machine::make_current(effects& out, const std::string& where) {
  current_ = where;
  unread_.erase(protocol::fold_nick(where));
  changed(out);
}

void irc_machine::add_member(std::string_view room, std::string_view nick) {
  auto& list = members_[protocol::fold_nick(room)];
  if (list.size() >= kMaxNames) return;
  if (std::none_of(list.begin(), list.end(), [&](const std::string& n) { return same(n, nick); })) {
    list.emplace_back(nick);
  }
}

void irc_machine::remove_member(std::string_view room, std::string_view nick) {
  auto it = members_.find(protocol::fold_nick(room));
  if (it != members_.end()) std::erase_if(it->second, [&](const std::string& n) { return same(n, nick); });
}

completion_sources irc_machine::completions() const {
  completion_sources s;
  s.rooms = rooms_;
  if (auto it = members_.find(protocol::fold_nick(current_)); it != members_.end()) {
    for (const auto& n : it->second) {
      if (!is_me(n)) s.nicks.push_back(n);
    }
  } else if (!current_.empty() && !is_room(current_)) {
    s.nicks.push_back(current_);  // a query: the one we talk with
  }
  return s;
}

}  // namespace client
