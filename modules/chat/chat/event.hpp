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
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "chat/replay.hpp"
#include "chat/small_mutex.hpp"

namespace chat {

class member;

enum class event_kind {
  joined,             // `from` entered `room` (`text`: its real name; `args`: its away message, if away);
                      // the newcomer receives it at once, the others within a `joins`
  joins,              // `batch` from `batch_from` on: `joined` events of `room`, in join order, that a
                      // room shows its members together (room::flush_joins)
  left,               // `from` left `room` (IRC PART); `text` is the reason; the leaver receives it too
  quit,               // `from` left the server; `text` is the reason (one event, shared by all rooms)
  kicked,             // `from` removed `target` from `room`; `text` is the reason; the target receives it too
  nick_changed,       // `from` is now called `target` (one event, shared by all rooms)
  said,               // `from` said `text` in `room` (a `message` kind); the sender receives it too
  private_message,    // `from` sent `text` to `target` (a `message` kind)
  who_reply,          // answer to `from`: `roster` of `room` in join order, with details; `text`: the
                      // asker's context (actor::context)
  names_reply,        // answer to `from`: `roster` of `room` (nicks and prefixes)
  channel_state,      // to a newcomer or on request (`query`): topic, modes, roster of `room`
  topic_changed,      // `from` set the topic of `room` to `text`
  mode_changed,       // `from` changed modes of `room`: `text` is "+o-v", `args` their arguments
  mask_list,          // answer to `from`: `args` are the masks of `room`'s list `text` (b, e, I or q)
  invited,            // `from` invites `target` to `room` (delivered to both)
  notice,             // a server notice with `text` (e.g. shutdown)
  killed,             // operator `from` disconnects the receiving member; `text` is the reason
  wallops,            // operator `from` says `text` to every operator (and IRC users with +w)
  attribute_changed,  // `from` changed its `attribute` to `text` (one event, shared by all rooms)
  host_set,           // operator `from` sets the receiving member's user@host to `text`
  renamed,            // `from` renamed `target` to `room` (reason `text`; `state` and `roster` as a join's)
  user_online,        // `from` (`source`) is online: to those who MONITOR it
  user_offline,       // `from` went offline: to those who MONITOR it
  error,              // a request of `from` failed: `code`, about `text` (and `room`)
  nick_taken,         // another node of the network held the receiver's nick `text` first (found when
                      // Redis came back): the door gives it another nick, or none, and says why
  read_marker,        // the account's read marker on `target` (a room or a nick, as named when set) is
                      // now `text` (a server-time timestamp): to the account's other sessions
};

// What an attribute_changed event changed.
enum class attribute : std::uint8_t {
  away,      // `text`: the away message, empty when back
  realname,  // `text`: the new real name (IRCv3 setname)
  host,      // `text`: "user@host" (IRCv3 chghost)
  account,   // `text`: the account, empty when logged out
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
  list_full,         // a list mode (`text`: its character) is at kMaxListEntries
  name_taken,        // RENAME: `text`, the new name, is another room's
  cannot_rename,     // RENAME: this room (#lobby) keeps its name; `text` is the new name
};

// One member as a room sees it.
struct roster_entry {
  std::string nick;
  std::string user;
  std::string host;
  std::string realname;
  std::string account;  // empty: not logged in
  bool op = false;
  bool voice = false;
  bool away = false;
  bool oper = false;       // an IRC operator
  bool bot = false;        // marked as a bot (+B)
  bool invisible = false;  // +i
  std::time_t idle = 0;    // seconds since its last message
};

// A room's state as shown to a member (topic, modes, who is there).
struct room_state {
  std::string topic;
  std::string topic_by;
  std::time_t topic_at = 0;
  std::time_t created_at = 0;
  std::string modes;                     // e.g. "+ntl"
  std::vector<std::string> mode_args;    // e.g. the limit, or the key for operators
  bool secret = false;                   // +s: 353 says '@' rather than '='
  std::optional<replay_setting> replay;  // +H: what a newcomer is shown of the history
};

// Rendered bytes, shared by every recipient that renders alike.
using payload = std::shared_ptr<const std::string>;

// What kind of message a `said` or `private_message` event carries.
enum class message_kind : std::uint8_t {
  privmsg,  // ordinary text
  notice,   // text that must never be answered automatically (IRC NOTICE)
  tagmsg,   // no text, only client tags (IRCv3 TAGMSG)
  action,   // an emote, "/me waves": `text` is "waves"
};

// What a `channel_state` event answers.
enum class state_query : std::uint8_t {
  join,   // the newcomer's view: topic and roster
  topic,  // a topic query: no roster
  modes,  // a mode query: no roster
};

// A message's identity, unique across processes and restarts: `origin` is
// drawn at random when the process starts, `serial` counts up within it.
// Stored with history and carried between nodes as it is.
struct message_id {
  std::uint64_t origin = 0;
  std::uint64_t serial = 0;
  friend auto operator<=>(const message_id&, const message_id&) = default;
  // 26 characters of base32 (a-z, 2-7): the IRCv3 `msgid` tag.
  [[nodiscard]] std::string to_string() const;
};

// The message id of a new event: this process's origin and the next serial.
message_id next_message_id() noexcept;

// The inverse of message_id::to_string; nullopt for anything else.
std::optional<message_id> parse_message_id(std::string_view text) noexcept;

// A client-only tag (IRCv3 `+key=value`), unescaped, relayed as it came.
struct client_tag {
  std::string key;
  std::string value;
  friend bool operator==(const client_tag&, const client_tag&) = default;
};

// Who renders an event, and how: a front door's own number in the high byte,
// its format (e.g. which optional tags a client asked for) in the low byte.
// Doors choose their numbers; the cache only compares keys. 0 is unused.
using render_key = std::uint16_t;
constexpr render_key make_render_key(std::uint8_t door, std::uint8_t format) noexcept {
  return static_cast<render_key>((door << 8U) | format);
}
// Formats one event keeps rendered at once; past them, a recipient renders
// its own copy.
inline constexpr std::size_t kRenderSlots = 4;

// An event's rendered bytes per render key, so that a broadcast is
// serialised once per format and every recipient queues the same buffer.
// Filled only while the event is delivered, and an event is delivered from
// one strand at a time (its room's, or its sender's for a private message),
// so no lock is needed. Events shared by several rooms (quit, nick_changed)
// may be delivered from several strands at once: never cache those.
class render_cache {
 public:
  template <class Render>
  payload get(render_key key, Render&& render) const {
    for (auto& s : slots_) {
      if (s.key == key) return s.bytes;
      if (s.key == 0) {
        s.bytes = std::make_shared<const std::string>(render());
        s.key = key;
        return s.bytes;
      }
    }
    return std::make_shared<const std::string>(render());
  }

 private:
  struct slot {
    render_key key = 0;
    payload bytes;
  };
  mutable std::array<slot, kRenderSlots> slots_{};
};

// Who has been given an event that several rooms deliver (quit and
// nick_changed: one event for all the rooms of the user). A member in k of
// those rooms receives it k times and shows it the first time only, so that
// every event reaches each recipient exactly once however many rooms they
// share. Guarded by its mutex: the rooms deliver from their own strands.
class reach_set {
 public:
  // True the first time `m` asks.
  bool first(const member* m) {
    const std::lock_guard lock(mutex_);
    return reached_.insert(m).second;
  }

 private:
  small_mutex mutex_;
  std::unordered_set<const member*> reached_;  // guarded by mutex_
};

struct event {
  message_id id = next_message_id();
  event_kind kind{};
  message_kind message = message_kind::privmsg;       // said, private_message
  state_query query = state_query::join;              // channel_state
  error_code code = error_code::none;                 // error
  chat::attribute attribute = chat::attribute::away;  // attribute_changed
  char status = 0;           // said: '@' or '+' for operators (and voiced) only; joined: '@' for an operator
  bool from_bot = false;     // said, private_message: the sender is a bot
  bool via_monitor = false;  // attribute_changed: to a watcher (MONITOR), not through a room
  std::string room;
  std::string from;     // nick of who caused it
  std::string source;   // nick!user@host of who caused it, when known
  std::string target;   // nick acted upon (kick, invite, new nick, private message)
  std::string account;  // the account of who caused it, when logged in
  std::string text;
  std::vector<std::string> args;
  std::vector<roster_entry> roster;
  std::shared_ptr<const room_state> state;
  std::vector<client_tag> tags;
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
  const member* origin = nullptr;  // who caused it, if local; compared by address only
  bool relayed = false;            // it came from another node of the cluster: never sent on again
  render_cache rendered;
  // joins: the joined events of one batch, shared by every member it is
  // shown to, and the first of them this delivery shows (a member that
  // joined within the batch sees only those who came after it).
  std::shared_ptr<const std::vector<std::shared_ptr<const event>>> batch;
  std::size_t batch_from = 0;
  // Set for the kinds several rooms deliver (new_event does it): check
  // reached->first(this) before showing one.
  std::shared_ptr<reach_set> reached;
};

using event_ptr = std::shared_ptr<const event>;

// True unless `m` has been given `ev` already (see reach_set).
inline bool first_delivery(const event& ev, const member* m) {
  return !ev.reached || ev.reached->first(m);
}

inline std::shared_ptr<event> new_event(event_kind kind, std::string room, std::string from,
                                        const member* origin) {
  auto ev = std::make_shared<event>();
  ev->kind = kind;
  ev->room = std::move(room);
  ev->from = std::move(from);
  ev->origin = origin;
  if (kind == event_kind::quit || kind == event_kind::nick_changed || kind == event_kind::attribute_changed) {
    ev->reached = std::make_shared<reach_set>();
  }
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
