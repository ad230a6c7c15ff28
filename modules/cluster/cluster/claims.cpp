// Nick claims across the network, in Redis: granted, let go, settled after
// an outage, and reaped with a dead node. On the node's strand.
#include <spdlog/spdlog.h>

#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include "cluster/node.hpp"

namespace cluster {

namespace {

// KEYS: the nick's key, this node's set of claims; ARGV: this node. 1 if
// the nick is this node's now, 0 if another node holds it.
constexpr std::string_view kClaimScript =
    "local v = redis.call('GET', KEYS[1]) "
    "if v and v ~= ARGV[1] then return 0 end "
    "redis.call('SET', KEYS[1], ARGV[1]) "
    "redis.call('SADD', KEYS[2], KEYS[1]) "
    "return 1";

// The same keys: deletes the nick's key if it is still this node's.
constexpr std::string_view kReleaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end "
    "redis.call('SREM', KEYS[2], KEYS[1]) "
    "return 1";

}  // namespace

std::string node::nick_key(std::string_view nick) const {
  return key("nick:") + protocol::fold_nick(nick);
}

std::string node::claims_key(std::string_view node_name) const {
  return key("claims:") + std::string(node_name);
}

void node::claim(std::string nick, std::weak_ptr<chat::member> owner, std::function<void(bool)> done) {
  (void)owner;  // whoever of this node holds it in the directory keeps the claim
  asio::post(strand_, [self = shared_from_this(), nick = std::move(nick), done = std::move(done)]() mutable {
    const auto folded = protocol::fold_nick(nick);
    if (!self->client_->is_up()) {
      // Degraded: the directory decides; settle_claims() when Redis is back.
      self->claims_[folded] = std::chrono::steady_clock::now();
      done(true);
      return;
    }
    std::vector<std::string> args{"EVAL",
                                  std::string(kClaimScript),
                                  "2",
                                  self->nick_key(nick),
                                  self->claims_key(self->settings_.name),
                                  self->settings_.name};
    asio::co_spawn(
        self->strand_, self->client_->command(std::move(args)),
        [self, folded, done = std::move(done)](const std::exception_ptr& e, const redis::result& r) {
          // Lost on the way: granted as while degraded, settled later.
          const bool answered = !e && r.has_value() && r->is_integer();
          const bool ok = !answered || r->integer == 1;
          if (ok) self->claims_[folded] = std::chrono::steady_clock::now();
          done(ok);
        });
  });
}

void node::release_claim(const std::string& nick) {
  const auto folded = protocol::fold_nick(nick);
  const auto it = claims_.find(folded);
  if (it == claims_.end()) return;
  const auto holder = hub_.directory().holder(folded);
  if (holder && dynamic_cast<const remote_user*>(holder.get()) == nullptr) return;  // another of ours has it
  claims_.erase(it);
  if (!client_->is_up()) return;  // nothing to let go of until settle_claims()
  send_script({"EVAL", std::string(kReleaseScript), "2", key("nick:") + folded, claims_key(settings_.name),
               settings_.name});
}

void node::sweep_claims() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = claims_.begin(); it != claims_.end();) {
    const auto holder = hub_.directory().holder(it->first);
    const bool ours = holder && dynamic_cast<const remote_user*>(holder.get()) == nullptr;
    if (ours || now - it->second < kClaimGrace) {
      if (ours) it->second = now;
      ++it;
      continue;
    }
    send_script({"EVAL", std::string(kReleaseScript), "2", key("nick:") + it->first,
                 claims_key(settings_.name), settings_.name});
    it = claims_.erase(it);
  }
}

void node::settle_claims() {
  for (const auto& claimed : claims_) {
    // A copy, not the structured binding: clang 14 cannot capture one.
    const std::string folded = claimed.first;
    std::vector<std::string> args{
        "EVAL",        std::string(kClaimScript), "2", key("nick:") + folded, claims_key(settings_.name),
        settings_.name};
    asio::co_spawn(strand_, client_->command(std::move(args)),
                   [self = shared_from_this(), folded](const std::exception_ptr& e, const redis::result& r) {
                     if (e || !r.has_value() || !r->is_integer() || r->integer == 1) return;
                     self->claims_.erase(folded);
                     auto holder = self->hub_.directory().holder(folded);
                     if (!holder || dynamic_cast<const remote_user*>(holder.get()) != nullptr) return;
                     spdlog::warn(
                         "cluster {}: {} was claimed by another node meanwhile: its user here is renamed",
                         self->settings_.name, folded);
                     auto ev = chat::new_event(chat::event_kind::nick_taken, {}, {}, nullptr);
                     ev->text = holder->nick();
                     holder->deliver(ev);
                   });
  }
}

void node::retry_directory(const std::string& nick) {
  if (auto u = stub(nick)) hub_.directory().claim(u->nick(), u, /*published=*/true);
}

}  // namespace cluster
