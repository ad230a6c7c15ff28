// A chat room (an IRC channel; the seed protocol's whole chat is the room
// #lobby): an actor. Its state is touched only on its own strand; every
// public function posts there and returns at once, so callers on any thread
// never wait for a room. (say() dispatches: when the strand is free, the
// message fans out before it returns; members' deliver() must not wait for
// their caller.) Replies and failures come back as events.
//
// room.cpp holds membership, messages and queries; room_modes.cpp the
// modes, the mask lists and the state a member is shown; room_saved.cpp
// registration (ChanServ) and the state a registered room keeps.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include "chat/event.hpp"
#include "chat/member.hpp"
#include "chat/recorder.hpp"
#include "chat/saved_room.hpp"

namespace chat {

// Who asks: the member (to send replies to), its nick and nick!user@host,
// and whether its protocol lets it act as a room operator at all (the seed
// protocol has no words for it). JOIN also carries what a joiner's JOIN
// shows (extended-join) and whether it wants user@host in names.
struct actor {
  actor() = default;
  actor(std::shared_ptr<member> who, std::string nick_name, std::string nick_user_host)
      : m(std::move(who)), nick(std::move(nick_name)), source(std::move(nick_user_host)) {}

  std::shared_ptr<member> m;
  std::string nick;
  std::string source;
  bool may_operate = true;
  bool hosts_in_names = false;
  std::string realname;  // JOIN only
  std::string account;   // JOIN only; empty: none
  std::string away;      // JOIN only; empty: not away
  std::string context;   // WHO only: opaque to the room, copied into the reply's `text`
  // From another node of the cluster, which checked it against its copy of
  // the room: JOIN, PART, KICK, TOPIC, MODE and messages are applied without
  // the room's own checks, and the events they make are marked relayed (a
  // node never sends them on again).
  bool relayed = false;
  bool relayed_op = false;  // relayed JOIN only: the joiner comes in as an operator
};

// One mode change: `mode` is o, v (with a nick), k (key), l (limit), one of
// the mask lists b (ban), e (ban exception), I (invite exception), q (quiet),
// or the flags t (topic lock), n (no outside messages), m (moderated),
// i (invite only), s (secret).
struct mode_change {
  bool add = true;
  char mode = 0;
  std::string arg;
  friend bool operator==(const mode_change&, const mode_change&) = default;
};

// The mask lists, in the order of list_modes.
inline constexpr std::string_view kListModes = "beIq";

// Joins a room shows its members in one `joins` event, at most (see
// room::join): a batch that reaches it goes out at once, so that one
// payload stays well below a member's outbox limit (kMaxJoinBatch JOIN
// lines of at most 512 bytes: 128 KiB).
inline constexpr std::size_t kMaxJoinBatch = 256;

// What LIST shows, readable from any thread.
struct room_summary {
  std::string name;
  std::size_t members = 0;
  std::string topic;
  std::time_t created_at = 0;
  std::time_t topic_at = 0;
  bool secret = false;
};

// How a room answers ChanServ.
enum class registration_answer : std::uint8_t {
  done,                // registered, or dropped, and kept
  not_on_room,         // the asker is not in the room
  not_operator,        // the asker is no operator here
  already_registered,  // `detail`: the founder
  not_registered,
  not_founder,  // `detail`: the founder
  busy,         // a registration or a drop of this room is under way
  room_closed,  // the room emptied and closed meanwhile: look it up again
  failed,       // the store did not keep it (`detail`: why)
};
// Called on the room's strand; post to your own.
using registration_done = std::function<void(registration_answer, std::string detail)>;

class room : public std::enable_shared_from_this<room> {
 public:
  // Guarded by its own strand, made on `ex`. `on_empty` runs on the strand
  // when the last member leaves a room that is not `persistent`; the room is
  // closed from then on and refuses joins with error_code::room_closed.
  // Messages that pass the room's checks go to `history` too (may be null),
  // and so does a registered room's state. `saved` (may be null; it must
  // outlive the room) is the map of registered rooms this room keeps up to
  // date; `restored`, the state this room starts from when it is registered.
  room(const asio::io_context::executor_type& ex, std::string name, bool persistent,
       std::function<void(const room*)> on_empty = {}, std::shared_ptr<recorder> history = {},
       saved_rooms* saved = nullptr, std::optional<saved_room> restored = std::nullopt);

  // The room's name, as it is now (RENAME may change it). Thread-safe.
  std::string name() const;

  // Adds `who` (checking bans, invite-only, key and limit) and tells
  // everyone with a `joined` event; the newcomer then gets a
  // `channel_state`. The newcomer gets its `joined` at once; the members
  // before it get it in a `joins` event with the other joins of this turn
  // of the strand (at most kMaxJoinBatch), before anything else the room
  // does: in a join storm each member gets one delivery per batch, not one
  // per join. The first member becomes an operator, unless it
  // may not operate; in a persistent room the first able member becomes
  // operator while there is none. A registered room's founder (by the
  // joiner's account) becomes operator whoever is there. Joining twice is
  // ignored.
  void join(actor who, std::string key = {});

  // IRC PART: removes `who` and sends a `left` event to everyone, the leaver
  // included; an error if `who` is not here.
  void part(actor who, std::string reason);

  // Removes `m` if present and, if `announce`, tells the others with a
  // `left` event from `source` (nick!user@host). Silent if `m` is not here
  // (used when a seed user leaves).
  void leave(const member* m, std::string source, std::string reason = {}, bool announce = true);

  // Removes `m` if present and delivers `quit` (one event shared by all the
  // rooms of the quitter; null for a silent departure) to the others.
  void quit(const member* m, event_ptr quit);

  // Renames `m` and delivers `nick_changed` (shared by all its rooms) to the
  // others.
  void rename(const member* m, event_ptr nick_changed);

  // Delivers `ev` (an attribute_changed shared by all the rooms of `m`) to
  // the other members, if `m` is here.
  void relay(const member* m, event_ptr ev);

  // Delivers a `said` event to every member, in join order, if `who` may
  // speak here (+n, +m, bans and quiets); otherwise an error to `who`.
  // Members filter their own events (the seed protocol never echoes). A
  // `status` of '@' or '+' sends to operators (and voiced members) only.
  void say(actor who, std::shared_ptr<event> said);

  // Replies with a who_reply / names_reply roster in join order. Members
  // of a secret room, and invisible members, are shown only to members.
  void who(actor who);
  void names(actor who);

  // Topic query (no text) or change (+t needs an operator).
  void topic(actor who, std::optional<std::string> text);

  // Mode query (no changes), a list query (a lone b, e, I or q), or
  // changes, which need an operator. Applied changes are announced as one
  // mode_changed.
  void mode(actor who, std::vector<mode_change> changes);

  void kick(actor who, std::string target, std::string reason);

  // Invites `target` (needs an operator on +i rooms); both get `invited`,
  // and the other members too (doors show it to those who asked, IRCv3
  // invite-notify).
  void invite(actor who, std::shared_ptr<member> target, std::string target_nick);

  // RENAME: an operator's request to call the room `to`. `claim(from, to)`
  // moves its entry in the hub (false if the name is taken). Every member
  // then gets `renamed`. A persistent or registered room cannot be renamed.
  void rename_to(actor who, std::string to, std::string reason,
                 std::function<bool(const std::string& from, const std::string& to)> claim);

  // ChanServ REGISTER: `who`, an operator here, logged in as `founder`,
  // registers the room as of `at_ms`. It goes into the map of saved rooms at
  // once and to the recorder; `done` is answered once the recorder kept it
  // (if it did not, the registration is undone). From then on the room
  // reports its topic and kept modes whenever they change.
  void register_to(actor who, std::string founder, std::int64_t at_ms, registration_done done);

  // ChanServ DROP by `account`, which must be the founder's: out of the map
  // at once, and through the recorder (undone if it refuses). A room that
  // is empty then closes.
  void drop_registration(std::string account, registration_done done);

  // The founder's account went, and its registrations with it (out of the
  // store and the map already): the room forgets its own, quietly.
  void forget_registration();

  // Takes up a saved state (the lobby's at start-up: other rooms are given
  // theirs when made).
  void restore(saved_room s);

  // Takes up, silently, what another node of a cluster says the room is:
  // its topic, if `s` has one (topic_at set) and the room's own is not
  // newer; its flag modes, key and limit, if `s` has modes (a key shown as
  // "*" is kept as it is). Lists (b, e, I, q) are not part of it. For a
  // node that learns a room it did not see made.
  void adopt(room_state s);

  // Runs `done` on the room's strand once everything posted to the room
  // before it has run: a requester learns that its requests are answered.
  void fence(std::function<void()> done);

  // Calls `done` on the room's strand with the nicks in join order.
  void snapshot(std::function<void(std::vector<std::string>)> done);

  // Member count, topic and times; thread-safe, may lag the strand slightly.
  room_summary summary() const;

 private:
  struct entry {
    std::shared_ptr<member> m;
    std::string nick;
    bool op = false;
    bool voice = false;
    // The verdicts of the ban and quiet lists for this member, valid while
    // masks_version_ equals checked (0: never checked): a member's messages
    // are matched against the masks again only when a list or its nick
    // changed.
    bool banned = false;
    bool quieted = false;
    std::uint32_t checked = 0;
  };
  using iterator = std::vector<entry>::iterator;
  // The mask lists' places in lists_, as in kListModes.
  static constexpr std::size_t kBans = 0;
  static constexpr std::size_t kExcepts = 1;
  static constexpr std::size_t kInvex = 2;
  static constexpr std::size_t kQuiets = 3;

  void fan_out(const event_ptr& ev) const;
  // Adds `who` (checked, or relayed) as an operator if `op`, and announces it.
  void admit(actor who, bool op);
  // Hands a channel event to the history (event-playback), if one is kept.
  void remember(const event& ev) const;
  // Shows the pending joins (pending_joins_) to the members who have not
  // seen them: every other handler calls it first, so that a member sees a
  // joiner's JOIN before anything the joiner does next.
  void flush_joins();
  void reply_error(const actor& who, error_code code, std::string about = {}) const;
  iterator find(const member* m);
  iterator find_nick(std::string_view nick);
  // True if `source` matches a ban (or quiet) and no exception.
  bool is_banned(std::string_view source) const;
  bool is_quieted(std::string_view source) const;
  bool matches(std::size_t list, std::string_view source) const;
  // The same for a member, from its cached verdicts when still valid.
  void check(entry& e, std::string_view source) const;
  // True if `m` was invited; the invitation is used up.
  bool take_invite(const member* m);
  void remove(iterator it);
  std::shared_ptr<const room_state> state(bool for_operator) const;
  // What NAMES shows of a member (nick and prefixes), and what WHO shows.
  static roster_entry names_entry(const entry& e);
  roster_entry roster_of(const entry& e) const;
  void publish_summary();
  void apply_modes(actor& who, const std::vector<mode_change>& changes);
  // A list-mode change (b, e, I, q); false if `c` is no list mode.
  bool change_list(actor& who, const mode_change& c, const std::function<void(std::string)>& record);

  // ---- Registration (room_saved.cpp)
  // What a registered room is doing with the recorder: while it registers
  // or drops, changes wait (`dirty`) so that they reach it in order.
  enum class pending : std::uint8_t { none, registering, dropping };
  struct registration_state {
    std::string founder;
    std::int64_t at_ms = 0;
    pending doing = pending::none;
    bool dirty = false;
    std::uint64_t serial = 0;  // which registration an answer is for
  };
  void apply(const saved_room& s);
  saved_room saved_state() const;
  // The topic or a kept mode changed: into the map, and to the recorder.
  void keep();
  void registered(std::uint64_t serial, bool ok);
  void dropped(std::uint64_t serial, bool ok);
  bool is_founder(std::string_view account) const;
  // The kept flags as "+nt".
  std::string saved_modes() const;
  // Closes a room nobody is in (and that is not persistent).
  void close_if_empty();

  asio::strand<asio::io_context::executor_type> strand_;
  std::string name_;  // guarded by strand_ (and copied into summary_ for other threads)
  const bool persistent_;
  std::function<void(const room*)> on_empty_;
  const std::shared_ptr<recorder> history_;

  // Guarded by strand_.
  std::vector<entry> members_;  // join order
  // Joins not shown yet to the members before them: those of
  // members_[pending_from_] on, the last members (nobody leaves while a
  // join is pending: every other handler flushes first).
  std::vector<event_ptr> pending_joins_;
  std::size_t pending_from_ = 0;
  bool flush_posted_ = false;  // a flush_joins() is queued on the strand
  std::string topic_;
  std::string topic_by_;
  std::time_t topic_at_ = 0;
  std::time_t created_at_;
  bool topic_lock_ = true;                // +t
  bool no_external_ = true;               // +n
  bool moderated_ = false;                // +m
  bool invite_only_ = false;              // +i
  bool secret_ = false;                   // +s
  std::string key_;                       // +k
  std::size_t limit_ = 0;                 // +l, 0: none
  std::optional<replay_setting> replay_;  // +H: newcomers see the last lines
  // The mask lists, by kListModes: each at most protocol::kMaxListEntries.
  std::array<std::vector<std::string>, 4> lists_;
  std::uint32_t masks_version_ = 1;             // changes with lists_
  std::vector<std::weak_ptr<member>> invited_;  // by member, not nick: a nick can change hands
  bool closed_ = false;
  std::optional<registration_state> registered_;  // null: not registered
  std::uint64_t registrations_ = 0;               // serials of registered_
  saved_rooms* const saved_;

  mutable std::mutex summary_mutex_;
  room_summary summary_;  // guarded by summary_mutex_
};

}  // namespace chat
