#include "net/irc_session.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <span>

#include <asio/post.hpp>

#include "net/log.hpp"
#include "protocol/limits.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

namespace net {

namespace irc = protocol::irc;

namespace {

// The reason leave_everything() is given for JOIN 0: part, do not quit.
constexpr std::string_view kLeftAll = "Left all channels";

// Capabilities we implement, and therefore advertise.
constexpr std::array<std::string_view, 4> kCaps = {"echo-message", "message-tags", "multi-prefix",
                                                   "server-time"};

// Calls f(item) for each non-empty part of `list` between `sep`s, until f
// returns false.
template <class F>
void for_each_item(std::string_view list, char sep, F f) {
  while (!list.empty()) {
    const auto at = list.find(sep);
    if (const auto item = list.substr(0, at); !item.empty() && !f(item)) return;
    if (at == std::string_view::npos) return;
    list.remove_prefix(at + 1);
  }
}

std::vector<std::string_view> split_by(std::string_view list, char sep) {
  std::vector<std::string_view> out;
  for_each_item(list, sep, [&](std::string_view item) {
    out.push_back(item);
    return true;
  });
  return out;
}

// Splits "a,b,c" into its non-empty parts.
std::vector<std::string_view> split_list(std::string_view list) {
  return split_by(list, ',');
}

std::vector<std::string_view> split_spaces(std::string_view text) {
  return split_by(text, ' ');
}

// Text from elsewhere (the seed protocol allows any UTF-8) becomes IRC lines:
// one per line of the text, with CR and NUL removed so that nothing a peer
// sends can end an IRC line early and smuggle in a command.
std::vector<std::string> text_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::string current;
  for (const char c : text) {
    if (c == '\n') {
      lines.push_back(std::move(current));
      current.clear();
    } else if (c != '\r' && c != '\0') {
      current += c;
    }
  }
  lines.push_back(std::move(current));
  // Drop empty lines between others, but keep one if the text was empty.
  std::erase_if(lines, [](const std::string& l) { return l.empty(); });
  if (lines.empty()) lines.emplace_back();
  return lines;
}

// Cuts `text` to at most `max` bytes without splitting a UTF-8 character.
std::string clip(std::string_view text, std::size_t max) {
  return std::string(text.substr(0, protocol::utf8_prefix(text, max)));
}

std::string format_time(std::chrono::system_clock::time_point at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm, ms % 1000);
}

// Constant-time comparison, so that a password's prefix cannot be found by
// timing the answer.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

}  // namespace

irc_session::irc_session(stream_socket socket, chat::hub& hub, const irc_settings& settings,
                         const server_counts& counts, const limits& lim, connection_registry* registry)
    : connection(std::move(socket), lim, registry),
      hub_(hub),
      settings_(settings),
      counts_(counts),
      host_(remote().address().to_string()),
      pass_ok_(settings.live->get()->password.empty()),
      last_input_(std::chrono::steady_clock::now()) {}

std::shared_ptr<irc_session> irc_session::self() {
  return std::static_pointer_cast<irc_session>(shared_from_this());
}

std::string irc_session::source() const {
  std::string s;
  s.reserve(nick_.size() + user_.size() + host_.size() + 2);
  s += nick_;
  s += '!';
  s += user_;
  s += '@';
  s += host_;
  return s;
}

chat::actor irc_session::as_actor() {
  return chat::actor{self(), nick_, source()};
}

chat::member_info irc_session::info() const {
  chat::member_info i;
  const std::lock_guard lock(info_mutex_);
  i.nick = nick_;
  i.away = away_;
  for (const auto& [key, r] : rooms_) i.rooms.push_back(r->name());
  // user_ and realname_ are set once, before the nick is published.
  i.user = user_;
  i.host = host_;
  i.realname = realname_;
  return i;
}

std::string irc_session::nick() const {
  const std::lock_guard lock(info_mutex_);
  return nick_;
}

std::string irc_session::away() const {
  const std::lock_guard lock(info_mutex_);
  return away_;
}

// ---- Input ------------------------------------------------------------------

void irc_session::on_start() {
  arm_watchdog(settings_.registration_timeout);
}

void irc_session::on_bytes(std::string_view bytes) {
  last_input_ = input_time();
  ping_sent_ = false;
  decoder_.consume(bytes, [this](tl::expected<std::string_view, protocol::errc> line) {
    if (!line.has_value()) {
      numeric("417", {"Input line was too long"});
      return !closing() && !stopped();
    }
    if (line->empty()) {
      return true;
    }
    if (spdlog::should_log(spdlog::level::trace)) {
      // Checked first: formatting the arguments cost a fifth of the server's
      // CPU per message even with tracing off.
      spdlog::trace("irc {} <- {}", describe(remote()), sample(*line, 200));
    }
    // UTF8ONLY: nothing that is not UTF-8 is relayed or kept. Message text
    // is refused (FAIL below); anywhere else (reasons, topics, real names,
    // mode arguments, tags) the bad bytes become U+FFFD. NICK keeps them, to
    // be refused as an erroneous nick.
    std::string repaired;
    std::string_view text = *line;
    bool bad_text = false;
    if (!protocol::is_valid_utf8(text)) {
      repaired = protocol::replace_invalid_utf8(text);
      auto probe = irc::parse_message(repaired);
      const auto cmd = probe ? std::string_view(probe->command) : std::string_view();
      if (cmd == "PRIVMSG" || cmd == "NOTICE" || cmd == "TAGMSG") {
        bad_text = true;
      } else if (cmd != "NICK") {
        text = repaired;
      }
    }
    // Fast path for the bulk of the traffic: a registered user's PRIVMSG or
    // NOTICE without tags is routed from views into the line, with no copy
    // of the parameters. Everything else is copied into a message.
    const auto v = irc::parse_view(text);
    if (!bad_text && registered_ && v.has_value() && v->tags.empty()) {
      const bool privmsg = irc::is_command(v->command, "PRIVMSG");
      if (privmsg || irc::is_command(v->command, "NOTICE")) {
        cmd_message(privmsg ? "PRIVMSG" : "NOTICE", v->params(), {});
        return !closing() && !stopped() && spend_token();
      }
    }
    const auto m = v.map(irc::to_message);
    if (!m.has_value()) {
      switch (m.error()) {
        case protocol::errc::irc_empty_line:
          break;
        case protocol::errc::irc_line_too_long:
        case protocol::errc::irc_tags_too_long:
          numeric("417", {"Input line was too long"});
          break;
        default:
          send_line(fmt::format(":{} NOTICE {} :Malformed line ignored: {}", settings_.server_name,
                                nick_.empty() ? "*" : nick_, protocol::describe(m.error())));
          break;
      }
      return !closing() && !stopped() && spend_token();
    }
    if (bad_text) {
      if (m->command != "NOTICE") {
        send_line(fmt::format(":{} FAIL {} INVALID_UTF8 :Message rejected: it is not valid UTF-8",
                              settings_.server_name, m->command));
      }
      return !closing() && !stopped() && spend_token();
    }
    handle(*m);
    return !closing() && !stopped() && spend_token();
  });
  decoder_.shrink_if_empty();
}

void irc_session::handle(const message& m) {
  const auto& cmd = m.command;
  if (cmd == "PING") {
    if (m.params.empty()) {
      numeric("409", {"No origin specified"});
    } else {
      send_line(fmt::format(":{0} PONG {0} :{1}", settings_.server_name, m.params.front()));
    }
    return;
  }
  if (cmd == "PONG") return;  // any input already counts as activity
  if (cmd == "QUIT") return cmd_quit(m);
  if (cmd == "CAP") return handle_cap(m);
  if (!registered_) return handle_registration(m);

  if (cmd == "PRIVMSG" || cmd == "NOTICE" || cmd == "TAGMSG") return cmd_message(m);
  if (cmd == "JOIN") return cmd_join(m);
  if (cmd == "PART") return cmd_part(m);
  if (cmd == "NICK") return cmd_nick(m);
  if (cmd == "NAMES") return cmd_names(m);
  if (cmd == "WHO") return cmd_who(m);
  if (cmd == "WHOIS") return cmd_whois(m);
  if (cmd == "TOPIC") return cmd_topic(m);
  if (cmd == "LIST") return cmd_list(m);
  if (cmd == "AWAY") return cmd_away(m);
  if (cmd == "ISON") return cmd_ison(m);
  if (cmd == "USERHOST") return cmd_userhost(m);
  if (cmd == "LUSERS") return cmd_lusers();
  if (cmd == "MOTD") return cmd_motd();
  if (cmd == "MODE") return cmd_mode(m);
  if (cmd == "KICK") return cmd_kick(m);
  if (cmd == "INVITE") return cmd_invite(m);
  if (cmd == "OPER") return cmd_oper(m);
  if (cmd == "KILL") return cmd_kill(m);
  if (cmd == "WALLOPS") return cmd_wallops(m);
  if (cmd == "REHASH") return cmd_rehash();
  if (cmd == "DIE") return cmd_die();
  if (cmd == "TIME") {
    return numeric("391", {settings_.server_name, format_time(std::chrono::system_clock::now())});
  }
  if (cmd == "VERSION") {
    numeric("351", {settings_.version, settings_.server_name, "Coroutine chat server"});
    return;
  }
  if (cmd == "USER" || cmd == "PASS") return numeric("462", {"You may not reregister"});
  numeric("421", {cmd, "Unknown command"});
}

// ---- Registration -----------------------------------------------------------

void irc_session::handle_cap(const message& m) {
  const std::string_view target = nick_.empty() ? "*" : std::string_view(nick_);
  const std::string_view sub = m.params.empty() ? "" : std::string_view(m.params[0]);
  std::string all;
  for (const auto cap : kCaps) {
    if (!all.empty()) all += ' ';
    all += cap;
  }
  if (sub == "LS") {
    if (!registered_) cap_negotiating_ = true;
    send_line(fmt::format(":{} CAP {} LS :{}", settings_.server_name, target, all));
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
    send_line(fmt::format(":{} CAP {} LIST :{}", settings_.server_name, target, on));
  } else if (sub == "REQ") {
    if (!registered_) cap_negotiating_ = true;
    const std::string_view wanted = m.params.size() > 1 ? std::string_view(m.params[1]) : "";
    // All or nothing, as the specification requires.
    const auto names = split_spaces(wanted);
    const bool known = !names.empty() && std::all_of(names.begin(), names.end(), [](std::string_view n) {
      if (n.starts_with('-')) n.remove_prefix(1);
      return std::find(kCaps.begin(), kCaps.end(), n) != kCaps.end();
    });
    if (!known) {
      send_line(fmt::format(":{} CAP {} NAK :{}", settings_.server_name, target, wanted));
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
    send_line(fmt::format(":{} CAP {} ACK :{}", settings_.server_name, target, wanted));
  } else if (sub == "END") {
    if (!registered_) {
      cap_negotiating_ = false;
      try_finish_registration();
    }
  } else {
    numeric("410", {std::string(sub), "Invalid CAP command"});
  }
}

void irc_session::handle_registration(const message& m) {
  if (m.command == "PASS") {
    if (m.params.empty()) return numeric("461", {"PASS", "Not enough parameters"});
    const auto live = settings_.live->get();
    pass_ok_ = live->password.empty() || same_secret(m.params[0], live->password);
    return;
  }
  if (m.command == "NICK") {
    cmd_nick(m);
    try_finish_registration();
    return;
  }
  if (m.command == "USER") {
    if (m.params.size() < 4 || m.params[0].empty()) return numeric("461", {"USER", "Not enough parameters"});
    if (!user_.empty()) return numeric("462", {"You may not reregister"});
    // The user name shows in nick!user@host: keep it to nick characters.
    std::string user;
    for (const char c : m.params[0]) {
      if (user.size() == protocol::kMaxNickLength) break;
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
      if (ok) user += c;
    }
    user_ = user.empty() ? "user" : "~" + user;
    realname_ = clip(m.params[3], protocol::kMaxTopicLength);
    try_finish_registration();
    return;
  }
  numeric("451", {"You have not registered"});
}

void irc_session::try_finish_registration() {
  if (registered_ || cap_negotiating_ || nick_.empty() || user_.empty()) return;
  if (!pass_ok_) {
    numeric("464", {"Password incorrect"});
    send_line(fmt::format("ERROR :Closing Link: {} (Bad password)", host_));
    leave_everything("Bad password");
    close_after_flush(limits_.close_timeout);
    return;
  }
  registered_ = true;
  hub_.directory().publish(nick_, this);
  arm_watchdog(settings_.ping_interval);
  spdlog::info("irc {}: {} registered", describe(remote()), nick_);

  const auto& srv = settings_.server_name;
  numeric("001", {fmt::format("Welcome to the {} IRC Network {}", settings_.network, source())});
  numeric("002", {fmt::format("Your host is {}, running version {}", srv, settings_.version)});
  numeric("003", {fmt::format("This server was created {}", settings_.created)});
  numeric("004", {srv, settings_.version, "i", "biklmnostv", "bklov"});
  numeric("005", {"AWAYLEN=" + std::to_string(protocol::kMaxTopicLength), "CASEMAPPING=ascii",
                  "CHANLIMIT=#:" + std::to_string(settings_.max_rooms_per_user), "CHANMODES=b,k,l,imnt",
                  "CHANNELLEN=" + std::to_string(protocol::kMaxRoomNameLength), "CHANTYPES=#",
                  "KICKLEN=" + std::to_string(protocol::kMaxTopicLength), "MODES=4",
                  "NETWORK=" + settings_.network, "NICKLEN=" + std::to_string(protocol::kMaxNickLength),
                  "PREFIX=(ov)@+", "are supported by this server"});
  numeric("005", {"TARGMAX=JOIN:,KICK:1,NAMES:1,NOTICE:4,PART:,PRIVMSG:4,WHOIS:1",
                  "TOPICLEN=" + std::to_string(protocol::kMaxTopicLength), "UTF8ONLY",
                  "are supported by this server"});
  cmd_lusers();
  cmd_motd();
}

// ---- Commands ---------------------------------------------------------------

void irc_session::cmd_nick(const message& m) {
  if (m.params.empty() || m.params[0].empty()) return numeric("431", {"No nickname given"});
  const auto& wanted = m.params[0];
  if (!protocol::parse_nick(wanted).has_value()) return numeric("432", {wanted, "Erroneous nickname"});
  if (wanted == nick_) return;
  if (nick_.empty()) {
    if (!hub_.directory().claim(wanted, self()))
      return numeric("433", {wanted, "Nickname is already in use"});
    const std::lock_guard lock(info_mutex_);
    nick_ = wanted;
    return;
  }
  if (!hub_.directory().rename(nick_, wanted, self())) {
    return numeric("433", {wanted, "Nickname is already in use"});
  }
  if (!registered_) {
    const std::lock_guard lock(info_mutex_);
    nick_ = wanted;
    return;
  }
  auto ev = chat::new_event(chat::event_kind::nick_changed, {}, nick_, this);
  ev->source = source();
  ev->target = wanted;
  send_line(fmt::format(":{} NICK :{}", ev->source, wanted));
  std::vector<std::shared_ptr<chat::room>> rooms;
  {
    const std::lock_guard lock(info_mutex_);
    nick_ = wanted;
    for (const auto& [key, r] : rooms_) rooms.push_back(r);
  }
  for (const auto& r : rooms) r->rename(this, ev);
}

void irc_session::cmd_join(const message& m) {
  if (m.params.empty()) return numeric("461", {"JOIN", "Not enough parameters"});
  if (m.params[0] == "0") return leave_everything(kLeftAll);
  const auto names = split_list(m.params[0]);
  const auto keys = m.params.size() > 1 ? split_list(m.params[1]) : std::vector<std::string_view>{};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string name(names[i]);
    auto valid = protocol::parse_room_name(name, protocol::kMaxRoomNameLength);
    if (!valid.has_value()) {
      numeric("403", {name, "No such channel"});
      continue;
    }
    join_room(name, i < keys.size() ? std::string(keys[i]) : std::string());
  }
}

void irc_session::join_room(const std::string& name, const std::string& key) {
  auto r = hub_.room_named(name);
  {
    const std::lock_guard lock(info_mutex_);
    const auto folded = protocol::fold_nick(name);
    if (!rooms_.contains(folded) && rooms_.size() >= settings_.max_rooms_per_user) {
      numeric("405", {name, "You have joined too many channels"});
      return;
    }
    rooms_[folded] = r;
  }
  r->join(as_actor(), key);
}

void irc_session::cmd_part(const message& m) {
  if (m.params.empty()) return numeric("461", {"PART", "Not enough parameters"});
  const std::string reason =
      m.params.size() > 1 ? clip(m.params[1], protocol::kMaxTopicLength) : std::string();
  for (const auto name : split_list(m.params[0])) {
    auto r = hub_.find_room(name);
    if (!r) {
      numeric("403", {name, "No such channel"});
      continue;
    }
    r->part(as_actor(), reason);
  }
}

void irc_session::cmd_message(const message& m) {
  std::array<std::string_view, protocol::kIrcMaxParams> params;
  const std::size_t count = std::min(m.params.size(), params.size());
  std::copy_n(m.params.begin(), count, params.begin());
  cmd_message(m.command, std::span(params.data(), count), m.tags);
}

void irc_session::cmd_message(std::string_view command, std::span<const std::string_view> params,
                              std::span<const irc::tag> tags) {
  const bool notice = command == "NOTICE";
  const bool tagmsg = command == "TAGMSG";
  if (params.empty()) {
    if (!notice) numeric("411", {fmt::format("No recipient given ({})", command)});
    return;
  }
  if (!tagmsg && (params.size() < 2 || params[1].empty())) {
    if (!notice) numeric("412", {"No text to send"});
    return;
  }
  const std::string_view text = tagmsg ? std::string_view() : params[1];  // UTF-8: on_bytes checked it
  std::string client_tags;
  for (const auto& t : tags) {
    if (!t.key.starts_with('+')) continue;
    if (!client_tags.empty()) client_tags += ';';
    // Re-encode through the serializer's escaping by building a message.
    irc::message only{{t}, {}, "X", {}};
    auto encoded = irc::encode_message(only);  // "@key=value X\r\n"
    client_tags += encoded.substr(1, encoded.find(' ') - 1);
  }
  if (tagmsg && client_tags.empty()) return;

  // Up to TARGMAX (4) targets, without a vector for the usual one.
  std::array<std::string_view, 4> targets;
  std::size_t count = 0;
  for_each_item(params[0], ',', [&](std::string_view item) {
    targets[count++] = item;
    return count < targets.size();
  });
  for (const auto target : std::span(targets.data(), count)) {
    auto ev = chat::new_event(chat::event_kind::said, {}, nick_, this);
    ev->source = source();
    ev->text = text;
    ev->notice = notice;
    ev->client_tags = client_tags;
    // No args means PRIVMSG (see deliver()): no vector for the usual case.
    if (tagmsg || notice) ev->args.emplace_back(command);
    if (target.starts_with('#')) {
      auto r = hub_.find_room(target);
      if (!r) {
        if (!notice) numeric("403", {target, "No such channel"});
        continue;
      }
      ev->room = r->name();
      r->say(as_actor(), std::move(ev));
      continue;
    }
    auto peer = hub_.directory().find(target);
    if (!peer) {
      if (!notice) numeric("401", {target, "No such nick/channel"});
      continue;
    }
    ev->kind = chat::event_kind::private_message;
    ev->target = peer->nick();
    if (const auto away = notice || tagmsg ? std::string() : peer->away(); !away.empty()) {
      numeric("301", {ev->target, away});
    }
    chat::event_ptr shared = std::move(ev);
    peer->deliver(shared);
    if (echo_message_ && peer.get() != this) deliver(shared);
  }
}

void irc_session::cmd_names(const message& m) {
  if (m.params.empty()) return numeric("366", {"*", "End of /NAMES list"});
  for (const auto name : split_list(m.params[0])) {
    if (auto r = hub_.find_room(name)) {
      r->names(as_actor());
    } else {
      numeric("366", {name, "End of /NAMES list"});
    }
  }
}

void irc_session::cmd_who(const message& m) {
  const std::string mask = m.params.empty() ? "*" : m.params[0];
  if (mask.starts_with('#')) {
    if (auto r = hub_.find_room(mask)) return r->who(as_actor());
    return numeric("315", {mask, "End of /WHO list"});
  }
  if (auto peer = hub_.directory().find(mask)) {
    const auto i = peer->info();
    const std::string flags = i.away.empty() ? "H" : "G";
    numeric("352", {i.rooms.empty() ? "*" : i.rooms.front(), i.user, i.host, settings_.server_name, i.nick,
                    flags, "0 " + i.realname});
  }
  numeric("315", {mask, "End of /WHO list"});
}

void irc_session::cmd_whois(const message& m) {
  if (m.params.empty()) return numeric("431", {"No nickname given"});
  const auto& target = m.params.back();  // WHOIS [server] nick
  auto peer = hub_.directory().find(target);
  if (!peer) {
    numeric("401", {target, "No such nick/channel"});
    return numeric("318", {target, "End of /WHOIS list"});
  }
  const auto i = peer->info();
  numeric("311", {i.nick, i.user, i.host, "*", i.realname});
  std::string rooms;
  for (const auto& r : i.rooms) {
    if (!rooms.empty()) rooms += ' ';
    rooms += r;
  }
  if (!rooms.empty()) numeric("319", {i.nick, rooms});
  numeric("312", {i.nick, settings_.server_name, i.seed ? "seed-compatible listener" : settings_.network});
  if (!i.away.empty()) numeric("301", {i.nick, i.away});
  numeric("318", {i.nick, "End of /WHOIS list"});
}

void irc_session::cmd_topic(const message& m) {
  if (m.params.empty()) return numeric("461", {"TOPIC", "Not enough parameters"});
  auto r = hub_.find_room(m.params[0]);
  if (!r) return numeric("403", {m.params[0], "No such channel"});
  if (m.params.size() < 2) return r->topic(as_actor(), std::nullopt);
  r->topic(as_actor(), clip(m.params[1], protocol::kMaxTopicLength));
}

void irc_session::cmd_list(const message& m) {
  numeric("321", {"Channel", "Users  Name"});
  auto rooms = hub_.rooms();
  std::vector<std::string_view> wanted;
  if (!m.params.empty()) wanted = split_list(m.params[0]);
  for (const auto& r : rooms) {
    if (r.members == 0) continue;
    if (!wanted.empty() && std::none_of(wanted.begin(), wanted.end(), [&](std::string_view w) {
          return protocol::fold_equal{}(w, r.name);
        })) {
      continue;
    }
    numeric("322", {r.name, std::to_string(r.members), r.topic});
  }
  numeric("323", {"End of /LIST"});
}

void irc_session::cmd_away(const message& m) {
  const std::string text = m.params.empty() ? std::string() : clip(m.params[0], protocol::kMaxTopicLength);
  {
    const std::lock_guard lock(info_mutex_);
    away_ = text;
  }
  if (text.empty()) return numeric("305", {"You are no longer marked as being away"});
  numeric("306", {"You have been marked as being away"});
}

void irc_session::cmd_ison(const message& m) {
  if (m.params.empty()) return numeric("461", {"ISON", "Not enough parameters"});
  std::string online;
  for (const auto& p : m.params) {
    for (const auto nick : split_spaces(p)) {
      if (auto peer = hub_.directory().find(nick)) {
        if (!online.empty()) online += ' ';
        online += peer->info().nick;
      }
    }
  }
  numeric("303", {online});
}

void irc_session::cmd_userhost(const message& m) {
  if (m.params.empty()) return numeric("461", {"USERHOST", "Not enough parameters"});
  std::string reply;
  for (std::size_t k = 0; k < m.params.size() && k < 5; ++k) {
    if (auto peer = hub_.directory().find(m.params[k])) {
      const auto i = peer->info();
      if (!reply.empty()) reply += ' ';
      reply += fmt::format("{}={}{}@{}", i.nick, i.away.empty() ? '+' : '-', i.user, i.host);
    }
  }
  numeric("302", {reply});
}

void irc_session::cmd_lusers() {
  const auto users = hub_.directory().size();
  numeric("251", {fmt::format("There are {} users and 0 invisible on 1 servers", users)});
  numeric("254", {std::to_string(hub_.room_count()), "channels formed"});
  numeric("255", {fmt::format("I have {} clients and 0 servers",
                              counts_.connections ? counts_.connections() : users)});
}

void irc_session::cmd_motd() {
  const auto live = settings_.live->get();
  if (live->motd.empty()) return numeric("422", {"MOTD File is missing"});
  numeric("375", {fmt::format("- {} Message of the day - ", settings_.server_name)});
  for (const auto& line : live->motd) numeric("372", {"- " + line});
  numeric("376", {"End of /MOTD command"});
}

void irc_session::cmd_mode(const message& m) {
  if (m.params.empty()) return numeric("461", {"MODE", "Not enough parameters"});
  const auto& target = m.params[0];
  if (!target.starts_with('#')) {
    if (!protocol::fold_equal{}(target, nick_)) {
      return numeric("502", {"Can't change mode for other users"});
    }
    if (m.params.size() > 1) {
      // +w and -w; -o gives up operator status (only OPER grants it).
      bool add = true;
      std::string applied;
      char applied_sign = 0;
      bool unknown = false;
      for (const char c : m.params[1]) {
        if (c == '+' || c == '-') {
          add = c == '+';
          continue;
        }
        bool changed = false;
        if (c == 'w') {
          changed = wallops_.exchange(add) != add;
        } else if (c == 'o') {
          changed = !add && oper_.exchange(false);
        } else if (c != 'i') {
          unknown = true;
          continue;
        }
        if (!changed) continue;
        const char sign = add ? '+' : '-';
        if (sign != applied_sign) applied += sign;
        applied_sign = sign;
        applied += c;
      }
      if (unknown) numeric("501", {"Unknown MODE flag"});
      if (!applied.empty()) send_line(fmt::format(":{} MODE {} :{}", nick_, nick_, applied));
      return;
    }
    std::string modes = "+";
    if (oper_) modes += 'o';
    if (wallops_) modes += 'w';
    return numeric("221", {modes});
  }
  auto r = hub_.find_room(target);
  if (!r) return numeric("403", {target, "No such channel"});
  std::vector<chat::mode_change> changes;
  if (m.params.size() > 1) {
    bool add = true;
    std::size_t next_arg = 2;
    for (const char c : m.params[1]) {
      if (c == '+' || c == '-') {
        add = c == '+';
        continue;
      }
      chat::mode_change change{add, c, {}};
      const bool takes_arg = c == 'o' || c == 'v' || c == 'b' || c == 'k' || (c == 'l' && add);
      if (takes_arg) {
        if (next_arg < m.params.size()) {
          change.arg = m.params[next_arg++];
        } else if (c != 'b' && !(c == 'k' && !add)) {
          numeric("461", {"MODE", "Not enough parameters"});
          continue;
        }
      }
      changes.push_back(std::move(change));
      if (changes.size() == 4) break;  // MODES=4
    }
    if (changes.empty()) return;
  }
  r->mode(as_actor(), std::move(changes));
}

void irc_session::cmd_kick(const message& m) {
  if (m.params.size() < 2) return numeric("461", {"KICK", "Not enough parameters"});
  auto r = hub_.find_room(m.params[0]);
  if (!r) return numeric("403", {m.params[0], "No such channel"});
  const std::string reason = m.params.size() > 2 ? clip(m.params[2], protocol::kMaxTopicLength) : nick_;
  for (const auto target : split_list(m.params[1])) r->kick(as_actor(), std::string(target), reason);
}

void irc_session::cmd_invite(const message& m) {
  if (m.params.size() < 2) return numeric("461", {"INVITE", "Not enough parameters"});
  auto peer = hub_.directory().find(m.params[0]);
  if (!peer) return numeric("401", {m.params[0], "No such nick/channel"});
  auto r = hub_.find_room(m.params[1]);
  if (!r) return numeric("403", {m.params[1], "No such channel"});
  r->invite(as_actor(), peer, peer->info().nick);
}

void irc_session::cmd_quit(const message& m) {
  const std::string reason =
      m.params.empty() ? std::string("Client quit") : "Quit: " + clip(m.params[0], protocol::kMaxTopicLength);
  send_line(fmt::format("ERROR :Closing Link: {} ({})", host_, reason));
  leave_everything(reason);
  quitting_ = true;
  close_after_flush(limits_.close_timeout);
}

// ---- Operators -----------------------------------------------------------------

bool irc_session::require_oper() {
  if (oper_) return true;
  numeric("481", {"Permission Denied- You're not an IRC operator"});
  return false;
}

void irc_session::cmd_oper(const message& m) {
  if (m.params.size() < 2) return numeric("461", {"OPER", "Not enough parameters"});
  const auto live = settings_.live->get();
  // Every entry is compared, so the answer's timing says nothing of names.
  bool ok = false;
  for (const auto& o : live->opers) {
    const bool name_ok = same_secret(m.params[0], o.name);
    const bool password_ok = same_secret(m.params[1], o.password);
    ok = ok || (name_ok && password_ok);
  }
  if (!ok) {
    spdlog::warn("irc {}: {} failed OPER as {}", describe(remote()), nick_, sample(m.params[0]));
    return numeric("464", {"Password incorrect"});
  }
  spdlog::info("irc {}: {} is now an operator ({})", describe(remote()), nick_, sample(m.params[0]));
  oper_ = true;
  wallops_ = true;
  numeric("381", {"You are now an IRC operator"});
  send_line(fmt::format(":{} MODE {} :+ow", nick_, nick_));
}

void irc_session::cmd_kill(const message& m) {
  if (!require_oper()) return;
  if (m.params.size() < 2) return numeric("461", {"KILL", "Not enough parameters"});
  auto target = hub_.directory().find(m.params[0]);
  if (!target) return numeric("401", {m.params[0], "No such nick/channel"});
  spdlog::info("irc {}: {} kills {} ({})", describe(remote()), nick_, m.params[0], sample(m.params[1], 100));
  auto ev = chat::new_event(chat::event_kind::killed, {}, nick_, this);
  ev->source = source();
  ev->text = clip(m.params[1], protocol::kMaxTopicLength);
  target->deliver(ev);
}

void irc_session::cmd_wallops(const message& m) {
  if (!require_oper()) return;
  if (m.params.empty() || m.params[0].empty()) return numeric("461", {"WALLOPS", "Not enough parameters"});
  auto ev = chat::new_event(chat::event_kind::wallops, {}, nick_, this);
  ev->source = source();
  ev->text = m.params[0];
  hub_.directory().for_each([&](const std::shared_ptr<chat::member>& who) { who->deliver(ev); });
}

void irc_session::cmd_rehash() {
  if (!require_oper()) return;
  if (!settings_.rehash) return numeric("382", {"-", "Rehashing is not available"});
  spdlog::info("irc {}: {} asked for REHASH", describe(remote()), nick_);
  const auto problem = settings_.rehash();
  if (!problem.empty()) {
    send_line(fmt::format(":{} NOTICE {} :REHASH failed, the old configuration stays: {}",
                          settings_.server_name, nick_, problem));
    return;
  }
  numeric("382", {"configuration", "Rehashing"});
}

void irc_session::cmd_die() {
  if (!require_oper()) return;
  if (!settings_.die) return numeric("481", {"Permission Denied- DIE is not available"});
  spdlog::warn("irc {}: {} asked the server to DIE", describe(remote()), nick_);
  settings_.die();
}

void irc_session::killed(const std::string& by, const std::string& reason) {
  asio::post(executor(), [self = self(), by, reason] {
    if (self->quitting_ || self->stopped()) return;
    const auto why = fmt::format("Killed ({} ({}))", by, reason);
    self->send_line(fmt::format("ERROR :Closing Link: {} ({})", self->host_, why));
    self->leave_everything(why);
    self->quitting_ = true;
    self->close_after_flush(self->limits_.close_timeout);
  });
}

void irc_session::leave_everything(std::string_view reason) {
  if (reason != kLeftAll && !nick_.empty()) {
    // Free the nick before any room announces the departure, so that a
    // client who saw the QUIT can take the nick at once.
    hub_.directory().release(nick_, this);
  }
  std::map<std::string, std::shared_ptr<chat::room>> rooms;
  {
    const std::lock_guard lock(info_mutex_);
    rooms.swap(rooms_);
  }
  if (rooms.empty()) return;
  auto ev = chat::new_event(chat::event_kind::quit, {}, nick_, this);
  ev->source = source();
  ev->text = std::string(reason);
  const bool quitting = reason != kLeftAll;
  const bool announce = !hub_.shutting_down();
  for (const auto& [key, r] : rooms) {
    if (quitting) {
      r->quit(this, announce ? ev : nullptr);
    } else {
      r->part(as_actor(), {});
    }
  }
}

// ---- Lifetime ---------------------------------------------------------------

void irc_session::on_watchdog() {
  if (!registered_) {
    // The nick is free at once, not when the client finally closes.
    if (!nick_.empty()) hub_.directory().release(nick_, this);
    send_line(fmt::format("ERROR :Closing Link: {} (Registration timed out)", host_));
    close_after_flush(limits_.close_timeout);
    return;
  }
  const auto idle = std::chrono::steady_clock::now() - last_input_;
  if (ping_sent_ && idle >= settings_.ping_interval + settings_.ping_timeout) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(idle).count();
    const auto reason = fmt::format("Ping timeout: {} seconds", secs);
    spdlog::info("irc {}: {} {}", describe(remote()), nick_, reason);
    send_line(fmt::format("ERROR :Closing Link: {} ({})", host_, reason));
    leave_everything(reason);
    close_after_flush(limits_.close_timeout);
    return;
  }
  if (!ping_sent_ && idle >= settings_.ping_interval) {
    send_line(fmt::format("PING :{}", settings_.server_name));
    ping_sent_ = true;
    arm_watchdog(settings_.ping_timeout);
    return;
  }
  const auto left =
      ping_sent_ ? settings_.ping_interval + settings_.ping_timeout - idle : settings_.ping_interval - idle;
  arm_watchdog(
      std::max(std::chrono::duration_cast<std::chrono::milliseconds>(left), std::chrono::milliseconds(1)));
}

void irc_session::on_excess_flood() {
  send_line(fmt::format("ERROR :Closing Link: {} (Excess Flood)", host_));
  leave_everything("Excess Flood");
  close_after_flush(limits_.close_timeout);
}

void irc_session::on_shutdown() {
  send_line(fmt::format("ERROR :Closing Link: {} (Server is shutting down)", host_));
  leave_everything("Server is shutting down");
}

void irc_session::on_stop() {
  if (!quitting_) leave_everything("Connection closed");
  std::string nick;
  {
    const std::lock_guard lock(info_mutex_);
    nick = nick_;
  }
  if (!nick.empty()) {
    hub_.directory().release(nick, this);
    if (registered_) spdlog::info("irc {}: {} left", describe(remote()), nick);
  }
}

// ---- Output -----------------------------------------------------------------

void irc_session::send_line(std::string line) {
  line += "\r\n";
  send_bytes(std::move(line));
}

void irc_session::numeric(std::string_view code, std::initializer_list<std::string_view> params) {
  // ":server CODE nick p1 p2 :last" -- the last parameter always trailing,
  // as clients expect of human-readable text.
  std::string line;
  line.reserve(128);
  line += ':';
  line += settings_.server_name;
  line += ' ';
  line += code;
  line += ' ';
  line += nick_.empty() ? std::string_view("*") : std::string_view(nick_);
  std::size_t i = 0;
  for (auto p : params) {
    line += ' ';
    if (++i == params.size()) {
      line += ':';
      line += p;
      break;
    }
    // Middle parameters never hold spaces or start with ':': such a reply
    // could be misread, so those characters are replaced.
    if (p.empty() || p.front() == ':') line += '*';
    for (const char c : p) line += c == ' ' ? '_' : c;
  }
  line += "\r\n";
  send_bytes(std::move(line));
}

bool irc_session::seen_before(const chat::event_ptr& ev) {
  const std::lock_guard lock(info_mutex_);
  if (std::find(recent_shared_.begin(), recent_shared_.end(), ev->id) != recent_shared_.end()) return true;
  recent_shared_[recent_next_] = ev->id;
  recent_next_ = static_cast<std::uint8_t>((recent_next_ + 1U) % recent_shared_.size());
  return false;
}

std::string irc_session::tag_prefix(const chat::event& ev) const {
  std::string tags;
  if (server_time_) tags = "time=" + format_time(ev.at);
  if (message_tags_ && !ev.client_tags.empty()) {
    if (!tags.empty()) tags += ';';
    tags += ev.client_tags;
  }
  return tags.empty() ? tags : "@" + tags + " ";
}

void irc_session::deliver(const chat::event_ptr& ev) {
  using chat::event_kind;
  const bool mine = ev->origin == this;
  const std::size_t variant = (server_time_ ? 1U : 0U) | (message_tags_ ? 2U : 0U);
  auto& slot = ev->wire[static_cast<std::size_t>(chat::wire_slot::irc) + variant];
  auto cached = [&](auto render) -> const payload& {
    if (!slot) slot = std::make_shared<const std::string>(render());
    return slot;
  };
  switch (ev->kind) {
    case event_kind::said:
    case event_kind::private_message: {
      // A private message reaches its sender only when sent to themself
      // (cmd_message never echoes those twice): that one is delivered,
      // as every IRC server does.
      if (mine && !echo_message_ && ev->kind == event_kind::said) return;
      const std::string_view command = ev->args.empty() ? std::string_view("PRIVMSG") : ev->args.front();
      if (command == "TAGMSG" && !message_tags_) return;
      const std::string& to = ev->kind == event_kind::said ? ev->room : ev->target;
      send(cached([&] {
        const auto tags = tag_prefix(*ev);
        const std::string_view source = ev->source.empty() ? ev->from : ev->source;
        if (command == "TAGMSG") return fmt::format("{}:{} TAGMSG {}\r\n", tags, source, to);
        // Lines stay within 512 bytes: long text (from the seed protocol)
        // goes out as several messages, cut between characters.
        // ":source COMMAND to :" -- appended piece by piece: this runs for
        // every message, and a formatted head would be one more allocation.
        const std::size_t head_size = source.size() + command.size() + to.size() + 5;
        const std::size_t room = protocol::kIrcMaxLine - 2 - std::min(head_size, protocol::kIrcMaxLine - 66);
        std::string out;
        out.reserve(tags.size() + head_size + ev->text.size() + 2);
        auto add_line = [&](std::string_view line) {
          auto add = [&](std::string_view piece) {
            out += tags;
            out += ':';
            out += source;
            out += ' ';
            out += command;
            out += ' ';
            out += to;
            out += " :";
            out += piece;
            out += "\r\n";
          };
          if (line.size() <= room) {
            add(line);
          } else {
            for (const auto piece : irc::split_text(line, room)) add(piece);
          }
        };
        // Text from IRC is one clean line: no copy into lines first.
        if (!irc::has_forbidden(ev->text)) {
          add_line(ev->text);
        } else {
          for (const auto& line : text_lines(ev->text)) add_line(line);
        }
        return out;
      }));
      return;
    }
    // Other users' comings and goings may wait a little (kDeferredFlushDelay):
    // a join storm in a big channel then costs each member a few writes.
    case event_kind::joined:
      send(cached([&] { return fmt::format("{}:{} JOIN {}\r\n", tag_prefix(*ev), ev->source, ev->room); }),
           /*may_wait=*/!mine);
      return;
    case event_kind::left:
      if (mine) {
        // Forget the room before the client can see the PART: a JOIN it sends
        // on seeing it must find the slot free (CHANLIMIT).
        const std::lock_guard lock(info_mutex_);
        rooms_.erase(protocol::fold_nick(ev->room));
      }
      if (ev->text.empty()) {
        send(cached([&] { return fmt::format("{}:{} PART {}\r\n", tag_prefix(*ev), ev->source, ev->room); }),
             /*may_wait=*/!mine);
      } else {
        send(cached([&] {
               return fmt::format("{}:{} PART {} :{}\r\n", tag_prefix(*ev), ev->source, ev->room, ev->text);
             }),
             /*may_wait=*/!mine);
      }
      return;
    case event_kind::quit:  // shared by several rooms: never cached, shown once
      if (!seen_before(ev)) {
        send(std::make_shared<const std::string>(
                 fmt::format("{}:{} QUIT :{}\r\n", tag_prefix(*ev), ev->source, ev->text)),
             /*may_wait=*/true);
      }
      return;
    case event_kind::nick_changed:  // shared by several rooms: never cached, shown once
      if (!seen_before(ev)) {
        send(std::make_shared<const std::string>(
                 fmt::format("{}:{} NICK :{}\r\n", tag_prefix(*ev), ev->source, ev->target)),
             /*may_wait=*/!mine);
      }
      return;
    case event_kind::kicked: {
      {
        // As for PART: the room is forgotten before the client sees the KICK.
        const std::lock_guard lock(info_mutex_);
        if (protocol::fold_equal{}(ev->target, nick_)) rooms_.erase(protocol::fold_nick(ev->room));
      }
      send(cached([&] {
        return fmt::format("{}:{} KICK {} {} :{}\r\n", tag_prefix(*ev), ev->source, ev->room, ev->target,
                           ev->text);
      }));
      return;
    }
    case event_kind::topic_changed:
      send(cached([&] {
        return fmt::format("{}:{} TOPIC {} :{}\r\n", tag_prefix(*ev), ev->source, ev->room, ev->text);
      }));
      return;
    case event_kind::mode_changed:
      send(cached([&] {
        std::string args;
        for (const auto& a : ev->args) args += " " + a;
        return fmt::format("{}:{} MODE {} {}{}\r\n", tag_prefix(*ev), ev->source, ev->room, ev->text, args);
      }));
      return;
    case event_kind::invited:
      if (mine) {
        // The confirmation runs on the room's strand: nick_ is read under the lock.
        std::string me;
        {
          const std::lock_guard lock(info_mutex_);
          me = nick_;
        }
        send_bytes(fmt::format(":{} 341 {} {} {}\r\n", settings_.server_name, me, ev->target, ev->room));
      } else {
        send_bytes(fmt::format(":{} INVITE {} {}\r\n", ev->source, ev->target, ev->room));
      }
      return;
    case event_kind::who_reply:
    case event_kind::names_reply:
      render_roster(*ev);
      return;
    case event_kind::channel_state:
      render_state(*ev);
      return;
    case event_kind::ban_list: {
      std::string out;
      for (const auto& mask : ev->args) {
        out += fmt::format(":{} 367 {} {} {}\r\n", settings_.server_name, ev->from, ev->room, mask);
      }
      out += fmt::format(":{} 368 {} {} :End of channel ban list\r\n", settings_.server_name, ev->from,
                         ev->room);
      send_bytes(std::move(out));
      return;
    }
    case event_kind::notice:
      send_bytes(fmt::format(":{} NOTICE * :{}\r\n", settings_.server_name, ev->text));
      return;
    case event_kind::killed:
      killed(ev->from, ev->text);
      return;
    case event_kind::wallops:
      if (oper_ || wallops_)
        send(cached([&] { return fmt::format(":{} WALLOPS :{}\r\n", ev->source, ev->text); }));
      return;
    case event_kind::error:
      deliver_error(*ev);
      return;
  }
}

void irc_session::render_roster(const chat::event& ev, bool as_names) {
  const auto& srv = settings_.server_name;
  std::string out;
  if (ev.kind == chat::event_kind::who_reply && !as_names) {
    for (const auto& e : ev.roster) {
      std::string flags = e.away ? "G" : "H";
      if (e.op) flags += '@';
      if (e.voice && (multi_prefix_ || !e.op)) flags += '+';
      out += fmt::format(":{} 352 {} {} {} {} {} {} {} :0 {}\r\n", srv, ev.from, ev.room, e.user, e.host, srv,
                         e.nick, flags, e.realname);
    }
    out += fmt::format(":{} 315 {} {} :End of /WHO list\r\n", srv, ev.from, ev.room);
    send_bytes(std::move(out));
    return;
  }
  const auto head = fmt::format(":{} 353 {} = {} :", srv, ev.from, ev.room);
  std::string line;
  for (const auto& e : ev.roster) {
    std::string name;
    if (e.op) name += '@';
    if (e.voice && (multi_prefix_ || !e.op)) name += '+';
    name += e.nick;
    if (!line.empty() && head.size() + line.size() + 1 + name.size() + 2 > protocol::kIrcMaxLine) {
      out += head + line + "\r\n";
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += name;
  }
  if (!line.empty()) out += head + line + "\r\n";
  out += fmt::format(":{} 366 {} {} :End of /NAMES list\r\n", srv, ev.from, ev.room);
  send_bytes(std::move(out));
}

void irc_session::render_state(const chat::event& ev) {
  const auto& srv = settings_.server_name;
  const auto& st = *ev.state;
  if (ev.text == "modes") {
    std::string args;
    for (const auto& a : st.mode_args) args += " " + a;
    send_bytes(fmt::format(":{0} 324 {1} {2} {3}{4}\r\n:{0} 329 {1} {2} {5}\r\n", srv, ev.from, ev.room,
                           st.modes, args, st.created_at));
    return;
  }
  std::string out;
  if (st.topic.empty()) {
    if (ev.text == "topic") out += fmt::format(":{} 331 {} {} :No topic is set\r\n", srv, ev.from, ev.room);
  } else {
    out += fmt::format(":{} 332 {} {} :{}\r\n", srv, ev.from, ev.room, st.topic);
    out += fmt::format(":{} 333 {} {} {} {}\r\n", srv, ev.from, ev.room, st.topic_by, st.topic_at);
  }
  if (!out.empty()) send_bytes(std::move(out));
  if (ev.text.empty()) {
    render_roster(ev, /*as_names=*/true);  // the join reply ends with the names
  }
}

void irc_session::deliver_error(const chat::event& ev) {
  using chat::error_code;
  const auto& srv = settings_.server_name;
  const auto& me = ev.from;
  switch (ev.code) {
    case error_code::room_full:
    case error_code::invite_only:
    case error_code::banned:
    case error_code::bad_key: {
      // A refused join: we are not in that room after all.
      const std::lock_guard lock(info_mutex_);
      rooms_.erase(protocol::fold_nick(ev.room));
      break;
    }
    default:
      break;
  }
  auto line = [&](std::string_view code, std::string_view middle, std::string_view text) {
    send_bytes(fmt::format(":{} {} {} {} :{}\r\n", srv, code, me, middle, text));
  };
  switch (ev.code) {
    case error_code::none:
      return;
    case error_code::no_such_user:
      return line("401", ev.text, "No such nick/channel");
    case error_code::no_such_room:
      return line("403", ev.room, "No such channel");
    case error_code::cannot_send:
      return line("404", ev.room, "Cannot send to channel");
    case error_code::not_on_room:
      return line("442", ev.room, "You're not on that channel");
    case error_code::user_not_on_room:
      return line("441", ev.text + " " + ev.room, "They aren't on that channel");
    case error_code::already_on_room:
      return line("443", ev.text + " " + ev.room, "is already on channel");
    case error_code::chanop_needed:
      return line("482", ev.room, "You're not channel operator");
    case error_code::room_full:
      return line("471", ev.room, "Cannot join channel (+l)");
    case error_code::invite_only:
      return line("473", ev.room, "Cannot join channel (+i)");
    case error_code::banned:
      return line("474", ev.room, "Cannot join channel (+b)");
    case error_code::bad_key:
      return line("475", ev.room, "Cannot join channel (+k)");
    case error_code::unknown_mode:
      return line("472", ev.text, "is unknown mode char to me");
    case error_code::room_closed:
      // The room emptied while our join was on its way: join the new one.
      asio::post(executor(), [self = self(), name = ev.room] {
        if (!self->stopped() && !self->closing()) self->join_room(name, {});
      });
      return;
  }
}

}  // namespace net
