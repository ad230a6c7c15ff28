// IRC operator commands: OPER, and what only operators may do (KILL,
// WALLOPS, REHASH, DIE; the table checks 481).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "door/irc_door.hpp"
#include "door/log.hpp"
#include "door/secret.hpp"
#include "protocol/utf8.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

void irc_door::cmd_oper(const message& m) {
  const auto live = settings_.live->get();
  // Every name is compared, so the answer's timing says nothing of names.
  const oper_credential* entry = nullptr;
  for (const auto& o : live->opers) {
    if (same_secret(m.params[0], o.name) && entry == nullptr) entry = &o;
  }
  const bool any_hashed = std::any_of(live->opers.begin(), live->opers.end(),
                                      [](const oper_credential& o) { return is_password_hash(o.password); });
  if (!any_hashed || !settings_.slow_work) {
    const bool ok = entry != nullptr && password_matches(entry->password, m.params[1]);
    return oper_answer(ok, m.params[0]);
  }
  // With any hashed entry, every OPER costs one argon2 check, whatever the
  // name and the kind of its entry: a stand-in hash for a name that does
  // not exist or a plain entry, so that the time tells nothing. It takes
  // tens of milliseconds: off the event loop, while this client's input
  // waits (its next commands keep their order).
  auto ok = std::make_shared<bool>(false);
  auto check = [ok, stored = entry != nullptr ? entry->password : std::string(), given = m.params[1],
                found = entry != nullptr] {
    static const std::string stand_in = hash_password("no such operator");  // made on the slow thread
    if (found && is_password_hash(stored)) {
      *ok = password_matches(stored, given);
    } else {
      (void)password_matches(stand_in, given);
      *ok = found && password_matches(stored, given);
    }
  };
  off_loop(std::move(check), [this, ok, name = m.params[0]] { oper_answer(*ok, name); });
}

void irc_door::oper_answer(bool ok, std::string_view name) {
  if (!ok) {
    spdlog::warn("irc {}: {} failed OPER as {}", link_.remote_label(), nick_, sample(name));
    // A guess costs its sender flood tokens (and the hash thread's time):
    // guessing fast means waiting.
    for (std::size_t i = 0; i < kOperFailureTokens; ++i) link_.spend_token();
    return reply(numeric::err_passwdmismatch, {"Password incorrect"});
  }
  spdlog::info("irc {}: {} is now an operator ({})", link_.remote_label(), nick_, sample(name));
  if (!oper_.exchange(true)) hub_.opers().fetch_add(1, std::memory_order_relaxed);
  wallops_ = true;
  reply(numeric::rpl_youreoper, {"You are now an IRC operator"});
  send_bytes(irc::encode_line({{}, nick_, "MODE"}, {nick_, "+ow"}));
}

void irc_door::cmd_kill(const message& m) {
  auto target = hub_.directory().find(m.params[0]);
  if (!target) return reply(numeric::err_nosuchnick, {m.params[0], "No such nick/channel"});
  spdlog::info("irc {}: {} kills {} ({})", link_.remote_label(), nick_, m.params[0],
               sample(m.params[1], 100));
  auto ev = chat::new_event(chat::event_kind::killed, {}, nick_, this);
  ev->source = source();
  ev->text = protocol::utf8_clip(m.params[1], protocol::kMaxReasonLength);
  target->deliver(ev);
}

void irc_door::killed(const std::string& by, const std::string& reason) {
  link_.post([self = self_irc(), by, reason] {
    if (self->quitting_ || !self->link_.open()) return;
    self->close_link(fmt::format("Killed ({} ({}))", by, reason), metrics::disconnect::kill);
  });
}

void irc_door::cmd_wallops(const message& m) {
  if (m.params[0].empty()) return reply(numeric::err_needmoreparams, {"WALLOPS", "Not enough parameters"});
  spdlog::info("irc {}: {} sent WALLOPS", link_.remote_label(), nick_);  // not its text
  auto ev = chat::new_event(chat::event_kind::wallops, {}, nick_, this);
  ev->source = source();
  ev->text = m.params[0];
  hub_.directory().for_each([&](const std::shared_ptr<chat::member>& who) { who->deliver(ev); });
}

void irc_door::cmd_rehash(const message& /*m*/) {
  if (!settings_.rehash) return reply(numeric::rpl_rehashing, {"-", "Rehashing is not available"});
  spdlog::info("irc {}: {} asked for REHASH", link_.remote_label(), nick_);
  const auto problem = settings_.rehash();
  if (!problem.empty()) {
    server_line("NOTICE", {nick_, "REHASH failed, the old configuration stays: " + problem});
    return;
  }
  reply(numeric::rpl_rehashing, {"configuration", "Rehashing"});
}

void irc_door::cmd_die(const message& /*m*/) {
  if (!settings_.die) return reply(numeric::err_noprivileges, {"Permission Denied- DIE is not available"});
  spdlog::warn("irc {}: {} asked the server to DIE", link_.remote_label(), nick_);
  settings_.die();
}

}  // namespace door
