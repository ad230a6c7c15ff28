// Protocol-neutral chat events. Rooms and sessions exchange these; each front
// door renders them in its own wire format, and a future backplane between
// server nodes can carry them as they are.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace chat {

class member;

enum class event_kind {
  joined,           // `from` entered `room`; the newcomer receives it too
  left,             // `from` left `room` (IRC PART); `text` is the reason; the leaver receives it too
  quit,             // `from` left the server; `text` is the reason (one event, shared by all rooms)
  kicked,           // `from` removed `target` from `room`; `text` is the reason; the target receives it too
  nick_changed,     // `from` is now called `target` (one event, shared by all rooms)
  said,             // `from` said `text` in `room`; the sender receives it too (`notice` for NOTICE)
  private_message,  // `from` sent `text` to one member (`notice` for NOTICE)
  who_reply,        // answer to `from`: `roster` of `room` in join order, with details
  names_reply,      // answer to `from`: `roster` of `room` (nicks and prefixes)
  channel_state,    // to a newcomer or on request: topic, modes, roster of `room` (nicks and prefixes)
  topic_changed,    // `from` set the topic of `room` to `text`
  mode_changed,     // `from` changed modes of `room`: `text` is "+o-v", `args` their arguments
  ban_list,         // answer to `from`: `args` are the ban masks of `room`
  invited,          // `from` invites `target` to `room` (delivered to both)
  notice,           // a server notice with `text` (e.g. shutdown)
  killed,           // operator `from` disconnects the receiving member; `text` is the reason
  wallops,          // operator `from` says `text` to every operator (and IRC users with +w)
  error,            // a request of `from` failed: `code`, about `text` (and `room`)
};

// Why a request failed; each front door words it its own way.
enum class error_code {
  none,
  no_such_user,      // `text` is not online
  no_such_room,      // `room` does not exist
  cannot_send,       // moderated, banned, or not a member of a +n room
  not_on_room,       // the requester is not in `room`
  user_not_on_room,  // `text` is not in `room`
  already_on_room,   // `text` is in `room` already
  chanop_needed,     // only room operators may do this
  room_full,         // +l
  invite_only,       // +i
  banned,            // +b
  bad_key,           // +k
  unknown_mode,      // `text` is the mode character
  room_closed,       // the room emptied and closed meanwhile: look it up again
};

// One member as a room sees it.
struct roster_entry {
  std::string nick;
  std::string user;
  std::string host;
  std::string realname;
  bool op = false;
  bool voice = false;
  bool away = false;
};

// A room's state as shown to a member (topic, modes, who is there).
struct room_state {
  std::string topic;
  std::string topic_by;
  std::time_t topic_at = 0;
  std::time_t created_at = 0;
  std::string modes;                   // e.g. "+ntl"
  std::vector<std::string> mode_args;  // e.g. the limit, or the key for operators
};

// Each front door owns slots of an event's wire cache: the seed protocol one,
// IRC one per combination of the server-time and message-tags capabilities.
enum class wire_slot : std::size_t { seed = 0, irc = 1 };
inline constexpr std::size_t kWireSlots = 5;

// A process-wide serial number: lets a member recognise an event it has
// already shown without keeping the event alive.
inline std::uint64_t next_event_id() noexcept {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

struct event {
  std::uint64_t id = next_event_id();
  event_kind kind{};
  std::string room;
  std::string from;    // nick of who caused it
  std::string source;  // nick!user@host of who caused it, when known
  std::string target;  // nick acted upon (kick, invite, new nick)
  std::string text;
  bool notice = false;
  error_code code = error_code::none;
  std::vector<std::string> args;
  std::vector<roster_entry> roster;
  std::shared_ptr<const room_state> state;
  std::string client_tags;  // IRCv3 client-only tags, serialised ("+a=b;+c")
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
  const member* origin = nullptr;  // who caused it; compared by address only

  // The rendered bytes per front door, so a broadcast is serialised once per
  // format and the same buffer is shared by every recipient. Only filled while
  // the event is delivered, and an event is delivered from one strand at a
  // time (its room's, or its sender's for a private message), so no lock is
  // needed. Events shared by several rooms (quit, nick_changed) may be
  // delivered from several strands at once: front doors never cache those.
  mutable std::array<std::shared_ptr<const std::string>, kWireSlots> wire;
};

using event_ptr = std::shared_ptr<const event>;

inline std::shared_ptr<event> new_event(event_kind kind, std::string room, std::string from,
                                        const member* origin) {
  auto ev = std::make_shared<event>();
  ev->kind = kind;
  ev->room = std::move(room);
  ev->from = std::move(from);
  ev->origin = origin;
  return ev;
}

inline event_ptr make_event(event_kind kind, std::string room, std::string from, std::string text,
                            const member* origin) {
  auto ev = new_event(kind, std::move(room), std::move(from), origin);
  ev->text = std::move(text);
  return ev;
}

inline event_ptr make_error(error_code code, std::string from, std::string about, const member* origin,
                            std::string room = {}) {
  auto ev = new_event(event_kind::error, std::move(room), std::move(from), origin);
  ev->text = std::move(about);
  ev->code = code;
  return ev;
}

}  // namespace chat
