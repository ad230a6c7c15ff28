// What the user typed, as a command. The original client's `!who`,
// `!msg <user> <text>` and `!logout`, more commands in the same style, and
// the IRC habit: every `!name` also works as `/name`. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace client {

enum class verb {
  none,      // an empty line: nothing to do
  say,       // text for the current room
  me,        // an action in the current room (`!me waves`)
  who,       // the users of a room (arg: the room, or empty for the current one)
  msg,       // a private message: arg is the user, text the message
  join,      // arg: the room, always starting with '#'
  part,      // arg: the room, or empty for the current one; text: a reason
  rooms,     // the list of rooms
  nick,      // arg: the new nick
  help,      // the list of commands
  whois,     // arg: the nick
  topic,     // arg: the room (or empty: the current one); text: the new topic (empty: show it)
  away,      // text: the away message (empty: back)
  kick,      // arg: the nick; text: a reason
  mode,      // text: the MODE parameters as typed (a room first, or the current room is used)
  invite,    // arg: the nick; text: the room (empty: the current one)
  ban,       // arg: a nick or mask (nick!user@host; a nick alone becomes nick!*@*)
  query,     // arg: the nick to talk to privately from now on; text: a first message, if any
  notice,    // arg: the target; text: the notice
  quote,     // text: a raw IRC line, sent as typed
  ignore,    // arg: a nick whose messages are no longer shown (empty: the list)
  unignore,  // arg: a nick shown again
  switch_,   // arg: a room or nick talked with, or its number in the status (1-9): make it current
  logout,    // leave (text: a reason)
  invalid,   // a known command used wrongly or an unknown one: `text` is a one-line hint
};

struct command {
  verb what = verb::none;
  std::string arg;
  std::string text;
};

// Parses one input line (without its newline). A line starting with '!' or
// '/' is a command; a doubled first character sends the rest as plain text:
// `//text` says "/text" and `!!wow` says "!wow". Leading and
// trailing spaces of arguments are dropped; the text of a message is kept as
// typed.
command parse_input(std::string_view line);

// The help text: one line per command.
std::string_view help_text();

// Every command name (without its sigil), for completion.
std::vector<std::string_view> command_names();

}  // namespace client
