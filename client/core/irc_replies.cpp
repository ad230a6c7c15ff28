// Server replies shown as people read them, not as numerics: WHOIS, AWAY,
// TOPIC, INVITE, channel and user modes, ban lists; and the answers to CTCP
// requests (VERSION, PING, TIME).
#include <array>
#include <ctime>

#include "core/irc_machine.hpp"
#include "protocol/nick.hpp"

namespace client {

namespace {

// The last parameter, or "" when there are fewer than `n`.
std::string param(const protocol::irc::message& m, std::size_t n) {
  return m.params.size() > n ? m.params[n] : std::string();
}

// RFC 5322 date, as CTCP TIME answers usually read.
std::string mail_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 64> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return {buf.data(), n};
}

}  // namespace

bool irc_machine::reply(const protocol::irc::message& m, effects& out) {
  const auto& cmd = m.command;
  const auto& p = m.params;
  const auto who = [&] { return look_.nick(param(m, 1)); };
  if (cmd == "311" && p.size() >= 6) {
    out.show.push_back(who() + look_.dim(" is ") + sanitize(p[2] + "@" + p[3]) + " (" + sanitize(p[5]) + ")");
  } else if (cmd == "312" && p.size() >= 3) {
    out.show.push_back(who() + look_.dim(" is on ") + sanitize(p[2]) +
                       (p.size() > 3 ? " (" + sanitize(p[3]) + ")" : std::string()));
  } else if (cmd == "313" && p.size() >= 2) {
    out.show.push_back(who() + look_.dim(" is an IRC operator"));
  } else if (cmd == "317" && p.size() >= 3) {
    out.show.push_back(who() + look_.dim(" has been idle " + sanitize(p[2]) + " s"));
  } else if (cmd == "319" && p.size() >= 3) {
    out.show.push_back(who() + look_.dim(" is in ") + sanitize(p[2]));
  } else if (cmd == "330" && p.size() >= 3) {
    out.show.push_back(who() + look_.dim(" is logged in as ") + sanitize(p[2]));
  } else if (cmd == "671" && p.size() >= 2) {
    out.show.push_back(who() + look_.dim(" uses a secure connection"));
  } else if (cmd == "301" && p.size() >= 3) {
    out.show.push_back(who() + look_.dim(" is away: ") + sanitize(p[2]));
  } else if (cmd == "305") {
    away_ = false;
    changed(out);
    out.show.push_back(look_.dim("You are no longer away."));
  } else if (cmd == "306") {
    away_ = true;
    changed(out);
    out.show.push_back(look_.dim("You are away. Type !away to come back."));
  } else if (cmd == "331" && p.size() >= 2) {
    out.show.push_back(look_.dim("No topic is set for " + sanitize(p[1]) + "."));
  } else if (cmd == "341" && p.size() >= 3) {
    out.show.push_back(look_.dim("You invited ") + look_.nick(p[1]) +
                       look_.dim(" to " + sanitize(p[2]) + "."));
  } else if (cmd == "324" && p.size() >= 3) {
    std::string modes;
    for (std::size_t i = 2; i < p.size(); ++i) modes += (i > 2 ? " " : "") + p[i];
    out.show.push_back(look_.dim("Modes of " + sanitize(p[1]) + ": ") + sanitize(modes));
  } else if (cmd == "367" && p.size() >= 3) {
    out.show.push_back(look_.dim("Banned from " + sanitize(p[1]) + ": ") + sanitize(p[2]) +
                       (p.size() > 3 ? look_.dim(" (by " + sanitize(p[3]) + ")") : std::string()));
  } else if (cmd == "368" && p.size() >= 2) {
    out.show.push_back(look_.dim("End of the bans of " + sanitize(p[1]) + "."));
  } else if (cmd == "221" && p.size() >= 2) {
    out.show.push_back(look_.dim("Your modes: ") + sanitize(p[1]));
  } else if (cmd == "MODE" && p.size() >= 2 && is_me(p[0])) {
    std::string change;
    for (std::size_t i = 1; i < p.size(); ++i) change += (i > 1 ? " " : "") + p[i];
    out.show.push_back(look_.dim("Your modes change: ") + sanitize(change));
  } else if (cmd == "318" || cmd == "333" || cmd == "329") {
    // End of WHOIS, who set the topic and when, when the room was made:
    // nothing more to show.
  } else {
    return false;
  }
  return true;
}

void irc_machine::ctcp(effects& out, std::string_view from, std::string_view request) {
  request.remove_prefix(1);  // the opening \x01
  if (!request.empty() && request.back() == '\x01') request.remove_suffix(1);
  const auto space = request.find(' ');
  const auto verb = request.substr(0, space);
  const auto arg = space == std::string_view::npos ? std::string_view{} : request.substr(space + 1);
  std::string answer;
  if (verb == "VERSION") {
    answer = "VERSION " + options_.version;
  } else if (verb == "PING") {
    answer = "PING " + std::string(arg.substr(0, 64));
  } else if (verb == "TIME") {
    answer = "TIME " + mail_date(options_.clock());
  } else {
    return;  // other CTCPs: ignored
  }
  const auto now = options_.clock();
  if (now - ctcp_window_ >= kCtcpWindowSeconds) {
    ctcp_window_ = now;
    ctcp_replies_ = 0;
  }
  if (ctcp_replies_ >= kMaxCtcpReplies) return;
  ++ctcp_replies_;
  send(out, "NOTICE " + std::string(from) + " :\x01" + answer + "\x01");
  out.show.push_back(look_.dim("CTCP " + sanitize(verb) + " from ") + look_.nick(from));
}

}  // namespace client
