// IRC queries about the server: LUSERS, MOTD, TIME, VERSION, INFO, ADMIN,
// LINKS, STATS and HELP.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "door/irc_door.hpp"
#include "protocol/chars.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

void irc_door::cmd_lusers(const message& /*m*/) {
  const auto users = hub_.directory().size();
  const auto connections = settings_.connections ? settings_.connections() : users;
  const auto invisible = std::min(hub_.invisible().load(std::memory_order_relaxed), users);
  const auto max = std::max(hub_.max_users(), users);
  reply(numeric::rpl_luserclient,
        {fmt::format("There are {} users and {} invisible on 1 servers", users - invisible, invisible)});
  reply(numeric::rpl_luserop, {std::to_string(hub_.opers().load()), "operator(s) online"});
  reply(numeric::rpl_luserunknown,
        {std::to_string(connections > users ? connections - users : 0), "unknown connection(s)"});
  reply(numeric::rpl_luserchannels, {std::to_string(hub_.room_count()), "channels formed"});
  reply(numeric::rpl_luserme, {fmt::format("I have {} clients and 0 servers", connections)});
  reply(numeric::rpl_localusers, {std::to_string(users), std::to_string(max),
                                  fmt::format("Current local users {}, max {}", users, max)});
  reply(numeric::rpl_globalusers, {std::to_string(users), std::to_string(max),
                                   fmt::format("Current global users {}, max {}", users, max)});
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
  isupport();
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

void irc_door::cmd_admin(const message& /*m*/) {
  reply(numeric::rpl_adminme, {settings_.server_name, "Administrative info"});
  reply(numeric::rpl_adminloc1, {settings_.admin_location});
  reply(numeric::rpl_adminloc2, {settings_.admin_institution});
  reply(numeric::rpl_adminemail, {settings_.admin_email});
}

void irc_door::cmd_links(const message& /*m*/) {
  reply(numeric::rpl_links, {settings_.server_name, settings_.server_name, "0 " + settings_.network});
  reply(numeric::rpl_endoflinks, {"*", "End of /LINKS list"});
}

void irc_door::cmd_stats(const message& m) {
  const std::string letter = m.params.empty() ? std::string() : m.params[0].substr(0, 1);
  if (letter == "u") {
    const auto up =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - settings_.started)
            .count();
    reply(numeric::rpl_statsuptime, {fmt::format("Server Up {} days {}:{:02}:{:02}", up / 86400,
                                                 up % 86400 / 3600, up % 3600 / 60, up % 60)});
  } else if (letter == "m") {
    const auto all = commands();
    const auto counts = command_counts();
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto n = counts[i].load(std::memory_order_relaxed);
      if (n > 0) reply(numeric::rpl_statscommands, {all[i].name, std::to_string(n)}, irc::last_param::plain);
    }
  }
  reply(numeric::rpl_endofstats, {letter.empty() ? "*" : letter, "End of /STATS report"});
}

void irc_door::cmd_help(const message& m) {
  std::string subject = m.params.empty() ? std::string() : m.params[0];
  std::transform(subject.begin(), subject.end(), subject.begin(), protocol::to_upper);
  if (subject.empty()) {
    reply(numeric::rpl_helpstart, {"*", "Commands (HELP <command> for one of them):"});
    std::string names;
    for (const auto& c : commands()) {
      if (c.oper_only && !oper_) continue;
      if (names.size() + c.name.size() + 1 > 300) {
        reply(numeric::rpl_helptxt, {"*", names});
        names.clear();
      }
      if (!names.empty()) names += ' ';
      names += c.name;
    }
    reply(numeric::rpl_helptxt, {"*", names});
    return reply(numeric::rpl_endofhelp, {"*", "End of /HELP"});
  }
  const auto* c = find_command(subject);
  if (c == nullptr) return reply(numeric::err_helpnotfound, {subject, "No help available on this topic"});
  reply(numeric::rpl_helpstart, {c->name, c->name});
  reply(numeric::rpl_helptxt, {c->name, c->help});
  reply(numeric::rpl_endofhelp, {c->name, "End of /HELP"});
}

}  // namespace door
