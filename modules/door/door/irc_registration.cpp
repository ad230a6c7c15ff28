// IRC registration (PASS, NICK, USER), capability negotiation (CAP), and the
// commands of the connection itself (PING, PONG, QUIT).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "chat/room.hpp"
#include "door/irc_door.hpp"
#include "door/secret.hpp"
#include "protocol/chars.hpp"
#include "protocol/limits.hpp"
#include "protocol/lists.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

void irc_door::cmd_cap(const message& m) {
  const std::string_view sub = m.params[0];
  if (sub == "LS") {
    if (!registered_) cap_negotiating_ = true;
    const bool v302 = m.params.size() > 1 && std::atoi(m.params[1].c_str()) >= 302;
    if (v302) {
      cap_302_ = true;
      caps_.set(cap::cap_notify, true);  // implied by 302, and never off again
    }
    std::vector<std::string> names;
    for (const auto& c : kCaps) {
      if (!offered(c.id)) continue;
      names.emplace_back(c.name);
      if (v302 && !c.value.empty()) names.back() += "=" + std::string(c.value);
    }
    // One line; 302 clients get several, each but the last marked "*".
    std::string list;
    std::vector<std::string> lines;
    const std::size_t room = 400;
    for (const auto& n : names) {
      if (cap_302_ && !list.empty() && list.size() + 1 + n.size() > room) {
        lines.push_back(std::move(list));
        list.clear();
      }
      if (!list.empty()) list += ' ';
      list += n;
    }
    lines.push_back(std::move(list));
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i + 1 < lines.size()) {
        server_line("CAP", {target(), "LS", "*", lines[i]});
      } else {
        server_line("CAP", {target(), "LS", lines[i]});
      }
    }
  } else if (sub == "LIST") {
    std::string on;
    for (const auto& c : kCaps) {
      if (!caps_.has(c.id)) continue;
      if (!on.empty()) on += ' ';
      on += c.name;
    }
    server_line("CAP", {target(), "LIST", on});
  } else if (sub == "REQ") {
    if (!registered_) cap_negotiating_ = true;
    const std::string_view wanted = m.params.size() > 1 ? std::string_view(m.params[1]) : "";
    // All or nothing, as the specification requires: every name must be
    // one we implement, and cap-notify cannot be turned off after LS 302.
    const auto names = protocol::split_words(wanted);
    const bool known = !names.empty() && std::all_of(names.begin(), names.end(), [&](std::string_view n) {
      const bool off = n.starts_with('-');
      if (off) n.remove_prefix(1);
      const auto c = find_cap(n);
      return c.has_value() && offered(*c) && !(off && *c == cap::cap_notify && cap_302_);
    });
    if (!known) {
      server_line("CAP", {target(), "NAK", wanted});
      return;
    }
    for (auto n : names) {
      const bool enable = !n.starts_with('-');
      if (!enable) n.remove_prefix(1);
      caps_.set(*find_cap(n), enable);
    }
    server_line("CAP", {target(), "ACK", wanted});
  } else if (sub == "END") {
    if (!registered_) {
      cap_negotiating_ = false;
      if (sasl_) sasl_abort(/*say=*/true);  // ending negotiation aborts an exchange (906)
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
  // "USER u * * :" has no real name: as good as a missing parameter.
  if (m.params[0].empty() || m.params[3].empty()) {
    return reply(numeric::err_needmoreparams, {"USER", "Not enough parameters"});
  }
  if (!user_.empty()) return reply(numeric::err_alreadyregistered, {"You may not reregister"});
  // The user name shows in nick!user@host: keep it to nick characters.
  std::string user;
  for (const char c : m.params[0]) {
    if (user.size() == protocol::kMaxNickLength) break;
    if (protocol::is_letter(c) || protocol::is_digit(c) || c == '-' || c == '_' || c == '.') user += c;
  }
  user_ = user.empty() ? "user" : "~" + user;
  {
    const std::lock_guard lock(info_mutex_);
    realname_ = protocol::utf8_clip(m.params[3], protocol::kMaxRealnameLength);
  }
  try_finish_registration();
}

void irc_door::cmd_nick(const message& m) {
  if (m.params.empty() || m.params[0].empty()) {
    return reply(numeric::err_nonicknamegiven, {"No nickname given"});
  }
  const auto& wanted = m.params[0];
  if (!protocol::parse_nick(wanted).has_value()) {
    return reply(numeric::err_erroneusnickname, {wanted, "Erroneous nickname"});
  }
  if (wanted == nick_) return;
  if (is_service_name(wanted)) {
    return reply(numeric::err_nicknameinuse, {wanted, "Nickname is reserved for a service"});
  }
  // One node of several: the network must grant it first (a change of
  // letter case is ours already). Input waits for the answer, so that what
  // the client sends next sees the nick it asked for.
  auto* claims = hub_.claims();
  if (claims != nullptr && !protocol::fold_equal{}(wanted, nick_)) {
    link_.hold_input(true);
    claims->claim(wanted, self(), [self = self_irc(), wanted](bool ok) {
      self->link_.post([self, wanted, ok] {
        self->link_.hold_input(false);
        if (!self->link_.open()) return;
        if (!ok) {
          self->reply(numeric::err_nicknameinuse, {wanted, "Nickname is already in use"});
          return;
        }
        self->take_nick(wanted);
      });
    });
    return;
  }
  take_nick(wanted);
}

void irc_door::take_nick(const std::string& wanted) {
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
  spdlog::info("irc {}: {} is now known as {}", link_.remote_label(), nick_, wanted);
  remember_nick();
  tell_monitors(false);
  auto ev = chat::new_event(chat::event_kind::nick_changed, {}, nick_, this);
  ev->source = source();
  ev->target = wanted;
  send_bytes(irc::encode_line({{}, ev->source, "NICK"}, {wanted}));
  std::vector<std::shared_ptr<chat::room>> rooms;
  {
    const std::lock_guard lock(info_mutex_);
    nick_ = wanted;
    for (const auto& [key, r] : rooms_) rooms.push_back(r.room);
  }
  for (const auto& r : rooms) touch(r)->rename(this, ev);
  tell_monitors(true);
  nick_grace_until_.reset();
  check_nick_owner();
}

void irc_door::cmd_ping(const message& m) {
  if (m.params.empty() || m.params[0].empty()) return reply(numeric::err_noorigin, {"No origin specified"});
  server_line("PONG", {settings_.server_name, m.params.front()});
}

void irc_door::cmd_pong(const message& /*m*/) {
  // Any input already counts as activity (on_bytes).
}

void irc_door::cmd_quit(const message& m) {
  const std::string reason =
      m.params.empty() ? std::string("Client quit")
                       : "Quit: " + std::string(protocol::utf8_clip(m.params[0], protocol::kMaxReasonLength));
  close_link(reason, metrics::disconnect::quit);
}

void irc_door::try_finish_registration() {
  if (registered_ || cap_negotiating_ || nick_.empty() || user_.empty()) return;
  if (!pass_ok_) {
    reply(numeric::err_passwdmismatch, {"Password incorrect"});
    close_link("Bad password", metrics::disconnect::refused);
    return;
  }
  registered_ = true;
  signon_ = std::time(nullptr);
  hub_.directory().publish(nick_, this);
  hub_.count_user();
  metrics::registered(metrics::door_kind::irc);
  link_.arm_deadline(settings_.ping_interval);
  spdlog::info("irc {}: {} registered", link_.remote_label(), nick_);
  welcome();
  tell_monitors(true);
  check_nick_owner();
}

void irc_door::welcome() {
  const auto& srv = settings_.server_name;
  reply(numeric::rpl_welcome, {fmt::format("Welcome to the {} IRC Network {}", settings_.network, source())});
  reply(numeric::rpl_yourhost, {fmt::format("Your host is {}, running version {}", srv, settings_.version)});
  reply(numeric::rpl_created, {fmt::format("This server was created {}", settings_.created)});
  // User modes, channel modes, and those of them with a parameter.
  reply(numeric::rpl_myinfo, {srv, settings_.version, "Biow", "Ibeiklmnoqstv", "Ibeklmoqv"},
        irc::last_param::plain);
  isupport();
  cmd_lusers({});
  cmd_motd({});
}

void irc_door::isupport() {
  const auto n = [](std::size_t v) { return std::to_string(v); };
  const auto list = n(protocol::kMaxListEntries);
  const auto targets = n(protocol::kMaxTargets);
  const std::vector<std::string> all_tokens = {
      "AWAYLEN=" + n(protocol::kMaxAwayLength),
      "BOT=B",
      "CASEMAPPING=ascii",
      "CHANLIMIT=#:" + n(settings_.max_rooms_per_user),
      settings_.store ? "CHATHISTORY=" + n(store::kMaxQueryLimit) : std::string(),
      "CHANMODES=" + std::string(chat::kListModes) + ",k,Hl,imnst",
      "CHANNELLEN=" + n(protocol::kMaxRoomNameLength),
      "CHANTYPES=#",
      "ELIST=CMNTU",
      "EXCEPTS=e",
      "INVEX=I",
      "KEYLEN=" + n(kMaxKeyLength),
      "KICKLEN=" + n(protocol::kMaxReasonLength),
      "MAXLIST=b:" + list + ",e:" + list + ",I:" + list + ",q:" + list,
      "MODES=4",
      "MONITOR=" + n(kMaxMonitor),
      settings_.store ? std::string("MSGREFTYPES=msgid,timestamp") : std::string(),
      "NAMELEN=" + n(protocol::kMaxRealnameLength),
      "NETWORK=" + settings_.network,
      "NICKLEN=" + n(protocol::kMaxNickLength),
      "PREFIX=(ov)@+",
      "STATUSMSG=@+",
      "TARGMAX=JOIN:,KICK:" + targets + ",MONITOR:,NAMES:1,NOTICE:" + targets + ",PART:,PRIVMSG:" + targets +
          ",TAGMSG:" + targets + ",WHOIS:1",
      "TOPICLEN=" + n(protocol::kMaxTopicLength),
      "USERLEN=" + n(protocol::kMaxUserLength),
      "UTF8ONLY",
      "WHOX",
  };
  // At most 13 tokens per line, as the specification asks.
  constexpr std::size_t kPerLine = 13;
  std::vector<std::string> present;
  for (const auto& t : all_tokens) {
    if (!t.empty()) present.push_back(t);
  }
  const auto& tokens = present;
  for (std::size_t first = 0; first < tokens.size(); first += kPerLine) {
    std::vector<std::string_view> params;
    for (std::size_t i = first; i < std::min(tokens.size(), first + kPerLine); ++i)
      params.emplace_back(tokens[i]);
    params.emplace_back("are supported by this server");
    std::string out;
    irc::append_numeric(out, settings_.server_name, numeric::rpl_isupport, target(), params);
    send_bytes(std::move(out));
  }
}

}  // namespace door
