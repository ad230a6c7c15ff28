#include "core/irc_machine.hpp"

#include <algorithm>
#include <utility>

#include "protocol/irc.hpp"
#include "protocol/nick.hpp"

namespace client {
namespace {

using protocol::irc::message;

// The nick part of a source "nick!user@host".
std::string_view source_nick(std::string_view source) {
  return source.substr(0, source.find('!'));
}

std::string last_param(const message& m) {
  return m.params.empty() ? std::string() : m.params.back();
}

// "CTCP ACTION": \x01ACTION text\x01
bool split_action(std::string_view text, std::string_view& action) {
  constexpr std::string_view kPrefix =
      "\x01"
      "ACTION ";
  if (!text.starts_with(kPrefix)) return false;
  text.remove_prefix(kPrefix.size());
  if (!text.empty() && text.back() == '\x01') text.remove_suffix(1);
  action = text;
  return true;
}

}  // namespace

irc_machine::irc_machine(irc_options options, style look)
    : options_(std::move(options)), look_(look), nick_(options_.nick) {}

void irc_machine::send(effects& out, std::string_view line) {
  out.send.append(line);
  out.send.append("\r\n");
}

bool irc_machine::same(std::string_view a, std::string_view b) const {
  return protocol::fold_nick(a) == protocol::fold_nick(b);
}

bool irc_machine::is_me(std::string_view nick) const {
  return same(nick, nick_);
}

std::string irc_machine::where(std::string_view room) const {
  if (same(room, current_)) return {};
  return "[" + sanitize(room) + "] ";
}

void irc_machine::forget_room(std::string_view room) {
  std::erase_if(rooms_, [&](const std::string& r) { return same(r, room); });
  unread_.erase(protocol::fold_nick(room));
  if (same(room, current_)) current_ = rooms_.empty() ? std::string() : rooms_.back();
}

effects irc_machine::connected() {
  registered_ = false;
  quitting_ = false;
  echo_ = false;
  offered_caps_.clear();
  enabled_caps_.clear();
  caps_ended_ = false;
  login_ = login::none;
  scram_client_.reset();
  sasl_in_.reset();
  logged_in_as_.clear();
  history_limit_ = 0;
  monitor_ = false;
  nick_tries_ = 0;
  monitoring_ = false;
  if (!wanted_nick_.empty()) nick_ = wanted_nick_;  // still ours to ask for first
  batches_.clear();
  held_.clear();
  asked_.clear();
  live_since_request_.clear();
  queries_fetched_ = false;
  names_.clear();
  members_.clear();
  unread_.clear();
  away_ = false;
  who_asked_.clear();
  listing_.clear();
  effects out;
  send(out, "CAP LS 302");
  if (!options_.password.empty()) send(out, "PASS :" + options_.password);
  send(out, "NICK " + nick_);
  send(out, "USER " + options_.user + " 0 * :" + options_.realname);
  return out;
}

effects irc_machine::registration_refused(std::string_view reason) {
  effects out;
  awaiting_nick_ = true;
  out.show.push_back(look_.strong(sanitize(reason)) + " Choose another nick.");
  changed(out);
  if (!queued_.empty()) {
    // Piped input: the next line is the answer.
    auto answer = std::move(queued_.front());
    queued_.erase(queued_.begin());
    out.merge(on_input(answer));
  }
  return out;
}

effects irc_machine::welcome(const std::vector<std::string>& params) {
  effects out;
  registered_ = true;
  ever_registered_ = true;
  out.registered = true;
  if (!params.empty()) nick_ = params.front();
  out.show.push_back(look_.dim("Connected as ") + look_.nick(nick_) +
                     look_.dim(". Type !help for the commands."));
  // The rooms asked for the first time, those we were in after a reconnect.
  if (rooms_.empty()) rooms_ = options_.rooms;
  std::string list;
  for (const auto& room : rooms_) list += (list.empty() ? "" : ",") + room;
  if (!list.empty()) send(out, "JOIN " + list);
  // Lines typed meanwhile go to the room joined last, as after a !join.
  previous_.clear();
  current_ = rooms_.empty() ? std::string() : rooms_.back();
  changed(out);
  auto waiting = std::exchange(queued_, {});
  for (const auto& line : waiting) out.merge(on_input(line));
  return out;
}

effects irc_machine::on_end_of_input() {
  if (awaiting_nick_ || (!registered_ && queued_.empty())) {
    quitting_ = true;
    effects out;
    send(out, "QUIT :Leaving");
    out.quit = true;
    return out;
  }
  return on_input("!logout");
}

effects irc_machine::on_input(std::string_view line) {
  effects out;
  // A CR, LF or NUL in a typed line would end or break the IRC line.
  std::string clean(line);
  std::replace_if(
      clean.begin(), clean.end(), [](char ch) { return ch == '\r' || ch == '\n' || ch == '\0'; }, ' ');
  line = clean;
  if (awaiting_nick_) {
    std::string_view nick = line;
    while (!nick.empty() && (nick.back() == ' ' || nick.back() == '\r')) nick.remove_suffix(1);
    while (!nick.empty() && nick.front() == ' ') nick.remove_prefix(1);
    if (nick.empty() || nick.find(' ') != std::string_view::npos) {
      out.show.push_back(look_.strong("A nick is one word.") + " Choose another nick.");
      return out;
    }
    awaiting_nick_ = false;
    nick_ = std::string(nick);
    send(out, "NICK " + nick_);
    changed(out);
    return out;
  }
  if (!registered_) {
    queued_.emplace_back(line);
    return out;
  }
  return command(parse_input(line));
}

void irc_machine::say(effects& out, std::string_view target, std::string_view text, bool action) {
  // ":prefix PRIVMSG <target> :<text>\r\n", and the CTCP framing of an action.
  const std::size_t overhead = kRelayPrefixBudget + 8 + target.size() + 2 + 2 + (action ? 9 : 0);
  const auto max = protocol::kIrcMaxLine > overhead + 16 ? protocol::kIrcMaxLine - overhead : 16;
  // One typed line may hold several lines pasted at once: send each.
  for (const auto piece : protocol::irc::split_text(text, max)) {
    std::string body = action ? "\x01"
                                "ACTION " +
                                    std::string(piece) + "\x01"
                              : std::string(piece);
    send(out, "PRIVMSG " + std::string(target) + " :" + body);
  }
  if (echo_) return;
  // Without echo-message we show what we sent ourselves.
  if (is_room(target)) {
    out.show.push_back(where(target) + (action ? "* " + look_.nick(nick_) + " " + sanitize(text)
                                               : look_.nick(nick_) + " > " + sanitize(text)));
  } else {
    out.show.push_back(look_.strong("privately to ") + look_.nick(target) + " > " + sanitize(text));
  }
}

void irc_machine::message_line(const message& m, effects& out, bool history, std::time_t when) {
  const auto& cmd = m.command;
  const auto from = source_nick(m.source);
  const auto& target = m.params[0];
  const std::string_view text = m.params[1];
  const bool server = m.source.empty() || m.source.find('!') == std::string::npos;
  // Each message once: history may overlap what was seen live.
  if (!first_sight(m)) return;
  if (!server) {
    // The newest message of the conversation, where a reconnect's history
    // starts (history lines come oldest first, and only live ones are newer).
    const auto key = conversation_of(m);
    const auto id =
        std::find_if(m.tags.begin(), m.tags.end(), [](const auto& t) { return t.key == "msgid"; });
    if (id != m.tags.end() && !id->value.empty() && !key.empty() &&
        (!history || !live_since_request_.contains(key)) &&
        (last_msgid_.size() < kMaxSeenMsgids || last_msgid_.contains(key))) {
      last_msgid_[key] = id->value;
      const auto time =
          std::find_if(m.tags.begin(), m.tags.end(), [](const auto& t) { return t.key == "time"; });
      if (time != m.tags.end() && !time->value.empty()) {
        last_time_[key] = time->value;
      } else {
        last_time_.erase(key);
      }
      if (!history && held_.contains(key)) live_since_request_.insert(key);
    }
  }
  const auto put = [&](std::string line) { out.show_at(std::move(line), when); };
  std::string_view action;
  const bool is_action = cmd == "PRIVMSG" && split_action(text, action);
  if (!server && !is_me(from) && ignored_.contains(protocol::fold_nick(from))) {
    // !ignore: not shown.
  } else if (!is_action && cmd == "PRIVMSG" && text.starts_with('\x01')) {
    // Answered to people only (a source nick!user@host), never to servers,
    // and never from history: it was asked long ago.
    if (!history && !is_room(target) && !server && !from.empty()) ctcp(out, from, text);
  } else if (cmd == "NOTICE" && text.starts_with('\x01')) {
    // CTCP replies: never shown raw.
  } else if (cmd == "NOTICE" && (server || !registered_)) {
    put(look_.dim("-" + sanitize(from.empty() ? "server" : from) + "- ") + sanitize(text));
  } else if (is_room(target)) {
    // A line that names us stands out (and may ring the bell); not from history.
    const bool named = !history && !is_me(from) && mentions(is_action ? action : text, nick_);
    out.mentioned = out.mentioned || named;
    if (!history && !is_me(from)) note_unread(out, target, named);
    const auto body = [&](std::string_view t) { return named ? look_.mention(sanitize(t)) : sanitize(t); };
    if (is_action) {
      put(where(target) + "* " + look_.nick(from) + " " + body(action));
    } else if (cmd == "NOTICE") {
      put(where(target) + "-" + look_.nick(from) + "- " + body(text));
    } else {
      put(where(target) + look_.nick(from) + " > " + body(text));
    }
  } else if (is_me(from) && !is_me(target) && cmd == "NOTICE") {
    // Our own notice, echoed.
    put(look_.dim("-notice to ") + look_.nick(target) + look_.dim("- ") + sanitize(text));
  } else if (is_me(from) && !is_me(target)) {
    // Our own private message, echoed.
    put(look_.strong("privately to ") + look_.nick(target) + " > " + sanitize(is_action ? action : text));
  } else {
    if (!history) {
      out.mentioned = true;  // a private message is always for us
      if (cmd == "PRIVMSG") note_unread(out, from, true);
    }
    const auto kind = cmd == "NOTICE" ? std::string("notice from ") : std::string("privately ");
    put(look_.strong(kind) + look_.nick(from) + (is_action ? " * " : " > ") +
        sanitize(is_action ? action : text));
  }
}

effects irc_machine::on_line(std::string_view line) {
  effects out;
  auto parsed = protocol::irc::parse_message(line);
  if (!parsed) return out;  // nothing a server should send; ignore it
  const message& m = *parsed;
  const auto& p = m.params;
  const auto from = source_nick(m.source);
  const auto& cmd = m.command;
  // A line of a chathistory batch: shown as history, nothing else.
  if (batch_line(m, out)) return out;

  if (cmd == "PING") {
    send(out, "PONG :" + last_param(m));
  } else if (cmd == "CAP" && p.size() >= 3) {
    const auto& sub = p[1];
    if (sub == "LS") {
      std::string_view caps = p.back();
      while (!caps.empty()) {
        const auto space = caps.find(' ');
        const auto cap = caps.substr(0, space);
        const auto equals = cap.find('=');
        if (!cap.empty())
          offered_caps_[std::string(cap.substr(0, equals))] =
              equals == std::string_view::npos ? std::string() : std::string(cap.substr(equals + 1));
        caps = space == std::string_view::npos ? std::string_view{} : caps.substr(space + 1);
      }
      const bool more = p.size() >= 4 && p[2] == "*";
      if (!more && !registered_) request_caps(out);
    } else if (sub == "ACK") {
      caps_acknowledged(out, p.back());
    } else if (sub == "NAK") {
      if (login_ == login::requested) login_over(out, "the server refused the capabilities asked for");
      end_caps(out);
    }
  } else if (cmd == "AUTHENTICATE" && !p.empty()) {
    authenticate(out, p[0]);
  } else if (login_reply(m, out)) {
    // irc_login.cpp
  } else if (cmd == "BATCH" && !p.empty()) {
    batch_command(m, out);
  } else if (cmd == "FAIL" || cmd == "WARN" || cmd == "NOTE") {
    standard_reply(m, out);
  } else if (cmd == "005") {
    isupport(p);
  } else if (cmd == "001") {
    out.merge(welcome(p));
  } else if (!registered_ && cmd == "433" && retry_nick(out)) {
    // another nick for now (irc_failover.cpp)
  } else if (!registered_ && (cmd == "431" || cmd == "432" || cmd == "433" || cmd == "436")) {
    const auto tried = p.size() >= 3 ? p[1] : nick_;
    std::string reason = cmd == "433"   ? "The nick " + tried + " is taken."
                         : cmd == "431" ? std::string("A nick is needed.")
                                        : "The nick " + tried + " is not allowed (" + last_param(m) + ").";
    out.merge(registration_refused(reason));
  } else if (cmd == "ERROR") {
    if (!quitting_)
      out.show.push_back(look_.strong("Server closed the connection: " + sanitize(last_param(m))));
  } else if (membership_line(m, from, out)) {
  } else if ((cmd == "PRIVMSG" || cmd == "NOTICE") && p.size() >= 2) {
    message_line(m, out, false, 0);
  } else if (cmd == "TOPIC" && p.size() >= 2) {
    out.show.push_back(where(p[0]) + look_.nick(from) +
                       look_.dim(" set the topic of " + sanitize(p[0]) + " to: ") + sanitize(p[1]));
  } else if (cmd == "332" && p.size() >= 3) {
    out.show.push_back(look_.dim("Topic of " + sanitize(p[1]) + ": ") + sanitize(p[2]));
  } else if (cmd == "INVITE" && p.size() >= 2) {
    out.show.push_back(look_.nick(from) + " invites you to " + sanitize(p[1]) +
                       look_.dim(": type !join " + sanitize(p[1])));
  } else if (cmd == "MODE" && p.size() >= 2 && is_room(p[0])) {
    std::string change;
    for (std::size_t i = 1; i < p.size(); ++i) change += (i > 1 ? " " : "") + p[i];
    out.show.push_back(where(p[0]) + look_.nick(from) + look_.dim(" sets mode " + sanitize(change)));
  } else if (names_line(m, out)) {
  } else if (cmd == "322" && p.size() >= 3) {
    if (listing_.size() < kMaxNames)
      listing_.push_back(sanitize(p[1]) + " (" + sanitize(p[2]) + (p[2] == "1" ? " user)" : " users)") +
                         (p.size() > 3 && !p[3].empty() ? ": " + sanitize(p[3]) : std::string()));
  } else if (cmd == "323") {
    if (listing_.empty()) out.show.emplace_back("No rooms.");
    for (auto& entry : listing_) out.show.push_back(std::move(entry));
    listing_.clear();
  } else if (cmd == "731" && p.size() >= 2) {
    // MONITOR: these nicks are offline.
    std::string_view list = p.back();
    while (!list.empty()) {
      const auto comma = list.find(',');
      nick_gone(out, source_nick(list.substr(0, comma)));
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  } else if (reply(m, out)) {
    // shown by irc_replies.cpp
  } else if (cmd == "372") {
    out.show.push_back(look_.dim(sanitize(last_param(m))));
  } else if (cmd == "376" || cmd == "422") {
    // The end of the MOTD (or no MOTD, then nothing to show): ISUPPORT is
    // known, so the private conversations kept over a reconnect get what
    // they missed, and a nick held by a lost connection is watched.
    if (!std::exchange(queries_fetched_, true)) {
      watch_wanted_nick(out);
      for (const auto& q : queries_) {
        if (last_msgid_.contains(protocol::fold_nick(q))) request_history(out, q);
      }
    }
  } else if ((cmd == "403" || cmd == "405" || cmd == "471" || cmd == "473" || cmd == "474" || cmd == "475") &&
             p.size() >= 3 && same(p[1], current_) &&
             std::none_of(rooms_.begin(), rooms_.end(), [&](const auto& r) { return same(r, p[1]); })) {
    current_ = previous_;
    out.show.push_back(look_.strong(sanitize(p[1] + ": " + p.back())));
    changed(out);
  } else if (cmd.size() == 3 && (cmd[0] == '4' || cmd[0] == '5') && p.size() >= 2) {
    // Errors: "<what>: <text>", e.g. "bob: No such nick/channel".
    std::string what;
    for (std::size_t i = 1; i + 1 < p.size(); ++i) what += (what.empty() ? "" : " ") + p[i];
    out.show.push_back(look_.strong(sanitize(what.empty() ? p.back() : what + ": " + p.back())));
    if (cmd == "421" && p[1] == "CHATHISTORY") {
      // No history after all: the lines held for it, now.
      while (!held_.empty()) history_done(out, held_.begin()->first);
    }
  }
  if (!held_.empty() && !out.show.empty() && !(cmd == "JOIN" && is_me(from))) {
    // Live lines of a conversation whose history is on the way wait for it.
    const auto key = conversation_of(m);
    if (auto held = held_.find(key); held != held_.end()) {
      effects these;
      these.show = std::exchange(out.show, {});
      these.at = std::exchange(out.at, {});
      if (held->second.show.size() + these.show.size() > kMaxHeldLines) {
        history_done(out, key);  // too long a wait: what was held, then these, now
        out.merge(std::move(these));
      } else {
        held->second.merge(std::move(these));
      }
    }
  }
  return out;
}

}  // namespace client
