// The IRC command table: what exists, when it may run, and who may run it.
// dispatch() (irc_door.cpp) makes the checks every row states; the handlers
// live in a file per topic. Adding a command is one row here and its handler.
#include <algorithm>
#include <array>

#include "door/irc_door.hpp"

namespace door {

std::span<const irc_door::command_spec> irc_door::commands() noexcept {
  using p = phase;
  // Sorted by name, which find_command() relies on (checked below).
  static constexpr std::array kCommands = {
      //      name        min  when              oper   handler
      command_spec{"AWAY", 0, p::registered, false, &irc_door::cmd_away},
      command_spec{"CAP", 0, p::any, false, &irc_door::cmd_cap},
      command_spec{"DIE", 0, p::registered, true, &irc_door::cmd_die},
      command_spec{"INFO", 0, p::registered, false, &irc_door::cmd_info},
      command_spec{"INVITE", 2, p::registered, false, &irc_door::cmd_invite},
      command_spec{"ISON", 1, p::registered, false, &irc_door::cmd_ison},
      command_spec{"JOIN", 1, p::registered, false, &irc_door::cmd_join},
      command_spec{"KICK", 2, p::registered, false, &irc_door::cmd_kick},
      command_spec{"KILL", 2, p::registered, true, &irc_door::cmd_kill},
      command_spec{"LIST", 0, p::registered, false, &irc_door::cmd_list},
      command_spec{"LUSERS", 0, p::registered, false, &irc_door::cmd_lusers},
      command_spec{"MODE", 1, p::registered, false, &irc_door::cmd_mode},
      command_spec{"MOTD", 0, p::registered, false, &irc_door::cmd_motd},
      command_spec{"NAMES", 0, p::registered, false, &irc_door::cmd_names},
      command_spec{"NICK", 0, p::any, false, &irc_door::cmd_nick},
      command_spec{"NOTICE", 0, p::registered, false, &irc_door::cmd_message},
      command_spec{"OPER", 2, p::registered, false, &irc_door::cmd_oper},
      command_spec{"PART", 1, p::registered, false, &irc_door::cmd_part},
      command_spec{"PASS", 1, p::unregistered, false, &irc_door::cmd_pass},
      command_spec{"PING", 0, p::any, false, &irc_door::cmd_ping},
      command_spec{"PONG", 0, p::any, false, &irc_door::cmd_pong},
      command_spec{"PRIVMSG", 0, p::registered, false, &irc_door::cmd_message},
      command_spec{"QUIT", 0, p::any, false, &irc_door::cmd_quit},
      command_spec{"REHASH", 0, p::registered, true, &irc_door::cmd_rehash},
      command_spec{"TAGMSG", 0, p::registered, false, &irc_door::cmd_message},
      command_spec{"TIME", 0, p::registered, false, &irc_door::cmd_time},
      command_spec{"TOPIC", 1, p::registered, false, &irc_door::cmd_topic},
      command_spec{"USER", 4, p::unregistered, false, &irc_door::cmd_user},
      command_spec{"USERHOST", 1, p::registered, false, &irc_door::cmd_userhost},
      command_spec{"VERSION", 0, p::registered, false, &irc_door::cmd_version},
      command_spec{"WALLOPS", 1, p::registered, true, &irc_door::cmd_wallops},
      command_spec{"WHO", 0, p::registered, false, &irc_door::cmd_who},
      command_spec{"WHOIS", 0, p::registered, false, &irc_door::cmd_whois},
  };
  static_assert(std::is_sorted(kCommands.begin(), kCommands.end(),
                               [](const command_spec& a, const command_spec& b) { return a.name < b.name; }));
  return kCommands;
}

const irc_door::command_spec* irc_door::find_command(std::string_view name) noexcept {
  const auto all = commands();
  const auto it = std::lower_bound(all.begin(), all.end(), name,
                                   [](const command_spec& c, std::string_view n) { return c.name < n; });
  return it != all.end() && it->name == name ? &*it : nullptr;
}

}  // namespace door
