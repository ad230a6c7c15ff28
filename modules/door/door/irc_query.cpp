// IRC queries about users and the server: WHO, WHOIS, ISON, USERHOST, AWAY,
// LUSERS, MOTD, TIME, VERSION.
#include <fmt/format.h>

#include <array>
#include <vector>

#include "door/irc_door.hpp"
#include "protocol/lists.hpp"
#include "protocol/utf8.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

void irc_door::cmd_who(const message& m) {
  const std::string mask = m.params.empty() ? "*" : m.params[0];
  if (mask.starts_with('#')) {
    if (auto r = hub_.find_room(mask)) return r->who(as_actor());
    return reply(numeric::rpl_endofwho, {mask, "End of /WHO list"});
  }
  if (auto peer = hub_.directory().find(mask)) {
    const auto i = peer->info();
    const std::string flags = i.away.empty() ? "H" : "G";
    reply(numeric::rpl_whoreply, {i.rooms.empty() ? "*" : i.rooms.front(), i.user, i.host,
                                  settings_.server_name, i.nick, flags, "0 " + i.realname});
  }
  reply(numeric::rpl_endofwho, {mask, "End of /WHO list"});
}

void irc_door::cmd_whois(const message& m) {
  if (m.params.empty()) return reply(numeric::err_nonicknamegiven, {"No nickname given"});
  const auto& target = m.params.back();  // WHOIS [server] nick
  auto peer = hub_.directory().find(target);
  if (!peer) {
    reply(numeric::err_nosuchnick, {target, "No such nick/channel"});
    return reply(numeric::rpl_endofwhois, {target, "End of /WHOIS list"});
  }
  const auto i = peer->info();
  reply(numeric::rpl_whoisuser, {i.nick, i.user, i.host, "*", i.realname});
  if (!i.rooms.empty()) {
    // As many lines as the list needs (50 channels of 50 bytes are 2.5 KB).
    std::string out;
    const std::array<std::string_view, 1> middle{i.nick};
    irc::append_numeric_list(out, settings_.server_name, numeric::rpl_whoischannels, nick_, middle, i.rooms);
    send_bytes(std::move(out));
  }
  reply(numeric::rpl_whoisserver, {i.nick, settings_.server_name, i.via.empty() ? settings_.network : i.via});
  if (!i.away.empty()) reply(numeric::rpl_away, {i.nick, i.away});
  reply(numeric::rpl_endofwhois, {i.nick, "End of /WHOIS list"});
}

void irc_door::cmd_away(const message& m) {
  const std::string text = m.params.empty()
                               ? std::string()
                               : std::string(protocol::utf8_clip(m.params[0], protocol::kMaxAwayLength));
  {
    const std::lock_guard lock(info_mutex_);
    away_ = text;
  }
  if (text.empty()) return reply(numeric::rpl_unaway, {"You are no longer marked as being away"});
  reply(numeric::rpl_nowaway, {"You have been marked as being away"});
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
      const auto i = peer->info();
      found.push_back(fmt::format("{}={}{}@{}", i.nick, i.away.empty() ? '+' : '-', i.user, i.host));
    }
  }
  std::string out;
  irc::append_numeric_list(out, settings_.server_name, numeric::rpl_userhost, nick_, {}, found);
  send_bytes(std::move(out));
}

void irc_door::cmd_lusers(const message& /*m*/) {
  const auto users = hub_.directory().size();
  reply(numeric::rpl_luserclient, {fmt::format("There are {} users and 0 invisible on 1 servers", users)});
  reply(numeric::rpl_luserchannels, {std::to_string(hub_.room_count()), "channels formed"});
  reply(numeric::rpl_luserme, {fmt::format("I have {} clients and 0 servers",
                                           settings_.connections ? settings_.connections() : users)});
}

void irc_door::cmd_motd(const message& /*m*/) {
  const auto live = settings_.live->get();
  if (live->motd.empty()) return reply(numeric::err_nomotd, {"MOTD File is missing"});
  reply(numeric::rpl_motdstart, {fmt::format("- {} Message of the day - ", settings_.server_name)});
  for (const auto& line : live->motd) reply(numeric::rpl_motd, {"- " + line});
  reply(numeric::rpl_endofmotd, {"End of /MOTD command"});
}

void irc_door::cmd_time(const message& /*m*/) {
  reply(numeric::rpl_time,
        {settings_.server_name, irc::format_server_time(std::chrono::system_clock::now())});
}

void irc_door::cmd_version(const message& /*m*/) {
  reply(numeric::rpl_version, {settings_.version, settings_.server_name, "Coroutine chat server"});
}

void irc_door::cmd_info(const message& /*m*/) {
  for (const auto line : {std::string_view("chat: a coroutine chat server (C++20, standalone Asio)"),
                          std::string_view("IRC and the seed chatroom protocol on the same rooms"),
                          std::string_view("See the README for its commands, limits and behaviour")}) {
    reply(numeric::rpl_info, {line});
  }
  reply(numeric::rpl_info, {"Version " + settings_.version + ", up since " + settings_.created});
  reply(numeric::rpl_endofinfo, {"End of /INFO list"});
}

}  // namespace door
