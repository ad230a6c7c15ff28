// IRC registration (PASS, NICK, USER), capability negotiation (CAP), and the
// commands of the connection itself (PING, PONG, QUIT).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "door/irc_door.hpp"
#include "door/secret.hpp"
#include "protocol/chars.hpp"
#include "protocol/lists.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

namespace {

// Capabilities we implement, and therefore advertise.
constexpr std::array<std::string_view, 4> kCaps = {"echo-message", "message-tags", "multi-prefix",
                                                   "server-time"};

}  // namespace

void irc_door::cmd_cap(const message& m) {
  const std::string_view sub = m.params.empty() ? "" : std::string_view(m.params[0]);
  if (sub == "LS") {
    if (!registered_) cap_negotiating_ = true;
    std::string all;
    for (const auto cap : kCaps) {
      if (!all.empty()) all += ' ';
      all += cap;
    }
    server_line("CAP", {target(), "LS", all});
  } else if (sub == "LIST") {
    std::string on;
    auto add = [&](bool enabled, std::string_view name) {
      if (!enabled) return;
      if (!on.empty()) on += ' ';
      on += name;
    };
    add(echo_message_, "echo-message");
    add(message_tags_, "message-tags");
    add(multi_prefix_, "multi-prefix");
    add(server_time_, "server-time");
    server_line("CAP", {target(), "LIST", on});
  } else if (sub == "REQ") {
    if (!registered_) cap_negotiating_ = true;
    const std::string_view wanted = m.params.size() > 1 ? std::string_view(m.params[1]) : "";
    // All or nothing, as the specification requires.
    const auto names = protocol::split_words(wanted);
    const bool known = !names.empty() && std::all_of(names.begin(), names.end(), [](std::string_view n) {
      if (n.starts_with('-')) n.remove_prefix(1);
      return std::find(kCaps.begin(), kCaps.end(), n) != kCaps.end();
    });
    if (!known) {
      server_line("CAP", {target(), "NAK", wanted});
      return;
    }
    for (auto n : names) {
      const bool enable = !n.starts_with('-');
      if (!enable) n.remove_prefix(1);
      if (n == "echo-message") echo_message_ = enable;
      if (n == "message-tags") message_tags_ = enable;
      if (n == "multi-prefix") multi_prefix_ = enable;
      if (n == "server-time") server_time_ = enable;
    }
    server_line("CAP", {target(), "ACK", wanted});
  } else if (sub == "END") {
    if (!registered_) {
      cap_negotiating_ = false;
      try_finish_registration();
    }
  } else {
    reply(numeric::err_invalidcapcmd, {sub, "Invalid CAP command"});
  }
}

void irc_door::cmd_pass(const message& m) {
  const auto live = settings_.live->get();
  pass_ok_ = live->password.empty() || same_secret(m.params[0], live->password);
}

void irc_door::cmd_user(const message& m) {
  if (m.params[0].empty()) return reply(numeric::err_needmoreparams, {"USER", "Not enough parameters"});
  if (!user_.empty()) return reply(numeric::err_alreadyregistered, {"You may not reregister"});
  // The user name shows in nick!user@host: keep it to nick characters.
  std::string user;
  for (const char c : m.params[0]) {
    if (user.size() == protocol::kMaxNickLength) break;
    if (protocol::is_letter(c) || protocol::is_digit(c) || c == '-' || c == '_' || c == '.') user += c;
  }
  user_ = user.empty() ? "user" : "~" + user;
  realname_ = protocol::utf8_clip(m.params[3], protocol::kMaxRealnameLength);
  try_finish_registration();
}

void irc_door::cmd_nick(const message& m) {
  if (m.params.empty() || m.params[0].empty())
    return reply(numeric::err_nonicknamegiven, {"No nickname given"});
  const auto& wanted = m.params[0];
  if (!protocol::parse_nick(wanted).has_value()) {
    return reply(numeric::err_erroneusnickname, {wanted, "Erroneous nickname"});
  }
  if (wanted == nick_) return;
  if (nick_.empty()) {
    if (!hub_.directory().claim(wanted, self())) {
      return reply(numeric::err_nicknameinuse, {wanted, "Nickname is already in use"});
    }
    {
      const std::lock_guard lock(info_mutex_);
      nick_ = wanted;
    }
    try_finish_registration();
    return;
  }
  if (!hub_.directory().rename(nick_, wanted, self())) {
    return reply(numeric::err_nicknameinuse, {wanted, "Nickname is already in use"});
  }
  if (!registered_) {
    {
      const std::lock_guard lock(info_mutex_);
      nick_ = wanted;
    }
    try_finish_registration();
    return;
  }
  auto ev = chat::new_event(chat::event_kind::nick_changed, {}, nick_, this);
  ev->source = source();
  ev->target = wanted;
  send_bytes(irc::encode_line({{}, ev->source, "NICK"}, {wanted}));
  std::vector<std::shared_ptr<chat::room>> rooms;
  {
    const std::lock_guard lock(info_mutex_);
    nick_ = wanted;
    for (const auto& [key, r] : rooms_) rooms.push_back(r);
  }
  for (const auto& r : rooms) r->rename(this, ev);
}

void irc_door::cmd_ping(const message& m) {
  if (m.params.empty()) return reply(numeric::err_noorigin, {"No origin specified"});
  server_line("PONG", {settings_.server_name, m.params.front()});
}

void irc_door::cmd_pong(const message& /*m*/) {
  // Any input already counts as activity (on_bytes).
}

void irc_door::cmd_quit(const message& m) {
  const std::string reason =
      m.params.empty() ? std::string("Client quit")
                       : "Quit: " + std::string(protocol::utf8_clip(m.params[0], protocol::kMaxReasonLength));
  close_link(reason);
}

void irc_door::try_finish_registration() {
  if (registered_ || cap_negotiating_ || nick_.empty() || user_.empty()) return;
  if (!pass_ok_) {
    reply(numeric::err_passwdmismatch, {"Password incorrect"});
    close_link("Bad password");
    return;
  }
  registered_ = true;
  hub_.directory().publish(nick_, this);
  link_.arm_deadline(settings_.ping_interval);
  spdlog::info("irc {}: {} registered", link_.remote_label(), nick_);
  welcome();
}

void irc_door::welcome() {
  const auto& srv = settings_.server_name;
  reply(numeric::rpl_welcome, {fmt::format("Welcome to the {} IRC Network {}", settings_.network, source())});
  reply(numeric::rpl_yourhost, {fmt::format("Your host is {}, running version {}", srv, settings_.version)});
  reply(numeric::rpl_created, {fmt::format("This server was created {}", settings_.created)});
  reply(numeric::rpl_myinfo, {srv, settings_.version, "i", "biklmnostv", "bklov"});
  reply(numeric::rpl_isupport,
        {"AWAYLEN=" + std::to_string(protocol::kMaxAwayLength), "CASEMAPPING=ascii",
         "CHANLIMIT=#:" + std::to_string(settings_.max_rooms_per_user), "CHANMODES=b,k,l,imnt",
         "CHANNELLEN=" + std::to_string(protocol::kMaxRoomNameLength), "CHANTYPES=#",
         "KICKLEN=" + std::to_string(protocol::kMaxReasonLength), "MODES=4", "NETWORK=" + settings_.network,
         "NICKLEN=" + std::to_string(protocol::kMaxNickLength), "PREFIX=(ov)@+",
         "are supported by this server"});
  const auto targets = std::to_string(protocol::kMaxTargets);
  reply(numeric::rpl_isupport, {"MAXLIST=b:" + std::to_string(protocol::kMaxListEntries),
                                "TARGMAX=JOIN:,KICK:" + targets + ",NAMES:1,NOTICE:" + targets +
                                    ",PART:,PRIVMSG:" + targets + ",WHOIS:1",
                                "TOPICLEN=" + std::to_string(protocol::kMaxTopicLength), "UTF8ONLY",
                                "are supported by this server"});
  cmd_lusers({});
  cmd_motd({});
}

}  // namespace door
