#include "door/seed_door.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>
#include <vector>

#include "chat/replay.hpp"
#include "door/log.hpp"
#include "door/render_keys.hpp"
#include "door/services.hpp"
#include "protocol/irc_reply.hpp"
#include "protocol/limits.hpp"
#include "protocol/sasl.hpp"

namespace door {

namespace seed = protocol::seed;

namespace {

// A seed client's text as a message: "\x01ACTION waves\x01" (our client's
// !me) is an emote, as from IRC; anything else is plain text.
void set_text(chat::event& ev, std::string_view text) {
  constexpr std::string_view kAction =
      "\x01"
      "ACTION ";
  if (text.starts_with(kAction)) {
    text.remove_prefix(kAction.size());
    if (text.ends_with('\x01')) text.remove_suffix(1);
    ev.message = chat::message_kind::action;
  }
  ev.text = std::string(text);
}

payload frame(std::string_view text) {
  return std::make_shared<const std::string>(seed::encode_frame(text));
}

}  // namespace

seed_door::seed_door(link& l, chat::hub& hub, const seed_settings& settings)
    : door(l), hub_(hub), settings_(settings) {}

std::string seed_door::source() const {
  return nick_ + "!" + nick_ + "@" + link_.remote_address();
}

chat::actor seed_door::as_actor() {
  chat::actor a;
  a.m = self();
  a.nick = nick_;
  a.source = source();
  a.may_operate = false;
  a.account = account();
  return a;
}

chat::member_info seed_door::info() const {
  chat::member_info i;
  {
    const std::lock_guard lock(info_mutex_);
    i.nick = public_nick_;
    i.account = account_;
  }
  i.user = i.nick;
  i.host = link_.remote_address();
  i.realname = i.nick;
  i.rooms.emplace_back(chat::kLobby);
  i.via = "seed-compatible listener";
  return i;
}

void seed_door::on_start() {
  link_.arm_deadline(settings_.login_timeout);
}

void seed_door::on_bytes(std::string_view bytes) {
  auto ok = decoder_.consume(bytes, [this](std::string_view frame) {
    handle(frame);
    return link_.open() && !waiting_ && link_.spend_token();
  });
  if (!ok.has_value()) {
    // The size of what came, not its text: it may be someone's message.
    spdlog::info("seed {}: {} (read {} bytes)", link_.remote_label(), protocol::describe(ok.error()),
                 bytes.size());
    refuse(seed::error_text(ok.error()), metrics::disconnect::refused);
  }
}

void seed_door::handle(std::string_view data) {
  if (nick_.empty()) {
    login(data);
    return;
  }
  auto cmd = seed::parse_command(data);
  if (!cmd.has_value()) {
    send_text(seed::error_text(cmd.error()));
    return;
  }
  const auto& lobby = hub_.lobby();
  // What one message may cost others: text with newlines (or very long)
  // becomes several lines for IRC users. Past kMaxLinesPerMessage it is
  // refused; below, each line past the first costs a flood token.
  auto lines_ok = [&](std::string_view to, std::string_view text) {
    const std::array<std::string_view, 1> middle{to};
    const auto src = source();
    const std::size_t room = protocol::irc::room_for_last({{}, src, "PRIVMSG"}, middle);
    const std::size_t lines = protocol::irc::count_text_lines(text, room, protocol::kMaxLinesPerMessage + 1);
    if (lines > protocol::kMaxLinesPerMessage) {
      send_text(seed::too_many_lines_text(protocol::kMaxLinesPerMessage));
      return false;
    }
    for (std::size_t i = 1; i < lines; ++i) (void)link_.spend_token();
    return true;
  };
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, seed::say>) {
          if (!lines_ok(chat::kLobby, c.text)) return;
          metrics::message_in(metrics::door_kind::seed);
          auto ev = chat::new_event(chat::event_kind::said, std::string(chat::kLobby), nick_, this);
          ev->source = source();
          ev->account = account();
          set_text(*ev, c.text);
          lobby->say(as_actor(), std::move(ev));
        } else if constexpr (std::is_same_v<T, seed::who>) {
          lobby->who(as_actor());
        } else if constexpr (std::is_same_v<T, seed::private_message>) {
          if (auto target = hub_.directory().find(c.to)) {
            if (!lines_ok(c.to, c.text)) return;
            metrics::message_in(metrics::door_kind::seed);
            auto ev = chat::new_event(chat::event_kind::private_message, {}, nick_, this);
            ev->source = source();
            ev->target = target->nick();
            set_text(*ev, c.text);
            ev->account = account();
            const auto sent = target->deliver(ev);
            if (sent != chat::delivery::dropped && target.get() != this) metrics::delivered(1);
            if (sent != chat::delivery::dropped && hub_.history())
              hub_.history()->told(*ev, target->account());
            if (sent == chat::delivery::backlogged && target.get() != this) {
              wait_for({std::weak_ptr<chat::member>(target)});  // backpressure, as for a room
            }
          } else {
            deliver(chat::make_error(chat::error_code::no_such_user, nick_, std::string(c.to), this));
          }
        } else if constexpr (std::is_same_v<T, seed::logout>) {
          spdlog::info("seed {}: {} logged out", link_.remote_label(), nick_);
          leave_chat();
          link_.note_close_reason(metrics::disconnect::quit);
          link_.close_after_flush();
        }
      },
      *cmd);
}

void seed_door::login(std::string_view data) {
  // "<name> <password>" logs in to an account (the original client sends
  // whatever is typed at its prompt).
  const auto space = data.find(' ');
  if (space != std::string_view::npos && settings_.store && seed::parse_username(data.substr(0, space))) {
    const std::string name(data.substr(0, space));
    std::string password(data.substr(space + 1));
    waiting_ = true;
    link_.hold_input(true);
    auto self = std::static_pointer_cast<seed_door>(this->self());
    settings_.store->find_account(
        name, [self, name, password = std::move(password)](store::result<store::account> found) mutable {
          auto check = [self, name, password = std::move(password), found = std::move(found)]() mutable {
            static const auto stand_in = protocol::sasl::derive_credential("no such account", "salt");
            const bool ok = protocol::sasl::verify_password(found ? found->credential : stand_in, password);
            self->link_.post([self, ok, known = found.has_value(), given = name + " " + password,
                              name = found ? found->name : name] {
              if (!self->link_.open()) return;
              if (!known) {
                // No such account: a name with a space, refused as it always was.
                return self->refuse(seed::error_text(seed::parse_username(given).error()),
                                    metrics::disconnect::refused);
              }
              if (!ok) {
                spdlog::info("seed {}: failed login as {}", self->link_.remote_label(), sample(name));
                for (std::size_t i = 0; i < kSeedLoginFailureTokens; ++i) self->link_.spend_token();
                return self->refuse(seed::kBadLogin, metrics::disconnect::refused);
              }
              self->enter(name, name);
              self->resume();
            });
          };
          if (self->settings_.slow_work) {
            self->settings_.slow_work(std::move(check));
          } else {
            self->link_.post(std::move(check));
          }
        });
    return;
  }
  auto name = seed::parse_username(data);
  if (!name.has_value()) {
    spdlog::info("seed {}: refused username {}: {}", link_.remote_label(), sample(data),
                 protocol::describe(name.error()));
    refuse(seed::error_text(name.error()), metrics::disconnect::refused);
    return;
  }
  if (is_service_name(*name)) {
    refuse(seed::name_taken_text(*name), metrics::disconnect::refused);
    return;
  }
  if (!settings_.store) return enter(std::string(*name), {});
  // A registered name is its account's.
  waiting_ = true;
  link_.hold_input(true);
  auto self = std::static_pointer_cast<seed_door>(this->self());
  settings_.store->find_account(
      std::string(*name), [self, wanted = std::string(*name)](store::result<store::account> found) {
        self->link_.post([self, wanted, taken = found.has_value()] {
          if (!self->link_.open()) return;
          if (taken) {
            spdlog::info("seed {}: refused username {}: registered", self->link_.remote_label(), wanted);
            return self->refuse(seed::name_registered_text(wanted), metrics::disconnect::refused);
          }
          self->enter(wanted, {});
          self->resume();
        });
      });
}

void seed_door::resume() {
  if (replaying_ || claiming_) return;  // join_lobby() or the claim's answer resumes
  waiting_ = false;
  link_.hold_input(false);
}

std::string seed_door::account() const {
  const std::lock_guard lock(info_mutex_);
  return account_;
}

void seed_door::enter(std::string name, std::string account) {
  auto* claims = hub_.claims();
  if (claims == nullptr) return take_name(std::move(name), std::move(account));
  // One node of several: the network grants the name first.
  claiming_ = true;
  waiting_ = true;
  link_.hold_input(true);
  auto self = std::static_pointer_cast<seed_door>(this->self());
  claims->claim(name, self, [self, name, account](bool ok) {
    self->link_.post([self, name, account, ok]() mutable {
      self->claiming_ = false;
      if (!self->link_.open()) return;
      if (!ok) {
        spdlog::info("seed {}: refused username {}: taken on another node", self->link_.remote_label(), name);
        return self->refuse(seed::name_taken_text(name), metrics::disconnect::refused);
      }
      self->take_name(std::move(name), std::move(account));
      self->resume();
    });
  });
}

void seed_door::take_name(std::string name, std::string account) {
  if (!hub_.directory().claim(name, self())) {
    spdlog::info("seed {}: refused username {}: taken", link_.remote_label(), name);
    refuse(seed::name_taken_text(name), metrics::disconnect::refused);
    return;
  }
  link_.disarm_deadline();
  nick_ = std::move(name);
  {
    const std::lock_guard lock(info_mutex_);
    public_nick_ = nick_;
    account_ = std::move(account);
  }
  spdlog::info("seed {}: {} joined{}", link_.remote_label(), nick_, account_.empty() ? "" : " (logged in)");
  metrics::registered(metrics::door_kind::seed);
  join_lobby();
}

void seed_door::join_lobby() {
  if (settings_.replay == 0 || !settings_.store) {
    hub_.lobby()->join(as_actor());
    return;
  }
  // The lobby's last lines before joining: what is said after comes live,
  // so nothing shows twice. Input waits meanwhile.
  replaying_ = true;
  waiting_ = true;
  link_.hold_input(true);
  store::query q;
  q.what = store::query::kind::before;
  q.target = protocol::fold_nick(chat::kLobby);
  q.a.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  q.limit = std::min(settings_.replay, chat::kMaxReplayLines);
  settings_.store->history(std::move(q), [self = std::static_pointer_cast<seed_door>(self())](
                                             store::result<std::vector<store::line>> got) mutable {
    auto* d = self.get();
    d->link_.post([self = std::move(self), got = std::move(got)] {
      if (got) {
        for (const auto& l : *got) {
          if (l.kind == store::line_kind::tagmsg) continue;
          const auto from = std::string_view(l.source).substr(0, l.source.find('!'));
          self->replay_.push_back(std::make_shared<const std::string>(
              seed::encode_frame(l.kind == store::line_kind::action ? seed::action_text(from, l.text)
                                                                    : seed::said_text(from, l.text))));
        }
      }
      self->replaying_ = false;
      if (!self->link_.open()) return;
      self->hub_.lobby()->join(self->as_actor());
      self->resume();
    });
  });
}

void seed_door::kicked_out(std::string text, metrics::disconnect why) {
  // Called from a room's strand: the door's state is touched on its own.
  link_.post([self = std::static_pointer_cast<seed_door>(self()), text = std::move(text), why] {
    if (!self->nick_.empty()) {
      spdlog::info("seed {}: {} removed: {}", self->link_.remote_label(), self->nick_, sample(text, 100));
      self->refuse(text, why);
    }
  });
}

void seed_door::send_text(std::string_view text) {
  link_.send(frame(text));
}

void seed_door::refuse(std::string_view text, metrics::disconnect why) {
  link_.note_close_reason(why);
  send_text(text);
  leave_chat();
  link_.close_after_flush();
}

void seed_door::on_excess_flood() {
  refuse(seed::kExcessFlood, metrics::disconnect::flood);
}

void seed_door::on_deadline() {
  if (nick_.empty()) {
    spdlog::info("seed {}: login timed out", link_.remote_label());
    refuse(seed::kLoginTimeout, metrics::disconnect::login_timeout);
  }
}

void seed_door::on_shutdown() {
  send_text(seed::kServerShutdown);
}

std::string seed_door::public_nick() const {
  const std::lock_guard lock(info_mutex_);
  return public_nick_;
}

void seed_door::leave_chat() {
  if (nick_.empty()) {
    return;
  }
  {
    const std::lock_guard lock(info_mutex_);
    public_nick_.clear();
  }
  // Free the name before the room announces the departure, so that a client
  // who saw "<name> has left the chat!" can take the name at once.
  hub_.directory().release(nick_, this);
  hub_.lobby()->leave(this, source(), {}, !hub_.shutting_down());
  nick_.clear();
}

void seed_door::on_stop() {
  if (!nick_.empty()) {
    spdlog::info("seed {}: {} left", link_.remote_label(), nick_);
  }
  leave_chat();
}

}  // namespace door
