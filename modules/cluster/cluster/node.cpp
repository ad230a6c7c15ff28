// A cluster node's Redis side: its lease, its state hash, what it publishes
// and what it hears, and the other nodes' comings and goings.
#include "cluster/node.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <random>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include "cluster/relay.hpp"
#include "metrics/metrics.hpp"
#include "protocol/chars.hpp"

namespace cluster {

namespace pc = protocol::cluster;

namespace {

// Publishes ARGV[1] on KEYS[2] and, in the same step, deletes ARGV[2]
// fields of the hash KEYS[1] (those after it) and sets the pairs after
// them: a node's state and what it tells the others never disagree.
constexpr std::string_view kPublishScript =
    "local n = tonumber(ARGV[2]) "
    "for i = 3, 2 + n do redis.call('HDEL', KEYS[1], ARGV[i]) end "
    "for i = 3 + n, #ARGV - 1, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end "
    "if ARGV[1] == '' then return 0 end "
    "return redis.call('PUBLISH', KEYS[2], ARGV[1])";

// KEYS: the dead node's claims, its state hash, the set of nodes; ARGV: its
// name. Frees its nicks and forgets it, in one step.
constexpr std::string_view kReapScript =
    "for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
    "if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k) end end "
    "redis.call('DEL', KEYS[1], KEYS[2]) "
    "redis.call('SREM', KEYS[3], ARGV[1]) "
    "return 1";

std::uint64_t random_epoch() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32U) ^ rd();
}

}  // namespace

bool valid_node_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxNodeName) return false;
  for (const char c : name) {
    if (!protocol::is_letter(c) && !protocol::is_digit(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::shared_ptr<node> node::create(asio::io_context& io, chat::hub& hub, settings s) {
  auto n = std::make_shared<node>(passkey{}, io, hub, std::move(s));
  if (auto r = std::dynamic_pointer_cast<relay>(hub.history())) r->attach(n);
  return n;
}

node::node(passkey, asio::io_context& io, chat::hub& hub, settings s)
    : io_(io),
      hub_(hub),
      settings_(std::move(s)),
      epoch_(random_epoch()),
      strand_(asio::make_strand(io)),
      client_(redis::client::create(io, settings_.redis)),
      subscriber_(redis::subscriber::create(io, settings_.redis)),
      heartbeat_timer_(strand_) {}

pc::user_on node::user_on_of(const chat::member& m, std::string nick) const {
  const auto i = m.info();
  return pc::user_on{settings_.name,
                     std::move(nick),
                     i.user,
                     i.host,
                     i.realname,
                     i.account,
                     i.away,
                     i.bot,
                     i.oper,
                     i.secure,
                     static_cast<std::int64_t>(i.signon)};
}

std::string node::key(std::string_view what) const {
  return std::string(kKeyPrefix) + std::string(what);
}
std::string node::state_key(std::string_view node_name) const {
  return key("state:") + std::string(node_name);
}
std::string node::room_channel(std::string_view room) const {
  return key("room:") + protocol::fold_nick(room);
}
std::string node::users_channel() const {
  return key("users");
}

void node::start() {
  auto self = shared_from_this();
  // The links' callbacks hold the node weakly: the node owns the links, and
  // a strong hold would be a cycle that outlives the server (a leak at exit).
  const std::weak_ptr<node> weak = self;
  client_->on_state([weak](redis::state s) {
    if (auto n = weak.lock()) asio::post(n->strand_, [n, s] { n->on_client_state(s); });
  });
  subscriber_->on_state([weak](redis::state s) {
    if (auto n = weak.lock()) asio::post(n->strand_, [n, s] { n->on_subscriber_state(s); });
  });
  subscriber_->on_message([weak](std::string_view channel, std::string_view payload) {
    auto n = weak.lock();
    if (!n) return;
    asio::post(n->strand_, [n, channel = std::string(channel), payload = std::string(payload)] {
      n->on_frame(channel, payload);
    });
  });
  subscriber_->psubscribe(key("*"));
  spdlog::info("cluster: node {} joining through Redis at {}", settings_.name,
               redis::describe(settings_.redis));
  client_->start();
  subscriber_->start();
  asio::post(strand_, [self] {
    metrics::cluster_state(false, 0);
    self->arm_heartbeat();
  });
}

void node::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->stopped_) return;
    self->stopped_ = true;
    self->heartbeat_timer_.cancel();
    self->client_->stop();
    self->subscriber_->stop();
  });
}

// ---- Sending --------------------------------------------------------------------

void node::send_script(std::vector<std::string> args) {
  // Spawned from this strand in order: the client queues them in that order.
  asio::co_spawn(strand_, client_->command(std::move(args)),
                 [name = settings_.name](const std::exception_ptr& e, const redis::result& r) {
                   if (e) {
                     spdlog::error("cluster {}: a publish failed with an exception", name);
                   } else if (!r.has_value()) {
                     spdlog::debug("cluster {}: not published: {}", name, r.error().message);
                   } else if (r->is_error()) {
                     spdlog::warn("cluster {}: Redis refused a publish: {}", name, r->as_string());
                   }
                 });
}

void node::publish(std::string channel, const pc::message& m,
                   std::vector<std::pair<std::string, std::string>> set, std::vector<std::string> del) {
  // Down: what happens meanwhile is written again when Redis is back.
  if (!client_->is_up()) return;
  if (set.empty() && del.empty()) {
    // A message that changes no state (what users say, most of the
    // traffic): one PUBLISH, one Redis command per message per room.
    send_script({"PUBLISH", std::move(channel), pc::encode_message(m)});
    metrics::cluster_frames(metrics::cluster_frame::published);
    return;
  }
  std::vector<std::string> args{"EVAL",
                                std::string(kPublishScript),
                                "2",
                                state_key(settings_.name),
                                std::move(channel),
                                pc::encode_message(m),
                                std::to_string(del.size())};
  args.reserve(args.size() + del.size() + set.size() * 2);
  for (auto& d : del) args.push_back(std::move(d));
  for (auto& [k, v] : set) {
    args.push_back(std::move(k));
    args.push_back(std::move(v));
  }
  send_script(std::move(args));
  metrics::cluster_frames(metrics::cluster_frame::published);
}

// ---- Links up and down ------------------------------------------------------------

void node::on_client_state(redis::state s) {
  if (stopped_) return;
  metrics::cluster_state(s == redis::state::up && subscriber_->is_up(), nodes_.size());
  if (s == redis::state::down) {
    if (!degraded_) {
      spdlog::warn("cluster {}: Redis unreachable: degraded, serving this node's users only", settings_.name);
    }
    degraded_ = true;
    announced_ = false;
    return;
  }
  degraded_ = false;
  spdlog::info("cluster {}: Redis connected", settings_.name);
  if (subscriber_->is_up()) {
    announce_all();
    load_all();
  }
}

void node::on_subscriber_state(redis::state s) {
  if (stopped_) return;
  metrics::cluster_state(s == redis::state::up && client_->is_up(), nodes_.size());
  if (s == redis::state::down) {
    announced_ = false;
    return;
  }
  // Subscribed: from now on nothing published is missed; read what was.
  if (client_->is_up()) {
    announce_all();
    load_all();
  }
}

void node::announce_all() {
  if (announced_) return;
  announced_ = true;
  // The lease first, so that nobody who reads the state takes it for stale.
  send_script({"SET", key("node:") + settings_.name, std::to_string(epoch_), "PX",
               std::to_string(settings_.lease.count())});
  send_script({"SADD", key("nodes"), settings_.name});
  settle_claims();
  send_script({"DEL", state_key(settings_.name)});
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [key, u] : locals_) {
    const auto folded = protocol::fold_nick(u.nick);
    auto m = hub_.directory().find(u.nick);
    if (!m) continue;
    fields.emplace_back("u:" + folded, pc::encode_message(user_on_of(*m, u.nick)));
    for (const auto& r : u.rooms) {
      fields.emplace_back("j:" + protocol::fold_nick(r) + " " + folded,
                          pc::encode_message(pc::joined{settings_.name, r, u.nick, false}));
    }
  }
  for (const auto& [room, r] : local_rooms_) {
    const auto folded = protocol::fold_nick(room);
    if (!r.topic.empty()) fields.emplace_back("t:" + folded, r.topic);
    if (!r.modes.empty()) fields.emplace_back("m:" + folded, r.modes);
  }
  // hello tells the others to read this node's state again.
  publish(users_channel(), pc::hello{settings_.name, epoch_}, std::move(fields));
}

// ---- Heartbeat and leases ----------------------------------------------------------

void node::arm_heartbeat() {
  if (stopped_) return;
  heartbeat_timer_.expires_after(settings_.heartbeat);
  heartbeat_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (!ec) self->heartbeat();
  });
}

void node::heartbeat() {
  arm_heartbeat();
  metrics::cluster_state(connected(), nodes_.size());
  if (!client_->is_up()) {
    // Also when Redis was never there: no state change would say it.
    if (!degraded_) {
      degraded_ = true;
      spdlog::warn("cluster {}: Redis unreachable: degraded, serving this node's users only", settings_.name);
    }
    return;
  }
  send_script({"SET", key("node:") + settings_.name, std::to_string(epoch_), "PX",
               std::to_string(settings_.lease.count())});
  sweep_claims();
  // The others' leases: one MGET for all the nodes this node knows.
  std::vector<std::string> names;
  std::vector<std::string> args{"MGET"};
  for (const auto& [name, n] : nodes_) {
    names.push_back(name);
    args.push_back(key("node:") + name);
  }
  if (names.empty()) return;
  asio::co_spawn(
      strand_, client_->command(std::move(args)),
      [self = shared_from_this(), names](const std::exception_ptr& e, const redis::result& r) {
        if (e || !r.has_value() || !r->is_array() || r->elements.size() != names.size()) return;
        for (std::size_t i = 0; i < names.size(); ++i) {
          const auto& lease = r->elements[i];
          auto it = self->nodes_.find(names[i]);
          if (it == self->nodes_.end()) continue;
          if (lease.is_nil()) {
            self->node_lapsed(names[i], "its lease lapsed");
          } else if (lease.as_string() != std::to_string(it->second.epoch) && it->second.epoch != 0) {
            self->node_lapsed(names[i], "it restarted");
          }
        }
      });
}

void node::node_lapsed(const std::string& name, std::string_view why) {
  spdlog::warn("cluster {}: node {} is gone ({}): its users quit", settings_.name, name, why);
  nodes_.erase(name);
  // The reason IRC users know from netsplits: this server, then the lost one.
  drop_node_users(name, settings_.server_name + " " + name);
  // Whoever sees it first tidies up; the others' attempts change nothing.
  send_script({"EVAL", std::string(kReapScript), "3", claims_key(name), state_key(name), key("nodes"), name});
}

// ---- Receiving -----------------------------------------------------------------------

void node::on_frame(std::string_view channel, std::string_view payload) {
  if (stopped_) return;
  if (loading_) {
    held_.emplace_back(payload);
    return;
  }
  auto m = pc::decode_message(payload);
  if (!m) {
    spdlog::warn("cluster {}: ignored a message on {}: {}", settings_.name, channel, m.error());
    metrics::cluster_frames(metrics::cluster_frame::ignored);
    return;
  }
  if (pc::node_of(*m) == settings_.name) return;  // our own, back from Redis
  apply(*m);
  metrics::cluster_frames(metrics::cluster_frame::applied);
}

void node::load_all() {
  if (loading_) {
    reload_ = true;  // again when this one is done: a node came meanwhile
    return;
  }
  loading_ = true;
  reload_ = false;
  auto self = shared_from_this();
  asio::co_spawn(strand_, load_run(self), [self](const std::exception_ptr& e) {
    if (e) spdlog::error("cluster {}: reading the other nodes' state failed", self->settings_.name);
    self->loading_ = false;
    auto held = std::exchange(self->held_, {});
    for (const auto& f : held) self->on_frame(self->users_channel(), f);
    if (self->reload_) self->load_all();
  });
}

asio::awaitable<void> node::load_run(std::shared_ptr<node> self) {
  // Each command a named vector: g++ 12 cannot keep an initializer list
  // alive across a co_await.
  std::vector<std::string> smembers{"SMEMBERS", self->key("nodes")};
  auto members = co_await self->client_->command(std::move(smembers));
  if (!members || !members->is_array()) co_return;
  for (const auto& e : members->elements) {
    const std::string name(e.as_string());
    if (name == self->settings_.name || !valid_node_name(name)) continue;
    std::vector<std::string> get{"GET", self->key("node:") + name};
    auto lease = co_await self->client_->command(std::move(get));
    if (!lease || !lease->is_string()) continue;  // not alive: the heartbeat tidies it
    std::uint64_t epoch = 0;
    const auto text = lease->as_string();
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), epoch);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      spdlog::warn("cluster {}: node {} has a malformed lease", self->settings_.name, name);
      continue;
    }
    std::vector<std::string> hgetall{"HGETALL", self->state_key(name)};
    auto state = co_await self->client_->command(std::move(hgetall));
    if (!state || !state->is_array()) continue;
    auto& known = self->nodes_[name];
    known.epoch = epoch;
    known.loaded = true;
    // Users first, then their rooms, then the rooms' topics and modes: a
    // hash has no order.
    std::vector<pc::message> joins;
    std::vector<pc::message> rooms;
    for (std::size_t i = 0; i + 1 < state->elements.size(); i += 2) {
      auto m = pc::decode_message(state->elements[i + 1].as_string());
      if (!m) {
        spdlog::warn("cluster {}: ignored a field of {}'s state: {}", self->settings_.name, name, m.error());
        continue;
      }
      if (pc::node_of(*m) != name) continue;
      if (std::holds_alternative<pc::joined>(*m)) {
        joins.push_back(std::move(*m));
      } else if (std::holds_alternative<pc::topic_set>(*m) || std::holds_alternative<pc::modes_set>(*m)) {
        rooms.push_back(std::move(*m));
      } else {
        self->apply(*m);
      }
    }
    for (const auto& j : joins) self->apply(j);
    for (const auto& r : rooms) self->adopt(r);
  }
}

}  // namespace cluster
