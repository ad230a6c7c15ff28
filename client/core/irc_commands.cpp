// Typed commands turned into IRC lines (the other half of irc_machine:
// irc_machine.cpp reads the server's lines).
#include <algorithm>

#include "core/irc_machine.hpp"
#include "protocol/irc.hpp"
#include "protocol/nick.hpp"

namespace client {

effects irc_machine::command(const struct command& c) {
  effects out;
  auto need_room = [&] {
    if (!current_.empty()) return true;
    out.show.push_back(look_.dim("You are in no room. Type !join <#room>."));
    return false;
  };
  // Commands about a room need one: not a private conversation.
  auto need_channel = [&] {
    if (is_room(current_)) return true;
    out.show.push_back(look_.dim("That works in a room: type !join <#room> first."));
    return false;
  };
  switch (c.what) {
    case verb::none:
      break;
    case verb::say:
      if (need_room()) say(out, current_, c.text, false);
      break;
    case verb::me:
      if (need_room()) say(out, current_, c.text, true);
      break;
    case verb::msg:
      say(out, c.arg, c.text, false);
      break;
    case verb::who: {
      const auto room = c.arg.empty() ? current_ : c.arg;
      if (room.empty()) {
        need_room();
        break;
      }
      ++who_asked_[protocol::fold_nick(room)];
      send(out, "NAMES " + room);
      break;
    }
    case verb::join: {
      const auto known =
          std::find_if(rooms_.begin(), rooms_.end(), [&](const auto& r) { return same(r, c.arg); });
      if (known != rooms_.end()) {
        make_current(out, *known);
        out.show.push_back(look_.dim("Now talking in " + sanitize(current_) + "."));
        break;
      }
      send(out, "JOIN " + c.arg);
      // Typed lines go to the new room from now on, as the user expects; a
      // refused JOIN (403, 471, 473-475) puts the previous room back.
      previous_ = current_;
      current_ = c.arg;
      changed(out);
      break;
    }
    case verb::part: {
      const auto room = c.arg.empty() ? current_ : c.arg;
      if (room.empty()) {
        need_room();
        break;
      }
      send(out, c.text.empty() ? "PART " + room : "PART " + room + " :" + c.text);
      break;
    }
    case verb::rooms:
      listing_.clear();
      send(out, "LIST");
      break;
    case verb::nick:
      send(out, "NICK " + c.arg);
      break;
    case verb::help: {
      std::string_view text = help_text();
      while (!text.empty()) {
        const auto nl = text.find('\n');
        out.show.emplace_back(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
      }
      break;
    }
    case verb::whois:
      send(out, "WHOIS " + c.arg);
      break;
    case verb::topic: {
      const auto room = c.arg.empty() ? current_ : c.arg;
      if (!is_room(room)) {
        need_room();
        break;
      }
      send(out, c.text.empty() ? "TOPIC " + room : "TOPIC " + room + " :" + c.text);
      break;
    }
    case verb::away:
      send(out, c.text.empty() ? std::string("AWAY") : "AWAY :" + c.text);
      break;
    case verb::kick:
      if (!need_channel()) break;
      send(out, "KICK " + current_ + " " + c.arg + (c.text.empty() ? std::string() : " :" + c.text));
      break;
    case verb::ban:
      if (!need_channel()) break;
      // A nick alone bans every address it may come from.
      send(out, "MODE " + current_ + " +b " +
                    (c.arg.find_first_of("!@*") == std::string::npos ? c.arg + "!*@*" : c.arg));
      break;
    case verb::mode:
      if (is_room(c.text) || c.text.starts_with(nick_ + " ") || c.text == nick_) {
        send(out, "MODE " + c.text);
      } else if (need_channel()) {
        send(out, "MODE " + current_ + " " + c.text);
      }
      break;
    case verb::invite: {
      const auto room = c.text.empty() ? current_ : c.text;
      if (!is_room(room)) {
        need_room();
        break;
      }
      send(out, "INVITE " + c.arg + " " + room);
      break;
    }
    case verb::query: {
      // Lines typed from now on go to the nick, until a !join or !query.
      const bool opened = std::none_of(queries_.begin(), queries_.end(),
                                       [&](const std::string& q) { return same(q, c.arg); });
      if (opened) queries_.push_back(c.arg);
      make_current(out, c.arg);
      out.show.push_back(look_.dim("Talking privately with ") + look_.nick(c.arg) +
                         look_.dim(". Type !join <#room> to talk in a room again."));
      // A new conversation starts with what was said before.
      if (opened) request_history(out, c.arg);
      if (!c.text.empty()) say(out, c.arg, c.text, false);
      break;
    }
    case verb::notice:
      send(out, "NOTICE " + c.arg + " :" + c.text);
      if (!echo_)
        out.show.push_back(look_.dim("-notice to ") + look_.nick(c.arg) + look_.dim("- ") + sanitize(c.text));
      break;
    case verb::switch_: {
      const auto places = conversations();
      std::string to;
      if (c.arg.size() == 1 && c.arg[0] >= '1' && c.arg[0] <= '9') {
        const auto n = static_cast<std::size_t>(c.arg[0] - '1');
        if (n < places.size()) to = places[n];
      } else {
        const auto it = std::find_if(places.begin(), places.end(), [&](const std::string& p) {
          return same(p, c.arg) || (!is_room(c.arg) && same(p, "#" + c.arg));
        });
        if (it != places.end()) to = *it;
      }
      if (to.empty()) {
        out.show.push_back(
            look_.dim("No such room or conversation: " + sanitize(c.arg) + ". Type !join <#room>."));
        break;
      }
      make_current(out, to);
      out.show.push_back(
          look_.dim("Now talking " + std::string(is_room(to) ? "in " : "with ") + sanitize(to) + "."));
      break;
    }
    case verb::quote:
      send(out, c.text);
      break;
    case verb::ignore:
      if (c.arg.empty()) {
        if (ignored_.empty()) {
          out.show.push_back(look_.dim("You ignore no one."));
        } else {
          std::string list;
          for (const auto& n : ignored_) list += (list.empty() ? "" : ", ") + n;
          out.show.push_back(look_.dim("Ignored: ") + sanitize(list));
        }
        break;
      }
      ignored_.insert(protocol::fold_nick(c.arg));
      out.show.push_back(look_.dim("Ignoring ") + look_.nick(c.arg) +
                         look_.dim(": !unignore " + sanitize(c.arg) + " to see them again."));
      break;
    case verb::unignore:
      if (ignored_.erase(protocol::fold_nick(c.arg)) == 0) {
        out.show.push_back(look_.dim("You were not ignoring " + sanitize(c.arg) + "."));
      } else {
        out.show.push_back(look_.dim("No longer ignoring ") + look_.nick(c.arg));
      }
      break;
    case verb::logout:
      quitting_ = true;
      out.quit = true;
      send(out, "QUIT :" + (c.text.empty() ? std::string("Leaving") : c.text));
      break;
    case verb::invalid:
      out.show.push_back(look_.dim(c.text));
      break;
  }
  return out;
}

}  // namespace client
