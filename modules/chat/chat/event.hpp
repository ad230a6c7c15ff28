// Protocol-neutral chat events. Rooms and sessions exchange these; each front
// door renders them in its own wire format, and a future backplane between
// server nodes can carry them as they are.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace chat {

class member;

enum class event_kind {
  joined,           // `from` entered `room` (the newcomer receives it too)
  left,             // `from` left `room`; `text` is the reason, if any
  said,             // `from` said `text` in `room` (the sender receives it too)
  private_message,  // `from` sent `text` to one member
  who_reply,        // answer to `from`: `names` of everyone in `room`, in join order
  notice,           // a server notice with `text` (e.g. shutdown)
  error,            // a request of `from` failed: `code`, about `text`
};

// Why a request failed; each front door words it its own way.
enum class error_code {
  none,
  no_such_user,  // a private message to `text`, who is not online
};

// Each front door owns one slot of an event's wire cache.
enum class wire_slot : std::size_t { seed = 0, irc = 1 };
inline constexpr std::size_t kWireSlots = 2;

struct event {
  event_kind kind{};
  std::string room;
  std::string from;
  std::string text;
  std::vector<std::string> names;
  const member* origin = nullptr;  // who caused it; compared by address only
  error_code code = error_code::none;

  // The rendered bytes per front door, so a broadcast is serialised once per
  // format and the same buffer is shared by every recipient. Only filled while
  // the event is delivered, and an event is delivered from one strand only
  // (its room's, or its sender's for a private message), so no lock is needed.
  mutable std::array<std::shared_ptr<const std::string>, kWireSlots> wire;
};

using event_ptr = std::shared_ptr<const event>;

inline event_ptr make_event(event_kind kind, std::string room, std::string from, std::string text,
                            const member* origin) {
  auto ev = std::make_shared<event>();
  ev->kind = kind;
  ev->room = std::move(room);
  ev->from = std::move(from);
  ev->text = std::move(text);
  ev->origin = origin;
  return ev;
}

inline event_ptr make_error(error_code code, std::string from, std::string about, const member* origin) {
  auto ev = std::make_shared<event>();
  ev->kind = event_kind::error;
  ev->from = std::move(from);
  ev->text = std::move(about);
  ev->origin = origin;
  ev->code = code;
  return ev;
}

}  // namespace chat
