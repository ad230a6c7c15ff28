// How a seed client sees the chat's events: the original server's lines,
// each frame rendered once per event and shared by every seed recipient.
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "door/render_keys.hpp"
#include "door/seed_door.hpp"

namespace door {

namespace seed = protocol::seed;

namespace {

// Seed clients see every event one way: one render key for all of them.
constexpr chat::render_key kFrame = chat::make_render_key(kSeedDoor, 0);

// The rendered frame of `ev` for seed clients, built once per event and
// shared by every recipient (see chat::render_cache).
template <class Render>
payload cached_frame(const chat::event& ev, Render render) {
  return ev.rendered.get(kFrame, [&] { return seed::encode_frame(render()); });
}

const payload& you_joined_frame() {
  static const payload bytes = std::make_shared<const std::string>(seed::encode_frame(seed::kYouJoined));
  return bytes;
}

}  // namespace

chat::delivery seed_door::deliver(const chat::event_ptr& ev) {
  using chat::event_kind;
  using chat::message_kind;
  switch (ev->kind) {
    case event_kind::joined:
      if (ev->origin == this) {
        // Reachable for private messages only once "You have joined" is
        // queued, so that it stays the first frame a newcomer receives.
        link_.send(you_joined_frame());
        for (auto& frame : std::exchange(replay_, {})) link_.send(std::move(frame));
        hub_.directory().publish(ev->from, this);
      } else {
        link_.send(cached_frame(*ev, [&] { return seed::joined_text(ev->from); }));
      }
      break;
    case event_kind::joins: {
      // A room's batch of joins: each joiner's frame is built once, and the
      // batch's bytes once for every seed member that sees all of it.
      auto frames = ev->rendered.get(kFrame, [&] {
        std::string out;
        for (auto i = ev->batch_from; i < ev->batch->size(); ++i) {
          const auto& j = *(*ev->batch)[i];
          out += *cached_frame(j, [&] { return seed::joined_text(j.from); });
        }
        return out;
      });
      if (!frames->empty()) return link_.send(std::move(frames));
      break;
    }
    case event_kind::left:
      if (ev->origin != this) {
        link_.send(cached_frame(*ev, [&] { return seed::left_text(ev->from); }));
      }
      break;
    case event_kind::quit:  // shared by several rooms: never cached, shown once
      if (chat::first_delivery(*ev, this)) send_text(seed::left_text(ev->from));
      break;
    case event_kind::kicked:
      if (ev->target == public_nick()) {
        kicked_out(seed::kicked_text(ev->from, ev->text));
      } else {
        link_.send(cached_frame(*ev, [&] { return seed::left_text(ev->target); }));
      }
      break;
    case event_kind::nick_changed:  // shared by several rooms: never cached, shown once
      if (chat::first_delivery(*ev, this)) send_text(seed::nick_changed_text(ev->from, ev->target));
      break;
    case event_kind::said:
      if (ev->message == message_kind::tagmsg || ev->origin == this) {
        break;  // tags without text: nothing to show; and the original never echoes
      }
      return link_.send(cached_frame(*ev, [&] {
        return ev->message == message_kind::action ? seed::action_text(ev->from, ev->text)
                                                   : seed::said_text(ev->from, ev->text);
      }));
    case event_kind::private_message:
      if (ev->message == message_kind::tagmsg) {
        break;
      }
      return link_.send(cached_frame(*ev, [&] {
        return ev->message == message_kind::action ? seed::private_action_text(ev->from, ev->text)
                                                   : seed::private_text(ev->from, ev->text);
      }));
    case event_kind::who_reply: {
      std::vector<std::string_view> others;
      others.reserve(ev->roster.size());
      for (const auto& entry : ev->roster) {
        if (entry.nick != ev->from) {
          others.emplace_back(entry.nick);
        }
      }
      send_text(seed::who_text(others));
      break;
    }
    case event_kind::notice:
      link_.send(cached_frame(*ev, [&] { return ev->text; }));
      break;
    case event_kind::error:
      deliver_error(*ev);
      break;
    case event_kind::killed:
      kicked_out(seed::killed_text(ev->from, ev->text), metrics::disconnect::kill);
      break;
    case event_kind::nick_taken:
      // The seed protocol has no way to change a name: the user comes back under another.
      kicked_out(fmt::format("Your name {} was taken on another server of the network meanwhile", ev->text),
                 metrics::disconnect::kill);
      break;
    case event_kind::wallops:
    case event_kind::names_reply:
    case event_kind::channel_state:
    case event_kind::topic_changed:
    case event_kind::mode_changed:
    case event_kind::mask_list:
    case event_kind::attribute_changed:
    case event_kind::host_set:
    case event_kind::renamed:
    case event_kind::user_online:
    case event_kind::user_offline:
    case event_kind::invited:
    case event_kind::read_marker:
      break;  // IRC-only notions: the seed protocol has no words for them
  }
  return chat::delivery::queued;
}

void seed_door::deliver_error(const chat::event& ev) {
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

}  // namespace door
