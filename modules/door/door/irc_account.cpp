// Accounts at the IRC door: IRCv3 draft/account-registration (REGISTER,
// VERIFY), the NickServ service for clients without it, the ChanServ service
// (registered channels: the rooms check and keep them, room_saved.cpp), and
// nick ownership: a registered nick is its account's, and anyone else using
// it is told so and renamed after a grace period (irc_settings::nick_grace).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "door/irc_door.hpp"
#include "door/log.hpp"
#include "protocol/limits.hpp"
#include "protocol/lists.hpp"
#include "protocol/nick.hpp"
#include "protocol/sasl.hpp"
#include "protocol/utf8.hpp"

namespace door {

namespace irc = protocol::irc;
namespace sasl = protocol::sasl;
using irc::numeric;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "*" or something@somewhere without spaces.
bool plausible_email(std::string_view e) {
  if (e == "*") return true;
  const auto at = e.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < e.size() &&
         e.find(' ') == std::string_view::npos && e.size() <= 254;
}

// `text` from its `n`th word on (0 is the first), spaces inside kept.
std::string_view rest_after(std::string_view text, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto start = text.find_first_not_of(' ');
    if (start == std::string_view::npos) return {};
    const auto end = text.find(' ', start);
    if (end == std::string_view::npos) return {};
    text.remove_prefix(end);
  }
  const auto start = text.find_first_not_of(' ');
  return start == std::string_view::npos ? std::string_view() : text.substr(start);
}

}  // namespace

void irc_door::register_account(
    std::string name, std::string email, std::string password,
    std::function<void(bool ok, std::string_view code, std::string_view why)> answer) {
  if (!protocol::parse_nick(name).has_value() || is_service_name(name)) {
    return answer(false, "BAD_ACCOUNT_NAME", "An account name must be a valid nick");
  }
  if (password.size() < kMinAccountPassword) {
    return answer(false, "WEAK_PASSWORD",
                  fmt::format("A password needs at least {} bytes", kMinAccountPassword));
  }
  if (password.size() > sasl::kMaxPassword || !protocol::is_valid_utf8(password)) {
    return answer(false, "UNACCEPTABLE_PASSWORD", "That password is too long");
  }
  if (!plausible_email(email)) return answer(false, "INVALID_EMAIL", "That is not an email address");
  // PBKDF2 takes milliseconds: on the slow thread; then the store.
  auto made = std::make_shared<std::optional<sasl::scram_credential>>();
  off_loop(
      [made, password = std::move(password)] { *made = sasl::make_credential(password); },
      [this, made, name = std::move(name), email = std::move(email), answer = std::move(answer)]() mutable {
        if (!*made) return answer(false, "TEMPORARILY_UNAVAILABLE", "No random numbers: try again later");
        store::account a;
        a.name = name;
        a.email = email == "*" ? std::string() : email;
        a.created_ms = now_ms();
        a.credential = std::move(**made);
        begin_wait();
        settings_.store->create_account(
            std::move(a), back_here<void>([this, name, answer = std::move(answer)](store::result<void> r) {
              if (r) {
                spdlog::info("irc {}: {} registered the account {}", link_.remote_label(), target(),
                             sample(name));
                answer(true, "SUCCESS", "Account successfully registered");
              } else if (r.error() == store::errc::exists) {
                answer(false, "ACCOUNT_EXISTS", "That account is registered already");
              } else {
                answer(false, "TEMPORARILY_UNAVAILABLE", store::describe(r.error()));
              }
              end_wait();
            }));
      });
}

void irc_door::cmd_register(const message& m) {
  if (!offered(cap::account_registration)) {
    return standard_reply("FAIL", "REGISTER", "TEMPORARILY_UNAVAILABLE", {"*"}, "Accounts are not kept here");
  }
  if (m.params.size() < 3) {
    return reply(numeric::err_needmoreparams, {"REGISTER", "Not enough parameters"});
  }
  std::string name = m.params[0] == "*" ? nick_ : m.params[0];
  if (!account().empty()) {
    return standard_reply("FAIL", "REGISTER", "ALREADY_AUTHENTICATED", {account()},
                          "You are logged in already");
  }
  if (name.empty()) return standard_reply("FAIL", "REGISTER", "NEED_NICK", {"*"}, "Choose a nick first");
  if (!protocol::fold_equal{}(name, nick_)) {
    return standard_reply("FAIL", "REGISTER", "ACCOUNT_NAME_MUST_BE_NICK", {name},
                          "The account name must be your nick");
  }
  register_account(name, m.params[1], m.params[2],
                   [this, name](bool ok, std::string_view code, std::string_view why) {
                     if (!ok) return standard_reply("FAIL", "REGISTER", code, {name}, why);
                     server_line("REGISTER", {"SUCCESS", name, "Account successfully registered"});
                     log_in(name, /*sasl=*/false);
                   });
}

void irc_door::cmd_verify(const message& m) {
  if (m.params.size() < 2) return reply(numeric::err_needmoreparams, {"VERIFY", "Not enough parameters"});
  // Accounts are usable as soon as they are registered: nothing to verify.
  standard_reply("FAIL", "VERIFY", "INVALID_CODE", {m.params[0]},
                 "No verification is needed on this server: the account is ready");
}

bool irc_door::to_service(std::string_view to, std::string_view text) {
  if (protocol::fold_equal{}(to, "NickServ")) {
    nickserv(text);
    return true;
  }
  if (protocol::fold_equal{}(to, "ChanServ")) {
    chanserv(text);
    return true;
  }
  return false;
}

void irc_door::service_notice(std::string_view service, std::string_view text) {
  const auto from = fmt::format("{}!{}@services.{}", service, service, settings_.server_name);
  send_bytes(irc::encode_line({{}, from, "NOTICE"}, {target(), text}));
}

void irc_door::nickserv(std::string_view text) {
  auto say = [this](std::string_view t) { service_notice("NickServ", t); };
  if (!settings_.store) return say("Accounts are not kept on this server.");
  const auto words = protocol::split_words(text);
  if (words.empty())
    return say("Commands: REGISTER, IDENTIFY, GHOST, DROP, SET PASSWORD, INFO, CERT. /msg NickServ HELP");
  std::string verb(words[0]);
  for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string me = account();

  if (verb == "HELP") {
    say("REGISTER <password> [email]: register your current nick as an account");
    say("IDENTIFY [account] <password>: log in");
    say("GHOST <nick>: disconnect a connection that uses your account's nick");
    say("SET PASSWORD <new password>: change your password");
    say("DROP: delete your account (logged in)");
    say("INFO [account]: when an account was registered");
    return say(
        "CERT LIST | CERT ADD [fingerprint] | CERT DEL <fingerprint>: the TLS client certificates that log "
        "you in with SASL EXTERNAL (logged in; ADD alone adds this connection's)");
  }
  if (verb == "CERT") return nickserv_cert(words);
  if (verb == "REGISTER") {
    if (words.size() < 2) return say("Syntax: REGISTER <password> [email]");
    if (!me.empty()) return say(fmt::format("You are logged in as {} already.", me));
    const std::string email = words.size() > 2 ? std::string(words[2]) : std::string("*");
    return register_account(nick_, email, std::string(words[1]),
                            [this, say, name = nick_](bool ok, std::string_view, std::string_view why) {
                              if (!ok) return say(fmt::format("Could not register {}: {}", name, why));
                              say(fmt::format("Account {} registered.", name));
                              log_in(name, /*sasl=*/false);
                            });
  }
  if (verb == "IDENTIFY") {
    if (words.size() < 2) return say("Syntax: IDENTIFY [account] <password>");
    if (!me.empty()) return say(fmt::format("You are logged in as {} already.", me));
    // IDENTIFY <password>, or IDENTIFY <account> <password...>: the
    // password is the rest of the line, spaces and all.
    std::string name = words.size() > 2 ? std::string(words[1]) : nick_;
    std::string password(words.size() > 2 ? rest_after(text, 2) : words[1]);
    begin_wait();
    return settings_.store->find_account(
        name, back_here<store::account>([this, say, name, password = std::move(password)](
                                            store::result<store::account> found) mutable {
          auto ok = std::make_shared<bool>(false);
          auto cred = found ? found->credential : sasl::derive_credential("no such account", "salt");
          off_loop([ok, cred = std::move(cred),
                    password = std::move(password)] { *ok = sasl::verify_password(cred, password); },
                   [this, say, ok, found = found.has_value(), stored = found ? found->name : name] {
                     if (found && *ok) return log_in(stored, /*sasl=*/false);
                     for (std::size_t i = 0; i < kLoginFailureTokens; ++i) link_.spend_token();
                     say("Invalid account or password.");
                   });
        }));
  }
  if (verb == "SET") {
    if (words.size() < 3 || !protocol::fold_equal{}(words[1], "PASSWORD"))
      return say("Syntax: SET PASSWORD <new>");
    if (me.empty()) return say("Log in first (IDENTIFY).");
    std::string password(rest_after(text, 2));
    if (password.size() < kMinAccountPassword || password.size() > sasl::kMaxPassword) {
      return say(fmt::format("A password needs {} to {} bytes.", kMinAccountPassword, sasl::kMaxPassword));
    }
    auto made = std::make_shared<std::optional<sasl::scram_credential>>();
    return off_loop(
        [made, password = std::move(password)] { *made = sasl::make_credential(password); },
        [this, say, made, me] {
          if (!*made) return say("Could not change the password: try again later.");
          begin_wait();
          settings_.store->set_credential(
              me, **made, back_here<void>([this, say](store::result<void> r) {
                say(r ? "Password changed."
                      : fmt::format("Could not change the password: {}", store::describe(r.error())));
                end_wait();
              }));
        });
  }
  if (verb == "DROP") {
    if (me.empty()) return say("Log in first (IDENTIFY).");
    begin_wait();
    return settings_.store->drop_account(
        me, back_here<void>([this, say, me](store::result<void> r) {
          if (r) {
            spdlog::info("irc {}: {} dropped the account {}", link_.remote_label(), nick_, sample(me));
            say(fmt::format("Account {} dropped.", me));
            // The store dropped its channels with it; so do the rooms.
            for (const auto& name : hub_.forget_founder(me)) {
              service_notice("ChanServ", fmt::format("{} is no longer registered.", name));
            }
            log_out();
          } else {
            say(fmt::format("Could not drop {}: {}", me, store::describe(r.error())));
          }
          end_wait();
        }));
  }
  if (verb == "INFO") {
    std::string name = words.size() > 1 ? std::string(words[1]) : (me.empty() ? nick_ : me);
    begin_wait();
    return settings_.store->find_account(
        name, back_here<store::account>([this, say, name, me](store::result<store::account> found) {
          if (!found) {
            say(fmt::format("{} is not registered.", name));
          } else {
            const auto secs = std::chrono::seconds(found->created_ms / 1000);
            say(fmt::format("Account {}, registered {}", found->name,
                            irc::format_server_time(std::chrono::system_clock::time_point(secs))));
            if (protocol::fold_equal{}(found->name, me) && !found->email.empty()) {
              say(fmt::format("Email: {}", found->email));
            }
          }
          end_wait();
        }));
  }
  if (verb == "GHOST") {
    if (words.size() < 2) return say("Syntax: GHOST <nick>");
    if (me.empty()) return say("Log in first (IDENTIFY).");
    const std::string victim(words[1]);
    auto other = hub_.directory().find(victim);
    if (!other || other.get() == this) return say(fmt::format("{} is not online.", victim));
    if (!protocol::fold_equal{}(other->account(), me) && !protocol::fold_equal{}(victim, me)) {
      return say(fmt::format("{} is not yours.", victim));
    }
    auto ev = chat::new_event(chat::event_kind::killed, {}, "NickServ", this);
    ev->source = fmt::format("NickServ!NickServ@services.{}", settings_.server_name);
    ev->text = fmt::format("GHOST command used by {}", nick_);
    other->deliver(ev);
    return say(fmt::format("{} has been ghosted.", victim));
  }
  say(fmt::format("Unknown command {}. /msg NickServ HELP", verb));
}

chat::registration_done irc_door::answer_here(std::function<void(chat::registration_answer, std::string)> f) {
  return [self = self_irc(), f = std::move(f)](chat::registration_answer a, std::string detail) {
    auto* d = self.get();
    d->link_.post([self, f, a, detail = std::move(detail)]() mutable {
      if (self->link_.open()) f(a, std::move(detail));
    });
  };
}

void irc_door::chanserv(std::string_view text) {
  auto say = [this](std::string_view t) { service_notice("ChanServ", t); };
  if (!settings_.store) return say("Channels are not registered on this server.");
  const auto words = protocol::split_words(text);
  if (words.empty()) return say("Commands: REGISTER, DROP, INFO. /msg ChanServ HELP");
  std::string verb(words[0]);
  for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (verb == "HELP") {
    say("REGISTER <#channel>: register a channel you are an operator of, as its founder (logged in)");
    say("  Its topic and modes (+imnst) are kept across restarts; you get operator status when you join.");
    say("DROP <#channel>: unregister a channel you founded");
    return say("INFO <#channel>: who founded a channel, and when");
  }
  if (verb != "REGISTER" && verb != "DROP" && verb != "INFO") {
    return say(fmt::format("Unknown command {}. /msg ChanServ HELP", verb));
  }
  if (words.size() < 2) return say(fmt::format("Syntax: {} <#channel>", verb));
  const std::string name(words[1]);
  if (!protocol::parse_room_name(name, protocol::kMaxRoomNameLength).has_value()) {
    return say(fmt::format("{} is not a channel name.", name));
  }
  const auto saved = hub_.saved().find(name);
  if (verb == "INFO") {
    if (!saved) return say(fmt::format("{} is not registered.", name));
    const auto since =
        std::chrono::system_clock::time_point(std::chrono::seconds(saved->registered_ms / 1000));
    return say(fmt::format("{} is registered to {} since {}; it keeps {}{}.", saved->name, saved->founder,
                           irc::format_server_time(since), saved->modes,
                           saved->topic.empty() ? "" : " and its topic"));
  }
  const std::string me = account();
  if (me.empty()) {
    return say(fmt::format("Log in first to {} a channel (SASL, or /msg NickServ IDENTIFY).",
                           verb == "REGISTER" ? "register" : "drop"));
  }
  if (verb == "REGISTER") {
    if (saved) return say(fmt::format("{} is registered already, to {}.", saved->name, saved->founder));
    auto r = hub_.find_room(name);
    if (!r) return say(fmt::format("You are not on {}.", name));
    begin_wait();
    return r->register_to(
        as_actor(), me, now_ms(),
        answer_here([this, say, name, me](chat::registration_answer a, std::string detail) {
          using chat::registration_answer;
          switch (a) {
            case registration_answer::done:
              spdlog::info("irc {}: {} registered the channel {}", link_.remote_label(), sample(me),
                           sample(name));
              say(fmt::format("{} is now registered to {}: its topic and modes are kept.", name, me));
              break;
            case registration_answer::not_on_room:
            case registration_answer::room_closed:
              say(fmt::format("You are not on {}.", name));
              break;
            case registration_answer::not_operator:
              say(fmt::format("You must be a channel operator of {} to register it.", name));
              break;
            case registration_answer::already_registered:
              say(fmt::format("{} is registered already, to {}.", name, detail));
              break;
            case registration_answer::failed:
              say(fmt::format("Could not register {}: {}.", name, detail));
              break;
            default:
              say(fmt::format("{} is being changed: try again.", name));
              break;
          }
          end_wait();
        }));
  }
  // DROP
  if (!saved) return say(fmt::format("{} is not registered.", name));
  if (!protocol::fold_equal{}(saved->founder, me)) {
    return say(fmt::format("Only the founder of {} ({}) may drop it.", saved->name, saved->founder));
  }
  begin_wait();
  chanserv_drop(saved->name, /*tries=*/3);
}

void irc_door::chanserv_drop(std::string name, int tries) {
  // Through the room, even when nobody is in it (it closes again after):
  // its reports to the store leave from its strand, in order. (Input waits
  // for the answer, a labeled DROP's label too: no fence is needed.)
  auto r = hub_.room_named(name);
  r->drop_registration(account(),
                       answer_here([this, name, tries](chat::registration_answer a, std::string detail) {
                         using chat::registration_answer;
                         auto say = [this](std::string_view t) { service_notice("ChanServ", t); };
                         switch (a) {
                           case registration_answer::done:
                             spdlog::info("irc {}: {} dropped the channel {}", link_.remote_label(),
                                          sample(account()), sample(name));
                             say(fmt::format("{} is no longer registered.", name));
                             break;
                           case registration_answer::room_closed:
                             if (tries > 1)
                               return chanserv_drop(name, tries - 1);  // the room that replaced it
                             say(fmt::format("{} is being changed: try again.", name));
                             break;
                           case registration_answer::not_registered:
                             say(fmt::format("{} is not registered.", name));
                             break;
                           case registration_answer::not_founder:
                             say(fmt::format("Only the founder of {} ({}) may drop it.", name, detail));
                             break;
                           case registration_answer::failed:
                             say(fmt::format("Could not drop {}: {}.", name, detail));
                             break;
                           default:
                             say(fmt::format("{} is being changed: try again.", name));
                             break;
                         }
                         end_wait();
                       }));
}

void irc_door::check_nick_owner() {
  if (!settings_.store || nick_.empty() || protocol::fold_equal{}(account(), nick_)) return;
  settings_.store->find_account(
      nick_, back_here<store::account>([this, nick = nick_](store::result<store::account> r) {
        if (!r || nick != nick_ || protocol::fold_equal{}(account(), nick_)) return;
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(settings_.nick_grace).count();
        service_notice("NickServ", fmt::format("The nick {} is registered. Log in to it within {} seconds "
                                               "(/msg NickServ IDENTIFY <password>) or it will be changed.",
                                               nick, secs));
        nick_grace_until_ = clock::now() + settings_.nick_grace;
        if (registered_) link_.arm_deadline(settings_.nick_grace);
      }));
}

void irc_door::lost_nick(const std::string& nick) {
  link_.post([self = self_irc(), nick] {
    if (self->quitting_ || !self->link_.open() || !protocol::fold_equal{}(nick, self->nick_)) return;
    self->force_guest_nick(fmt::format("{} was taken on another server of the network first", nick));
  });
}

void irc_door::force_guest_nick(std::string why) {
  nick_grace_until_.reset();
  if (why.empty()) why = nick_ + " belongs to an account";
  for (int attempt = 0; attempt < 10; ++attempt) {
    const auto guest =
        fmt::format("Guest{}", 10000 + (++guest_serial_ * 7919 + link_.remote_label().size()) % 90000);
    if (hub_.directory().find(guest)) continue;
    service_notice("NickServ", fmt::format("Your nick is now {}: {}.", guest, why));
    message m;
    m.command = "NICK";
    m.params = {guest};
    cmd_nick(m);
    return;
  }
  close_link("Nick belongs to an account", metrics::disconnect::kill);
}

}  // namespace door
