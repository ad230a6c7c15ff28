// The messages nodes of a cluster exchange over Redis, typed, on top of the
// frames of cluster_frame.hpp: who is online where, who is in which room,
// and what they say. Pure: encode_message and decode_message round-trip
// (decode(encode(m)) == m), and a frame from a buggy or older node decodes
// to an error that names what is wrong, never to a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <tl/expected.hpp>

namespace protocol::cluster {

// A node (re)started, or came back after losing Redis: forget whatever you
// knew of its users, it announces them again. `epoch` tells one run of the
// node from the next.
struct hello {
  std::string node;
  std::uint64_t epoch = 0;
  friend bool operator==(const hello&, const hello&) = default;
};

// A user of `node` is online with these details (sent again when they change).
struct user_on {
  std::string node;
  std::string nick;
  std::string user;
  std::string host;
  std::string realname;
  std::string account;  // empty: not logged in
  std::string away;     // empty: here
  bool bot = false;
  bool oper = false;
  bool secure = false;
  std::int64_t signon = 0;  // Unix seconds
  friend bool operator==(const user_on&, const user_on&) = default;
};

// A user of `node` quit with `reason`.
struct user_off {
  std::string node;
  std::string nick;
  std::string reason;
  friend bool operator==(const user_off&, const user_off&) = default;
};

struct nick_change {
  std::string node;
  std::string from;
  std::string to;
  friend bool operator==(const nick_change&, const nick_change&) = default;
};

// `nick` (a user of `node`) entered `room`; `op`: as its operator.
struct joined {
  std::string node;
  std::string room;
  std::string nick;
  bool op = false;
  friend bool operator==(const joined&, const joined&) = default;
};

struct parted {
  std::string node;
  std::string room;
  std::string nick;
  std::string reason;
  friend bool operator==(const parted&, const parted&) = default;
};

struct kicked {
  std::string node;
  std::string room;
  std::string by;
  std::string target;
  std::string reason;
  friend bool operator==(const kicked&, const kicked&) = default;
};

// What kind of text a said or told carries (chat::message_kind's values).
enum class text_kind : std::uint8_t { privmsg, notice, tagmsg, action };

// A message with its identity, as every node shows and keeps it.
struct text {
  text_kind kind = text_kind::privmsg;
  std::string msgid;  // the IRCv3 msgid, the same on every node
  std::int64_t at_ms = 0;
  std::string from;
  std::string source;   // nick!user@host
  std::string account;  // empty: none
  bool bot = false;
  std::string body;
  std::vector<std::pair<std::string, std::string>> tags;  // client-only tags, unescaped
  friend bool operator==(const text&, const text&) = default;
};

// `t` said in `room`; `status` '@' or '+' for operators (and voiced) only, else 0.
struct said {
  std::string node;
  std::string room;
  char status = 0;
  text t;
  friend bool operator==(const said&, const said&) = default;
};

// `t` sent privately to `target`, by a user of `node`; the target's node
// delivers it.
struct told {
  std::string node;
  std::string target;
  text t;
  friend bool operator==(const told&, const told&) = default;
};

struct topic_set {
  std::string node;
  std::string room;
  std::string by;  // nick!user@host
  std::string topic;
  std::int64_t at = 0;  // Unix seconds
  friend bool operator==(const topic_set&, const topic_set&) = default;
};

// `by` changed modes of `room`: `changes` as "+o-v", then their arguments.
struct modes_set {
  std::string node;
  std::string room;
  std::string by;
  std::string changes;
  std::vector<std::string> args;
  friend bool operator==(const modes_set&, const modes_set&) = default;
};

// `node` is gone (its lease expired), as `by` saw: its users are offline.
struct node_gone {
  std::string node;
  std::string by;
  friend bool operator==(const node_gone&, const node_gone&) = default;
};

using message = std::variant<hello, user_on, user_off, nick_change, joined, parted, kicked, said, told,
                             topic_set, modes_set, node_gone>;

// The node a message is from.
const std::string& node_of(const message& m) noexcept;

// A frame (cluster_frame.hpp) holding `m`.
std::string encode_message(const message& m);

// The message in `frame`; an error says what is wrong with it (for the log).
tl::expected<message, std::string> decode_message(std::string_view frame);

}  // namespace protocol::cluster
