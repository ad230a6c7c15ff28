// The IRC command table: what exists, when it may run, who may run it, and
// what HELP says of it. dispatch() (irc_door.cpp) makes the checks every row
// states; the handlers live in a file per topic. Adding a command is one row
// here and its handler.
#include <algorithm>
#include <array>

#include "door/irc_door.hpp"

namespace door {

namespace {

using p = irc_door::phase;
using spec = irc_door::command_spec;

}  // namespace

std::span<const irc_door::command_spec> irc_door::commands() noexcept {
  // Sorted by name, which find_command() relies on (checked below).
  static constexpr std::array kCommands = {
      //   name       min  when            oper   handler
      spec{"ADMIN", 0, p::registered, false, &irc_door::cmd_admin,
           "ADMIN: who runs this server, and how to reach them."},
      spec{"AUTHENTICATE", 1, p::any, false, &irc_door::cmd_authenticate,
           "AUTHENTICATE <mechanism>|<base64>|*: SASL login (PLAIN, SCRAM-SHA-256), before or after "
           "registering."},
      spec{"AWAY", 0, p::registered, false, &irc_door::cmd_away,
           "AWAY [:<message>]: marks you away with the message, or back without one."},
      spec{"CAP", 1, p::any, false, &irc_door::cmd_cap,
           "CAP LS [302] | LIST | REQ :<caps> | END: negotiates IRCv3 capabilities."},
      spec{"CHATHISTORY", 1, p::registered, false, &irc_door::cmd_chathistory,
           "CHATHISTORY LATEST|BEFORE|AFTER|AROUND|BETWEEN|TARGETS ...: earlier messages (IRCv3 "
           "chathistory)."},
      spec{"CHGHOST", 3, p::registered, true, &irc_door::cmd_chghost,
           "CHGHOST <nick> <user> <host>: (operators) changes a user's user name and host."},
      spec{"DIE", 0, p::registered, true, &irc_door::cmd_die,
           "DIE: (operators) stops the server gracefully."},
      spec{"HELP", 0, p::any, false, &irc_door::cmd_help,
           "HELP [<command>]: help on a command, or the list."},
      spec{"HELPOP", 0, p::any, false, &irc_door::cmd_help, "HELPOP [<command>]: the same as HELP."},
      spec{"INFO", 0, p::registered, false, &irc_door::cmd_info, "INFO: what this server is."},
      spec{"INVITE", 2, p::registered, false, &irc_door::cmd_invite,
           "INVITE <nick> <channel>: invites someone (on +i channels, operators only)."},
      spec{"ISON", 1, p::registered, false, &irc_door::cmd_ison,
           "ISON <nick>...: which of these nicks are online."},
      spec{"JOIN", 1, p::registered, false, &irc_door::cmd_join,
           "JOIN <channel>[,<channel>...] [<key>...] | 0: joins channels (0: leaves them all)."},
      spec{"KICK", 2, p::registered, false, &irc_door::cmd_kick,
           "KICK <channel> <nick>[,<nick>...] [:<reason>]: (channel operators) removes up to 4 users."},
      spec{"KILL", 2, p::registered, true, &irc_door::cmd_kill,
           "KILL <nick> :<reason>: (operators) disconnects a user."},
      spec{"LINKS", 0, p::registered, false, &irc_door::cmd_links, "LINKS: the servers of this network."},
      spec{"LIST", 0, p::registered, false, &irc_door::cmd_list,
           "LIST [<channel>,...] [<filter>,...]: channels, filtered by mask (M, !mask), users (>n, <n), "
           "creation (C>m, C<m) or topic time (T>m, T<m), in minutes ago."},
      spec{"LUSERS", 0, p::registered, false, &irc_door::cmd_lusers, "LUSERS: how many users and channels."},
      spec{"MARKREAD", 0, p::registered, false, &irc_door::cmd_markread,
           "MARKREAD <target> [timestamp=<time>]: where you have read up to in a channel or a private "
           "conversation, shared by all your clients (IRCv3 read-marker; needs an account)."},
      spec{"MODE", 1, p::registered, false, &irc_door::cmd_mode,
           "MODE <channel> [<modes> [<args>...]] | <nick> [<modes>]: channel modes (o v b e I q k l i m n s "
           "t) "
           "or your own (i w B, and -o)."},
      spec{"MONITOR", 1, p::registered, false, &irc_door::cmd_monitor,
           "MONITOR + <nicks> | - <nicks> | C | L | S: to be told when nicks come online or go offline."},
      spec{"MOTD", 0, p::registered, false, &irc_door::cmd_motd, "MOTD: the message of the day."},
      spec{"NAMES", 0, p::registered, false, &irc_door::cmd_names, "NAMES <channel>: who is in a channel."},
      spec{"NICK", 0, p::any, false, &irc_door::cmd_nick, "NICK <nick>: your nick, or a new one."},
      spec{"NOTICE", 0, p::registered, false, &irc_door::cmd_message,
           "NOTICE <target>[,...] :<text>: a message that must not be answered automatically."},
      spec{"OPER", 2, p::registered, false, &irc_door::cmd_oper,
           "OPER <name> <password>: become an IRC operator."},
      spec{"PART", 1, p::registered, false, &irc_door::cmd_part,
           "PART <channel>[,...] [:<reason>]: leaves channels."},
      spec{"PASS", 1, p::unregistered, false, &irc_door::cmd_pass,
           "PASS <password>: the server password, before NICK and USER."},
      spec{"PING", 0, p::any, false, &irc_door::cmd_ping, "PING <token>: the server answers PONG <token>."},
      spec{"PONG", 0, p::any, false, &irc_door::cmd_pong, "PONG <token>: the answer to the server's PING."},
      spec{"PRIVMSG", 0, p::registered, false, &irc_door::cmd_message,
           "PRIVMSG <target>[,...] :<text>: a message to up to 4 channels or nicks (@#channel: its "
           "operators)."},
      spec{"QUIT", 0, p::any, false, &irc_door::cmd_quit, "QUIT [:<reason>]: leaves the server."},
      spec{"REGISTER", 3, p::any, false, &irc_door::cmd_register,
           "REGISTER <account>|* <email>|* <password>: register your nick as an account."},
      spec{"REHASH", 0, p::registered, true, &irc_door::cmd_rehash,
           "REHASH: (operators) reads the configuration again."},
      spec{"RENAME", 2, p::registered, false, &irc_door::cmd_rename,
           "RENAME <channel> <new name> [:<reason>]: (channel operators) renames a channel, keeping "
           "everything."},
      spec{"SETNAME", 1, p::registered, false, &irc_door::cmd_setname,
           "SETNAME :<real name>: changes your real name."},
      spec{"STATS", 0, p::registered, false, &irc_door::cmd_stats,
           "STATS u | m: the server's uptime, or how often each command ran."},
      spec{"TAGMSG", 0, p::registered, false, &irc_door::cmd_message,
           "TAGMSG <target>: client tags without text (IRCv3 message-tags)."},
      spec{"TIME", 0, p::registered, false, &irc_door::cmd_time, "TIME: the server's time."},
      spec{"TOPIC", 1, p::registered, false, &irc_door::cmd_topic,
           "TOPIC <channel> [:<topic>]: a channel's topic, or a new one."},
      spec{"USER", 4, p::unregistered, false, &irc_door::cmd_user,
           "USER <user> 0 * :<real name>: your user name and real name, at registration."},
      spec{"USERHOST", 1, p::registered, false, &irc_door::cmd_userhost,
           "USERHOST <nick>...: the user@host of up to 5 nicks."},
      spec{"VERIFY", 2, p::any, false, &irc_door::cmd_verify,
           "VERIFY <account> <code>: not needed here (accounts work at once)."},
      spec{"VERSION", 0, p::registered, false, &irc_door::cmd_version, "VERSION: the server's version."},
      spec{"WALLOPS", 1, p::registered, true, &irc_door::cmd_wallops,
           "WALLOPS :<text>: (operators) a message to operators and users with +w."},
      spec{"WHO", 0, p::registered, false, &irc_door::cmd_who,
           "WHO <channel> | <mask> [%<fields>[,<token>]]: who is there (WHOX: fields tcuihsnfdlaor)."},
      spec{"WHOIS", 0, p::registered, false, &irc_door::cmd_whois, "WHOIS <nick>: about a user."},
      spec{"WHOWAS", 1, p::registered, false, &irc_door::cmd_whowas,
           "WHOWAS <nick> [<count>]: who recently had a nick (count 0 or negative: all)."},
  };
  static_assert(std::is_sorted(kCommands.begin(), kCommands.end(),
                               [](const spec& a, const spec& b) { return a.name < b.name; }));
  return kCommands;
}

const irc_door::command_spec* irc_door::find_command(std::string_view name) noexcept {
  const auto all = commands();
  const auto it = std::lower_bound(all.begin(), all.end(), name,
                                   [](const command_spec& c, std::string_view n) { return c.name < n; });
  return it != all.end() && it->name == name ? &*it : nullptr;
}

std::span<std::atomic<std::uint64_t>> irc_door::command_counts() noexcept {
  static std::array<std::atomic<std::uint64_t>, 64> counts{};
  return std::span(counts).first(commands().size());
}

}  // namespace door
