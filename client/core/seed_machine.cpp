#include "core/seed_machine.hpp"

#include <utility>

#include "core/input.hpp"
#include "protocol/errc.hpp"

namespace client {

seed_machine::seed_machine(std::string name, style look) : name_(std::move(name)), look_(look) {}

std::string seed_machine::prompt() const {
  return awaiting_name_ ? "Username: " : "> ";
}

effects seed_machine::connected() {
  logged_in_ = false;
  quitting_ = false;
  failed_ = false;
  decoder_ = protocol::seed::frame_decoder(kMaxServerFrame);
  effects out;
  protocol::seed::append_frame(out.send, name_);
  return out;
}

void seed_machine::show_payload(effects& out, std::string_view payload) const {
  // One frame may hold several lines (the !who reply does).
  for (;;) {
    const auto nl = payload.find('\n');
    out.show.push_back(sanitize(payload.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    payload.remove_prefix(nl + 1);
  }
}

effects seed_machine::on_bytes(std::string_view bytes) {
  effects out;
  auto result = decoder_.consume(bytes, [&](std::string_view payload) {
    out.merge(on_frame(payload));
    return true;
  });
  if (!result) {
    failed_ = true;
    out.show.push_back(
        look_.strong("Invalid data from the server: " + std::string(protocol::describe(result.error()))));
  }
  return out;
}

effects seed_machine::on_frame(std::string_view payload) {
  effects out;
  if (logged_in_) {
    show_payload(out, payload);
    return out;
  }
  if (payload == protocol::seed::kYouJoined) {
    logged_in_ = true;
    out.registered = true;
    show_payload(out, payload);
    for (auto& line : std::exchange(queued_, {})) out.merge(on_input(line));
    return out;
  }
  // Anything else first is the server refusing the name; it closes next.
  show_payload(out, payload);
  out.show.push_back("Choose another name.");
  awaiting_name_ = true;
  out.relogin = true;
  out.prompt = prompt();
  if (!queued_.empty()) {
    auto answer = std::move(queued_.front());
    queued_.erase(queued_.begin());
    out.merge(on_input(answer));
  }
  return out;
}

effects seed_machine::on_end_of_input() {
  if (awaiting_name_ || !logged_in_) {
    if (queued_.empty() || awaiting_name_) {
      quitting_ = true;
      effects out;
      out.quit = true;
      return out;
    }
  }
  return on_input("!logout");
}

effects seed_machine::on_input(std::string_view line) {
  effects out;
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (awaiting_name_) {
    if (line.empty()) return out;
    name_ = std::string(line);
    awaiting_name_ = false;
    out.prompt = prompt();
    return out;
  }
  if (!logged_in_) {
    queued_.emplace_back(line);
    return out;
  }
  const auto c = parse_input(line);
  switch (c.what) {
    case verb::none:
      break;
    case verb::say:
      protocol::seed::append_frame(out.send, c.text);
      out.show.push_back(look_.nick(name_) + " > " + sanitize(c.text));
      break;
    case verb::who:
      protocol::seed::append_frame(out.send, "!who");
      break;
    case verb::me:
      // The original protocol has no emote: sent as a CTCP ACTION, which
      // our server shows IRC users as /me and seed users as "* name text".
      protocol::seed::append_frame(out.send,
                                   "\x01"
                                   "ACTION " +
                                       c.text + "\x01");
      out.show.push_back("* " + look_.nick(name_) + " " + sanitize(c.text));
      break;
    case verb::query:
      // One room only: a query with a message is a private message; one
      // without cannot change where lines go.
      if (c.text.empty()) {
        out.show.push_back(look_.dim("Not available with --seed: use !msg <user> <text>."));
        break;
      }
      [[fallthrough]];
    case verb::msg:
      protocol::seed::append_frame(out.send, "!msg " + c.arg + " " + c.text);
      out.show.push_back(look_.strong("privately to ") + look_.nick(c.arg) + " > " + sanitize(c.text));
      break;
    case verb::logout:
      protocol::seed::append_frame(out.send, "!logout");
      quitting_ = true;
      out.quit = true;
      break;
    case verb::help:
      out.show.emplace_back(
          "Commands: <text>, !who, !msg <user> <text>, !logout (the original chatroom's), and !me <action>.");
      break;
    case verb::invalid:
      out.show.push_back(look_.dim(c.text));
      break;
    default:
      out.show.push_back(
          look_.dim("Not available with --seed: the original protocol has one room. Type !help."));
      break;
  }
  return out;
}

}  // namespace client
