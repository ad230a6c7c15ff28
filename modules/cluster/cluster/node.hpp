// One node of a cluster: chat servers that share their rooms, users and
// messages through one Redis, so that any node takes any client and the
// network looks like one server to its users.
//
//   - What happens on this node (a user comes, joins, speaks, goes) is
//     published once, on the room's channel or the users' channel, and kept
//     in this node's state hash in Redis, which newcomers read to learn it.
//   - What other nodes publish arrives on one pattern subscription, in the
//     order Redis received it, and is applied to this node's copies of the
//     rooms through remote_user stand-ins (apply.cpp).
//   - A lease in Redis, renewed every kHeartbeat, says the node is alive;
//     when another node's lease lapses, its users quit here with a
//     netsplit-style reason.
//
// Guarded by its own strand: the Redis replies, the subscriber's messages
// and the timers all run there. The chat-facing hooks (recorder, presence)
// are called on room and door strands and post to it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "chat/claims.hpp"
#include "chat/hub.hpp"
#include "cluster/remote_user.hpp"
#include "protocol/cluster_message.hpp"
#include "protocol/nick.hpp"
#include "redis/client.hpp"
#include "redis/subscriber.hpp"
#include "redis/url.hpp"

namespace cluster {

// How long a node's lease lasts without renewal: this long after a node
// dies, the others announce its users' departures.
inline constexpr std::chrono::milliseconds kLease{3000};
// How often a node renews its lease and looks at the others'.
inline constexpr std::chrono::milliseconds kHeartbeat{1000};
// The prefix of every key and channel, with the format's version: nodes of
// another version never read ours.
inline constexpr std::string_view kKeyPrefix = "chat:1:";
// A nick claimed in Redis but held by no member of this node for this long
// is let go (a client that asked and then left, or lost a race locally).
inline constexpr std::chrono::milliseconds kClaimGrace{10'000};
// A node name: letters, digits, '-', '_' and '.', at most this long.
inline constexpr std::size_t kMaxNodeName = 32;

// True if `name` is a usable node name.
bool valid_node_name(std::string_view name) noexcept;

struct settings {
  redis::endpoint redis;
  std::string name;         // this node's, unique in the cluster
  std::string server_name;  // what its users see as their server (netsplit reasons)
  std::chrono::milliseconds lease = kLease;
  std::chrono::milliseconds heartbeat = kHeartbeat;
};

// Nicks are claimed in Redis (chat:1:nick:<folded> = the node's name, set
// only if unset or ours, in a script), so two nodes never both grant one.
// While Redis is away a node grants from its directory alone; when Redis is
// back it claims its users' nicks again, and one that another node holds
// by then is lost: that node stayed connected, its claim is the older.
class node : public chat::nick_claims, public std::enable_shared_from_this<node> {
  struct passkey {};

 public:
  // Joins `hub` to the cluster: sets its presence hook and wraps its
  // recorder. Call before the hub has users; then start().
  static std::shared_ptr<node> create(asio::io_context& io, chat::hub& hub, settings s);
  node(passkey, asio::io_context& io, chat::hub& hub, settings s);

  void start();
  // Stops the links and the timers. The lease is left to lapse: by then
  // the node's users have quit (their departures published as they left),
  // and a restart under the same name is told apart by its epoch.
  // Idempotent.
  void stop();

  // True while this node has Redis (false: degraded, local users only).
  bool connected() const noexcept { return client_->is_up() && subscriber_->is_up(); }
  const std::string& name() const noexcept { return settings_.name; }

  // ---- From the chat (relay.cpp); any strand.
  // A local user came online, changed nick, went.
  void user_online(const std::shared_ptr<chat::member>& m, std::string nick);
  void user_renamed(const chat::member* m, std::string from, std::string to);
  void user_offline(const chat::member* m, std::string nick, std::string reason);
  // A room event of a local user (or of a local operator on anyone).
  void room_event(const chat::event& ev, const std::string& room);
  // A private message (or a KILL) from a local user to remote `target`.
  void tell(const chat::event& ev, std::string target);
  // Another node changed `room`'s topic or modes, and this node applied it:
  // kept in this node's state hash if it has users there.
  void room_state_seen(std::shared_ptr<const chat::room_state> st, std::string room);

  // chat::nick_claims
  void claim(std::string nick, std::weak_ptr<chat::member> owner, std::function<void(bool)> done) override;

 private:
  struct remote_node {
    std::uint64_t epoch = 0;
    bool loaded = false;  // its state hash was read since it was last seen
  };
  // A local user's rooms (folded names, as joined), for its state hash.
  struct local_user {
    std::string nick;
    std::set<std::string, protocol::fold_less> rooms;
  };
  // A room with users of this node: how many, and its topic and modes as
  // this node's state hash has them ("t:" and "m:" fields), for nodes that
  // come later (they cannot have seen them set).
  struct local_room {
    std::size_t users = 0;
    std::string topic;  // a topic_set frame; empty: none written
    std::string modes;  // a modes_set frame with all the modes, from "+"
  };

  std::string key(std::string_view what) const;
  // How this node announces a user of its own, as `nick`.
  protocol::cluster::user_on user_on_of(const chat::member& m, std::string nick) const;
  std::string state_key(std::string_view node_name) const;
  std::string room_channel(std::string_view room) const;
  std::string users_channel() const;

  // Publishes `m` on `channel`, and in the same script sets and deletes
  // fields of this node's state hash. In order: one queue, sent in turn.
  void publish(std::string channel, const protocol::cluster::message& m,
               std::vector<std::pair<std::string, std::string>> set = {}, std::vector<std::string> del = {});
  void send_script(std::vector<std::string> args);
  // A user of this node entered or left `room`: the room's fields of the
  // state hash, to set (first user) or delete (last one).
  void room_entered(const std::string& room, const chat::room_state* st,
                    std::vector<std::pair<std::string, std::string>>& set);
  void room_left(const std::string& room, std::vector<std::string>& del);
  // `room`'s topic and modes are `st` now: its fields, if this node has
  // users there.
  void room_state_now(const std::string& room, const chat::room_state& st,
                      std::vector<std::pair<std::string, std::string>>& set);

  void on_client_state(redis::state s);
  void on_subscriber_state(redis::state s);
  void on_frame(std::string_view channel, std::string_view payload);
  void heartbeat();
  void arm_heartbeat();
  // Everything this node has, written again into its state hash, and hello.
  void announce_all();
  // Reads every live node's state hash, then the messages that came meanwhile.
  void load_all();
  static asio::awaitable<void> load_run(std::shared_ptr<node> self);
  void node_lapsed(const std::string& name, std::string_view why);
  std::string nick_key(std::string_view nick) const;
  std::string claims_key(std::string_view node_name) const;
  // Lets go of claims no member of this node holds (kClaimGrace after).
  void sweep_claims();
  // Lets go of `nick` now, unless a member of this node holds it.
  void release_claim(const std::string& nick);
  // Claims this node's nicks again after Redis was away; a member whose
  // nick another node holds now is told (nick_taken).
  void settle_claims();
  // A stand-in whose nick a member of this node held: in the directory now.
  void retry_directory(const std::string& nick);

  // ---- apply.cpp: messages of other nodes, on the strand.
  void apply(const protocol::cluster::message& m);
  std::shared_ptr<remote_user> stub(std::string_view nick) const;
  void add_user(const protocol::cluster::user_on& u);
  void drop_user(const std::string& nick, const std::string& reason);
  void drop_node_users(const std::string& node_name, const std::string& reason);
  chat::actor stub_actor(const std::shared_ptr<remote_user>& u) const;
  // An actor for `nick` of another node who is not (or no longer) known
  // here: a kick or a mode of a user who left meanwhile still applies.
  chat::actor stand_in(std::string_view nick) const;
  void deliver_told(const protocol::cluster::told& t);
  // A topic_set or modes_set of another node's state hash: what its room
  // is now, taken up silently (room::adopt).
  void adopt(const protocol::cluster::message& m);

  asio::io_context& io_;
  chat::hub& hub_;
  const settings settings_;
  const std::uint64_t epoch_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::shared_ptr<redis::client> client_;
  std::shared_ptr<redis::subscriber> subscriber_;
  asio::steady_timer heartbeat_timer_;
  bool stopped_ = false;

  // All guarded by strand_.
  std::map<std::string, remote_node> nodes_;
  std::map<std::string, std::shared_ptr<remote_user>, protocol::fold_less> stubs_;  // by nick
  std::map<const chat::member*, local_user> locals_;
  std::map<std::string, local_room, protocol::fold_less> local_rooms_;
  // Nicks this node claimed, folded, and when.
  std::map<std::string, std::chrono::steady_clock::time_point> claims_;
  bool loading_ = false;
  bool reload_ = false;            // load_all() was asked for while loading
  std::vector<std::string> held_;  // frames that came while loading
  bool announced_ = false;         // this node's state is in Redis since it last came up
  bool degraded_ = false;          // said that Redis is unreachable
};

}  // namespace cluster
