#include "core/input.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <string>
#include <vector>

#include "protocol/spelling.hpp"

namespace client {
namespace {

struct known {
  std::string_view name;
  verb what;
  std::string_view usage;  // shown when arguments are missing
};

// Aliases come after the name shown in hints.
constexpr std::array kCommands{
    known{"who", verb::who, ""},
    known{"msg", verb::msg, "!msg <user> <text>"},
    known{"logout", verb::logout, ""},
    known{"join", verb::join, "!join <#room>"},
    known{"part", verb::part, ""},
    known{"rooms", verb::rooms, ""},
    known{"me", verb::me, "!me <action>"},
    known{"nick", verb::nick, "!nick <new nick>"},
    known{"help", verb::help, ""},
    known{"whois", verb::whois, "!whois <nick>"},
    known{"topic", verb::topic, ""},
    known{"away", verb::away, ""},
    known{"kick", verb::kick, "!kick <nick> [reason]"},
    known{"mode", verb::mode, "!mode [#room] <modes> [arguments]"},
    known{"invite", verb::invite, "!invite <nick> [#room]"},
    known{"ban", verb::ban, "!ban <nick or mask>"},
    known{"query", verb::query, "!query <nick> [text]"},
    known{"notice", verb::notice, "!notice <target> <text>"},
    known{"quote", verb::quote, "!quote <raw IRC line>"},
    known{"ignore", verb::ignore, ""},
    known{"unignore", verb::unignore, "!unignore <nick>"},
    known{"switch", verb::switch_, "!switch <#room, nick or number>"},
    // IRC habits
    known{"quit", verb::logout, ""},
    known{"exit", verb::logout, ""},
    known{"list", verb::rooms, ""},
    known{"names", verb::who, ""},
    known{"leave", verb::part, ""},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits off the first space-separated word; what follows it is kept as typed.
std::string_view next_word(std::string_view& rest) {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const auto space = rest.find(' ');
  const auto word = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  return word;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

command invalid(std::string text) {
  return {verb::invalid, {}, std::move(text)};
}

command unknown(char sigil, std::string_view name) {
  const known* best = nullptr;
  std::size_t best_distance = 3;  // suggest only close matches
  for (const auto& k : kCommands) {
    const auto d = protocol::edit_distance(name, k.name);
    if (d < best_distance) {
      best_distance = d;
      best = &k;
    }
  }
  std::string hint = "Unknown command " + std::string(1, sigil) + std::string(name) + ".";
  if (best != nullptr) hint += " Did you mean " + std::string(1, sigil) + std::string(best->name) + "?";
  hint += " Type " + std::string(1, sigil) + "help for the list.";
  return invalid(std::move(hint));
}

std::string room_name(std::string_view word) {
  if (word.empty() || word.front() == '#' || word.front() == '&') return std::string(word);
  return "#" + std::string(word);
}

}  // namespace

command parse_input(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (trim(line).empty()) return {};
  const char sigil = line.front();
  // The escape: a doubled sigil sends the line from the second one on.
  if ((sigil == '/' || sigil == '!') && line.size() > 1 && line[1] == sigil) {
    return {verb::say, {}, std::string(line.substr(1))};
  }
  if (sigil != '!' && sigil != '/') return {verb::say, {}, std::string(line)};

  std::string_view rest = line.substr(1);
  const std::string name = lower(next_word(rest));
  const auto it =
      std::find_if(kCommands.begin(), kCommands.end(), [&](const known& k) { return k.name == name; });
  if (name.empty() || it == kCommands.end()) {
    if (name.empty()) return invalid("A command name must follow " + std::string(1, sigil) + ". Type !help.");
    return unknown(sigil, name);
  }
  auto usage = [&] {
    std::string u(it->usage);
    u[0] = sigil;
    return invalid("Usage: " + u);
  };

  switch (it->what) {
    case verb::msg: {
      const auto user = next_word(rest);
      const auto text = rest;  // kept as typed
      if (user.empty() || trim(text).empty()) return usage();
      return {verb::msg, std::string(user), std::string(text)};
    }
    case verb::me:
      if (trim(rest).empty()) return usage();
      return {verb::me, {}, std::string(rest)};
    case verb::join: {
      const auto room = next_word(rest);
      if (room.empty()) return usage();
      return {verb::join, room_name(room), {}};
    }
    case verb::nick: {
      const auto nick = next_word(rest);
      if (nick.empty()) return usage();
      return {verb::nick, std::string(nick), {}};
    }
    case verb::part: {
      auto copy = rest;
      const auto first = next_word(copy);
      if (!first.empty() && (first.front() == '#' || first.front() == '&')) {
        return {verb::part, std::string(first), std::string(trim(copy))};
      }
      return {verb::part, {}, std::string(trim(rest))};
    }
    case verb::who: {
      const auto room = next_word(rest);
      return {verb::who, room.empty() ? std::string() : room_name(room), {}};
    }
    case verb::logout:
      return {verb::logout, {}, std::string(trim(rest))};
    case verb::away:
      return {verb::away, {}, std::string(trim(rest))};
    case verb::quote:
      if (trim(rest).empty()) return usage();
      return {verb::quote, {}, std::string(trim(rest))};
    case verb::mode:
      if (trim(rest).empty()) return usage();
      return {verb::mode, {}, std::string(trim(rest))};
    case verb::topic: {
      auto copy = rest;
      const auto first = next_word(copy);
      if (!first.empty() && (first.front() == '#' || first.front() == '&')) {
        return {verb::topic, std::string(first), std::string(trim(copy))};
      }
      return {verb::topic, {}, std::string(trim(rest))};
    }
    case verb::whois:
    case verb::ban:
    case verb::switch_:
    case verb::unignore: {
      const auto who = next_word(rest);
      if (who.empty()) return usage();
      return {it->what, std::string(who), {}};
    }
    case verb::ignore:
      return {verb::ignore, std::string(next_word(rest)), {}};
    case verb::kick:
    case verb::query: {
      const auto who = next_word(rest);
      if (who.empty()) return usage();
      return {it->what, std::string(who), std::string(trim(rest))};
    }
    case verb::invite: {
      const auto who = next_word(rest);
      const auto room = next_word(rest);
      if (who.empty()) return usage();
      return {verb::invite, std::string(who), room.empty() ? std::string() : room_name(room)};
    }
    case verb::notice: {
      const auto to = next_word(rest);
      if (to.empty() || trim(rest).empty()) return usage();
      return {verb::notice, std::string(to), std::string(rest)};
    }
    default:
      return {it->what, {}, {}};
  }
}

std::vector<std::string_view> command_names() {
  std::vector<std::string_view> names;
  names.reserve(kCommands.size());
  for (const auto& k : kCommands) names.push_back(k.name);
  return names;
}

std::string_view help_text() {
  return "Commands (each also works with / instead of !):\n"
         "  <text>              say something in the current room\n"
         "  !who [#room]        who is in the room\n"
         "  !msg <user> <text>  a private message\n"
         "  !me <action>        an action: * you <action>\n"
         "  !join <#room>       join a room and make it the current one\n"
         "  !part [#room]       leave a room (the current one by default)\n"
         "  !rooms              list the rooms\n"
         "  !nick <new nick>    change your nick\n"
         "  !query <nick> [text] talk privately with nick from now on (!join a room to go back)\n"
         "  !notice <to> <text> a notice to a nick or room\n"
         "  !whois <nick>       who someone is\n"
         "  !away [text]        mark yourself away (no text: back)\n"
         "  !topic [#room] [t]  show the topic, or set it to t\n"
         "  !kick <nick> [why]  remove someone from the current room (operators)\n"
         "  !ban <nick|mask>    ban from the current room (operators)\n"
         "  !invite <nick> [#r] invite someone to a room\n"
         "  !mode [#room] <m>   show or change modes (e.g. !mode +m, !mode +o bob)\n"
         "  !ignore [nick]      stop showing nick's messages (no nick: the list); !unignore <nick>\n"
         "  !switch <where>     talk in another of your rooms or queries (a name or its number; Alt-1..9)\n"
         "  !quote <line>       send a raw IRC line\n"
         "  !logout             leave (also /quit, Ctrl-D, Ctrl-C)\n"
         "  //text, !!text      say text that starts with / or !";
}

}  // namespace client
