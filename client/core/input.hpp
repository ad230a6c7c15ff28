// What the user typed, as a command. The original client's `!who`,
// `!msg <user> <text>` and `!logout`, more commands in the same style, and
// the IRC habit: every `!name` also works as `/name`. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

namespace client {

enum class verb {
  none,     // an empty line: nothing to do
  say,      // text for the current room
  me,       // an action in the current room (`!me waves`)
  who,      // the users of a room (arg: the room, or empty for the current one)
  msg,      // a private message: arg is the user, text the message
  join,     // arg: the room, always starting with '#'
  part,     // arg: the room, or empty for the current one; text: a reason
  rooms,    // the list of rooms
  nick,     // arg: the new nick
  help,     // the list of commands
  logout,   // leave (text: a reason)
  invalid,  // a known command used wrongly or an unknown one: `text` is a one-line hint
};

struct command {
  verb what = verb::none;
  std::string arg;
  std::string text;
};

// Parses one input line (without its newline). A line starting with '!' or
// '/' is a command; `//text` sends "/text" as plain text. Leading and
// trailing spaces of arguments are dropped; the text of a message is kept as
// typed.
command parse_input(std::string_view line);

// The help text: one line per command.
std::string_view help_text();

}  // namespace client
