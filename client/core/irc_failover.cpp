// What a reconnect to another server (a failover) needs besides rejoining
// and the history: our nick. The lost connection may still hold it there
// (a killed cluster node keeps its users until its lease lapses), so the
// client takes alice_ for now and asks for alice again once its holder is
// gone. The rest of the machine: irc_machine.cpp.
#include "core/irc_machine.hpp"

namespace client {

bool irc_machine::retry_nick(effects& out) {
  // The first connection asks the user instead: a taken nick there is someone else's.
  if (!ever_registered_ || nick_tries_ >= kMaxReconnectNickTries) return false;
  if (wanted_nick_.empty()) wanted_nick_ = nick_;
  ++nick_tries_;
  nick_ += '_';
  out.show.push_back(
      look_.dim("The nick ") + look_.nick(wanted_nick_) +
      look_.dim(" is still taken (by the lost connection, until the server notices it is gone): ") +
      look_.dim("using ") + look_.nick(nick_) + look_.dim(" until it is free."));
  send(out, "NICK " + nick_);
  changed(out);
  return true;
}

void irc_machine::watch_wanted_nick(effects& out) {
  if (wanted_nick_.empty() || is_me(wanted_nick_) || !monitor_ || monitoring_) return;
  // 731 says when it goes offline; at once if it is already.
  monitoring_ = true;
  send(out, "MONITOR + " + wanted_nick_);
}

void irc_machine::nick_gone(effects& out, std::string_view nick) {
  if (!registered_ || wanted_nick_.empty() || !same(nick, wanted_nick_) || is_me(wanted_nick_)) return;
  send(out, "NICK " + wanted_nick_);
}

void irc_machine::nick_changed_by_us(effects& out) {
  // Taken back, or the user chose another: nothing to wait for any more.
  if (wanted_nick_.empty()) return;
  if (monitoring_) send(out, "MONITOR - " + wanted_nick_);
  monitoring_ = false;
  wanted_nick_.clear();
}

}  // namespace client
