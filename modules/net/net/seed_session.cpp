#include "net/seed_session.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "net/log.hpp"

namespace net {

namespace seed = protocol::seed;

namespace {

// The rendered frame of `ev` for seed clients, built once per event and shared
// by every recipient (see chat::event::wire).
template <class Render>
const payload& cached_frame(const chat::event& ev, Render render) {
  auto& slot = ev.wire[static_cast<std::size_t>(chat::wire_slot::seed)];
  if (!slot) {
    slot = std::make_shared<const std::string>(seed::encode_frame(render()));
  }
  return slot;
}

const payload& you_joined_frame() {
  static const payload frame = std::make_shared<const std::string>(seed::encode_frame(seed::kYouJoined));
  return frame;
}

}  // namespace

seed_session::seed_session(stream_socket socket, chat::hub& hub, const limits& lim,
                           connection_registry* registry)
    : connection(std::move(socket), lim, registry), hub_(hub), host_(remote().address().to_string()) {}

std::string seed_session::source() const {
  return nick_ + "!" + nick_ + "@" + host_;
}

chat::actor seed_session::as_actor() {
  return chat::actor{self(), nick_, source()};
}

chat::member_info seed_session::info() const {
  chat::member_info i;
  {
    const std::lock_guard lock(info_mutex_);
    i.nick = public_nick_;
  }
  i.user = i.nick;
  i.host = host_;
  i.realname = i.nick;
  i.rooms.emplace_back(chat::kLobby);
  i.seed = true;
  return i;
}

std::shared_ptr<seed_session> seed_session::self() {
  return std::static_pointer_cast<seed_session>(shared_from_this());
}

void seed_session::on_start() {
  arm_watchdog(limits_.login_timeout);
}

void seed_session::on_bytes(std::string_view bytes) {
  auto ok = decoder_.consume(bytes, [this](std::string_view frame) {
    handle(frame);
    return !closing() && !stopped() && spend_token();
  });
  if (!ok.has_value()) {
    spdlog::info("seed {}: {} (read {})", describe(remote()), protocol::describe(ok.error()), sample(bytes));
    refuse(seed::error_text(ok.error()));
  }
}

void seed_session::handle(std::string_view data) {
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
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, seed::say>) {
          auto ev = chat::new_event(chat::event_kind::said, lobby->name(), nick_, this);
          ev->source = source();
          ev->text = std::string(c.text);
          lobby->say(as_actor(), std::move(ev));
        } else if constexpr (std::is_same_v<T, seed::who>) {
          lobby->who(as_actor());
        } else if constexpr (std::is_same_v<T, seed::private_message>) {
          if (auto target = hub_.directory().find(c.to)) {
            auto ev = chat::new_event(chat::event_kind::private_message, {}, nick_, this);
            ev->source = source();
            ev->target = target->nick();
            ev->text = std::string(c.text);
            target->deliver(ev);
          } else {
            deliver(chat::make_error(chat::error_code::no_such_user, nick_, std::string(c.to), this));
          }
        } else if constexpr (std::is_same_v<T, seed::logout>) {
          spdlog::info("seed {}: {} logged out", describe(remote()), nick_);
          leave_chat();
          close_after_flush(limits_.close_timeout);
        }
      },
      *cmd);
}

void seed_session::login(std::string_view data) {
  auto name = seed::parse_username(data);
  if (!name.has_value()) {
    spdlog::info("seed {}: refused username {}: {}", describe(remote()), sample(data),
                 protocol::describe(name.error()));
    refuse(seed::error_text(name.error()));
    return;
  }
  if (!hub_.directory().claim(*name, self())) {
    spdlog::info("seed {}: refused username {}: taken", describe(remote()), *name);
    refuse(seed::name_taken_text(*name));
    return;
  }
  disarm_watchdog();
  nick_ = std::string(*name);
  {
    const std::lock_guard lock(info_mutex_);
    public_nick_ = nick_;
  }
  spdlog::info("seed {}: {} joined", describe(remote()), nick_);
  hub_.lobby()->join(as_actor());
}

void seed_session::deliver(const chat::event_ptr& ev) {
  using chat::event_kind;
  switch (ev->kind) {
    case event_kind::joined:
      if (ev->origin == this) {
        // Reachable for private messages only once "You have joined" is queued,
        // so that it stays the first frame a newcomer receives.
        send(you_joined_frame());
        hub_.directory().publish(ev->from, this);
      } else {
        send(cached_frame(*ev, [&] { return seed::joined_text(ev->from); }));
      }
      break;
    case event_kind::left:
      if (ev->origin != this) {
        send(cached_frame(*ev, [&] { return seed::left_text(ev->from); }));
      }
      break;
    case event_kind::quit:  // shared by several rooms: never cached
      send_text(seed::left_text(ev->from));
      break;
    case event_kind::kicked:
      if (ev->target == public_nick()) {
        kicked_out(seed::kicked_text(ev->from, ev->text));
      } else {
        send(cached_frame(*ev, [&] { return seed::left_text(ev->target); }));
      }
      break;
    case event_kind::nick_changed:  // shared by several rooms: never cached
      send_text(seed::nick_changed_text(ev->from, ev->target));
      break;
    case event_kind::said:
      if (!ev->args.empty() && ev->args.front() == "TAGMSG") {
        break;  // IRC tags without text: nothing to show
      }
      if (ev->origin != this) {  // the original never echoes
        send(cached_frame(*ev, [&] { return seed::said_text(ev->from, ev->text); }));
      }
      break;
    case event_kind::private_message:
      if (!ev->args.empty() && ev->args.front() == "TAGMSG") {
        break;
      }
      send(cached_frame(*ev, [&] { return seed::private_text(ev->from, ev->text); }));
      break;
    case event_kind::who_reply: {
      std::vector<std::string_view> others;
      others.reserve(ev->roster.size());
      for (const auto& entry : ev->roster) {
        if (entry.nick != ev->from) {
          others.emplace_back(entry.nick);
        }
      }
      send_bytes(seed::encode_frame(seed::who_text(others)));
      break;
    }
    case event_kind::notice:
      send(cached_frame(*ev, [&] { return ev->text; }));
      break;
    case event_kind::error:
      deliver_error(*ev);
      break;
    case event_kind::killed:
      kicked_out(seed::killed_text(ev->from, ev->text));
      break;
    case event_kind::wallops:
    case event_kind::names_reply:
    case event_kind::channel_state:
    case event_kind::topic_changed:
    case event_kind::mode_changed:
    case event_kind::ban_list:
    case event_kind::invited:
      break;  // IRC-only notions: the seed protocol has no words for them
  }
}

void seed_session::deliver_error(const chat::event& ev) {
  using chat::error_code;
  switch (ev.code) {
    case error_code::no_such_user:
      send_text(seed::not_online_text(ev.text));
      break;
    case error_code::cannot_send:
      send_text(seed::kCannotSend);
      break;
    case error_code::banned:
      kicked_out(std::string(seed::kBanned));
      break;
    case error_code::invite_only:
      kicked_out(std::string(seed::kInviteOnly));
      break;
    case error_code::bad_key:
      kicked_out(std::string(seed::kNeedsKey));
      break;
    case error_code::room_full:
      kicked_out(std::string(seed::kChatFull));
      break;
    default:
      break;  // nothing a seed client can ask for fails otherwise
  }
}

void seed_session::kicked_out(std::string text) {
  // Called from a room's strand: the session's state is touched on its own.
  asio::post(executor(), [self = self(), text = std::move(text)] {
    if (!self->nick_.empty()) {
      spdlog::info("seed {}: {} removed: {}", describe(self->remote()), self->nick_, sample(text, 100));
      self->refuse(text);
    }
  });
}

void seed_session::send_text(std::string_view text) {
  send_bytes(seed::encode_frame(text));
}

void seed_session::refuse(std::string_view text) {
  send_text(text);
  leave_chat();
  close_after_flush(limits_.close_timeout);
}

void seed_session::on_excess_flood() {
  refuse(seed::kExcessFlood);
}

void seed_session::on_watchdog() {
  if (nick_.empty()) {
    spdlog::info("seed {}: login timed out", describe(remote()));
    refuse(seed::kLoginTimeout);
  }
}

void seed_session::on_shutdown() {
  send_text(seed::kServerShutdown);
}

std::string seed_session::public_nick() const {
  const std::lock_guard lock(info_mutex_);
  return public_nick_;
}

void seed_session::leave_chat() {
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

void seed_session::on_stop() {
  if (!nick_.empty()) {
    spdlog::info("seed {}: {} left", describe(remote()), nick_);
  }
  leave_chat();
}

}  // namespace net
