// IRC queries about users: WHO (with WHOX fields), WHOIS and WHOWAS.
// Invisible users (+i) are shown only to those who share a channel with them
// (and to operators); secret channels only to their members.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <vector>

#include "door/irc_door.hpp"
#include "protocol/lists.hpp"
#include "protocol/nick.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

bool irc_door::shares_room(const std::vector<std::string>& rooms) const {
  const std::lock_guard lock(info_mutex_);
  return std::any_of(rooms.begin(), rooms.end(),
                     [&](const std::string& r) { return rooms_.contains(protocol::fold_nick(r)); });
}

void irc_door::cmd_who(const message& m) {
  const std::string mask = m.params.empty() ? "*" : m.params[0];
  // WHOX: "%fields[,token]" as the second parameter.
  std::string whox;
  if (m.params.size() > 1 && m.params[1].starts_with('%')) whox = m.params[1].substr(1);
  if (mask.starts_with('#')) {
    if (auto r = hub_.find_room(mask)) {
      auto who = as_actor();
      who.context = whox;
      return touch(r)->who(std::move(who));
    }
    return reply(numeric::rpl_endofwho, {mask, "End of /WHO list"});
  }
  // A nick, or a mask matched against nicks and nick!user@host: every user
  // it matches that this user may see.
  const bool glob = mask.find_first_of("*?") != std::string::npos;
  auto ev = chat::new_event(chat::event_kind::who_reply, "*", nick_, this);
  ev->text = whox;
  ev->target = mask;
  auto add = [&](const std::shared_ptr<chat::member>& peer) {
    const auto i = peer->info();
    if (i.invisible && peer.get() != this && !oper_ && !shares_room(i.rooms)) return;
    chat::roster_entry e;
    e.nick = i.nick;
    e.user = i.user;
    e.host = i.host;
    e.realname = i.realname;
    e.account = i.account;
    e.away = !i.away.empty();
    e.oper = i.oper;
    e.bot = i.bot;
    e.idle = i.idle;
    ev->roster.push_back(std::move(e));
  };
  if (!glob) {
    if (auto peer = hub_.directory().find(mask)) {
      add(peer);
      // One user: its first channel that this user may see, as IRC does.
      const auto i = peer->info();
      for (const auto& r : i.rooms) {
        const auto room = hub_.find_room(r);
        if (room && (!room->summary().secret || shares_room({r}))) {
          ev->room = r;
          break;
        }
      }
    }
  } else {
    hub_.directory().for_each([&](const std::shared_ptr<chat::member>& peer) {
      const auto i = peer->details();
      if (protocol::match_mask(mask, i.nick) ||
          protocol::match_mask(mask, i.nick + "!" + i.user + "@" + i.host)) {
        add(peer);
      }
    });
  }
  render_roster(ev, /*as_names=*/false);
}

void irc_door::cmd_whois(const message& m) {
  if (m.params.empty()) return reply(numeric::err_nonicknamegiven, {"No nickname given"});
  const auto& asked = m.params.back();  // WHOIS [server] nick
  auto peer = hub_.directory().find(asked);
  if (!peer) {
    reply(numeric::err_nosuchnick, {asked, "No such nick/channel"});
    return reply(numeric::rpl_endofwhois, {asked, "End of /WHOIS list"});
  }
  const auto i = peer->info();
  const auto& srv = settings_.server_name;
  reply(numeric::rpl_whoisuser, {i.nick, i.user, i.host, "*", i.realname});
  // The channels with this user's prefix in each; secret ones only to
  // their members.
  std::vector<std::string> rooms;
  for (std::size_t k = 0; k < i.rooms.size(); ++k) {
    const auto r = hub_.find_room(i.rooms[k]);
    if (r && r->summary().secret && peer.get() != this && !shares_room({i.rooms[k]})) continue;
    const char prefix = k < i.prefixes.size() ? i.prefixes[k] : ' ';
    rooms.push_back(prefix == ' ' ? i.rooms[k] : prefix + i.rooms[k]);
  }
  if (!rooms.empty()) {
    // As many lines as the list needs (50 channels of 50 bytes are 2.5 KB).
    std::string out;
    const std::array<std::string_view, 1> middle{i.nick};
    irc::append_numeric_list(out, srv, numeric::rpl_whoischannels, nick_, middle, rooms);
    send_bytes(std::move(out));
  }
  reply(numeric::rpl_whoisserver, {i.nick, srv, i.via.empty() ? settings_.network : i.via});
  if (i.oper) reply(numeric::rpl_whoisoperator, {i.nick, "is an IRC operator"});
  if (!i.away.empty()) reply(numeric::rpl_away, {i.nick, i.away});
  if (!i.account.empty()) reply(numeric::rpl_whoisaccount, {i.nick, i.account, "is logged in as"});
  if (i.bot) reply(numeric::rpl_whoisbot, {i.nick, "is a bot on " + settings_.network});
  if (i.secure) reply(numeric::rpl_whoissecure, {i.nick, "is using a secure connection"});
  // The fingerprint only to the user itself and to operators.
  if (!i.certfp.empty() && (peer.get() == this || oper_)) {
    reply(numeric::rpl_whoiscertfp, {i.nick, "has client certificate fingerprint " + i.certfp});
  }
  if (i.signon != 0) {
    reply(numeric::rpl_whoisidle,
          {i.nick, std::to_string(i.idle), std::to_string(i.signon), "seconds idle, signon time"});
  }
  reply(numeric::rpl_endofwhois, {asked, "End of /WHOIS list"});
}

void irc_door::cmd_whowas(const message& m) {
  // A count of 0 or less (or none) means every entry kept.
  std::size_t count = 0;
  if (m.params.size() > 1) {
    long long n = 0;
    const auto& p = m.params[1];
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (ec == std::errc() && end == p.data() + p.size() && n > 0) count = static_cast<std::size_t>(n);
  }
  const auto& srv = settings_.server_name;
  const auto nicks = protocol::split_list(m.params[0]);
  for (const auto nick : nicks) {
    const auto found = hub_.whowas().find(nick, count);
    if (found.empty()) reply(numeric::err_wasnosuchnick, {nick, "There was no such nickname"});
    std::string out;
    for (const auto& e : found) {
      irc::append_numeric(out, srv, numeric::rpl_whowasuser, target(),
                          {e.nick, e.user, e.host, "*", e.realname});
      std::tm tm{};
      gmtime_r(&e.when, &tm);
      irc::append_numeric(out, srv, numeric::rpl_whoisserver, target(),
                          {e.nick, srv, fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", tm)});
    }
    if (!out.empty()) send_bytes(std::move(out));
    reply(numeric::rpl_endofwhowas, {nick, "End of WHOWAS"});
  }
}

}  // namespace door
