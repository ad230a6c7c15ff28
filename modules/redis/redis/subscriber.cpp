// subscriber: the remembered subscription set, (re)subscribing on connect,
// and dispatching "message" and "pmessage" pushes to the handler.
#include "redis/subscriber.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include <asio/post.hpp>

#include "redis/sample.hpp"

namespace redis {
namespace {

// SUBSCRIBE (or PSUBSCRIBE) for a set of names, in commands of at most
// kMaxArgs arguments.
std::string subscribe_all(std::string_view verb, const std::set<std::string>& names) {
  std::string wire;
  std::vector<std::string_view> args{verb};
  for (const auto& n : names) {
    args.push_back(n);
    if (args.size() == kMaxArgs) {
      wire += encode_command(args);
      args.resize(1);
    }
  }
  if (args.size() > 1) wire += encode_command(args);
  return wire;
}

std::string key_of(bool pattern, std::string_view name) {
  std::string key(1, pattern ? 'p' : 'c');
  key.append(name);
  return key;
}

}  // namespace

std::shared_ptr<subscriber> subscriber::create(asio::io_context& io, endpoint ep, options opts) {
  return std::make_shared<subscriber>(passkey{}, io, std::move(ep), opts);
}

subscriber::subscriber(passkey, asio::io_context& io, endpoint ep, options opts)
    : link(io, std::move(ep), opts, "subscriber") {}

void subscriber::subscribe(std::string channel, active_handler on_active) {
  change(false, true, std::move(channel), std::move(on_active));
}
void subscriber::unsubscribe(std::string channel) {
  change(false, false, std::move(channel), {});
}
void subscriber::psubscribe(std::string pattern, active_handler on_active) {
  change(true, true, std::move(pattern), std::move(on_active));
}
void subscriber::punsubscribe(std::string pattern) {
  change(true, false, std::move(pattern), {});
}

void subscriber::change(bool pattern, bool add, std::string name, active_handler on_active) {
  auto self = std::static_pointer_cast<subscriber>(shared_from_this());
  asio::post(strand_,
             [self, pattern, add, name = std::move(name), on_active = std::move(on_active)]() mutable {
               auto& set = pattern ? self->patterns_ : self->channels_;
               const std::string key = key_of(pattern, name);
               const bool changed = add ? set.insert(name).second : set.erase(name) > 0;
               if (!add) self->waiting_.erase(key);
               if (changed && self->in_session()) {  // else connecting sends the whole set
                 const std::string_view verb =
                     pattern ? (add ? "PSUBSCRIBE" : "PUNSUBSCRIBE") : (add ? "SUBSCRIBE" : "UNSUBSCRIBE");
                 const std::string_view args[] = {verb, name};
                 self->send(encode_command(args));
                 if (add) {
                   self->unconfirmed_.insert(key);
                   // Its confirmation will come before up is reported: count it too.
                   if (self->awaiting_ > 0) ++self->awaiting_;
                 } else {
                   self->unconfirmed_.erase(key);
                 }
               }
               if (add && on_active) {
                 if (self->in_session() && self->unconfirmed_.count(key) == 0) {
                   on_active();
                 } else {
                   self->waiting_[key].push_back(std::move(on_active));
                 }
               }
             });
}

void subscriber::confirmed(bool pattern, const std::string& name) {
  const std::string key = key_of(pattern, name);
  unconfirmed_.erase(key);
  auto it = waiting_.find(key);
  if (it == waiting_.end()) return;
  auto handlers = std::move(it->second);
  waiting_.erase(it);
  for (auto& h : handlers) h();
}

void subscriber::opened() {
  awaiting_ = channels_.size() + patterns_.size();
  if (awaiting_ == 0) {
    set_state(state::up);
    return;
  }
  for (const auto& c : channels_) unconfirmed_.insert(key_of(false, c));
  for (const auto& p : patterns_) unconfirmed_.insert(key_of(true, p));
  send(subscribe_all("SUBSCRIBE", channels_) + subscribe_all("PSUBSCRIBE", patterns_));
}

tl::expected<void, error> subscriber::received(reply r) {
  if (r.is_error()) {
    spdlog::warn("redis subscriber {}: {}", describe(ep_), sample(r.as_string(), 200));
    return {};
  }
  if (!r.is_array() || r.elements.empty() || !r.elements[0].is_string()) {
    return tl::unexpected(error{errc::protocol, "a pub/sub reply that is not an array"});
  }
  const auto& e = r.elements;
  const std::string_view kind = e[0].as_string();
  if (kind == "message" && e.size() == 3) {
    if (on_message_) on_message_(e[1].as_string(), e[2].as_string());
  } else if (kind == "pmessage" && e.size() == 4) {
    if (on_message_) on_message_(e[2].as_string(), e[3].as_string());
  } else if ((kind == "subscribe" || kind == "psubscribe") && e.size() == 3) {
    // Handlers first: up then finds every confirmed subscription active.
    confirmed(kind == "psubscribe", std::string(e[1].as_string()));
    if (awaiting_ > 0 && --awaiting_ == 0) set_state(state::up);
  } else if (kind != "unsubscribe" && kind != "punsubscribe" && kind != "pong") {
    return tl::unexpected(
        error{errc::protocol, fmt::format("an unknown pub/sub reply \"{}\"", sample(kind, 32))});
  }
  return {};
}

void subscriber::ping() {
  // Allowed in pub/sub mode; answered with ["pong", ""].
  const std::string_view args[] = {"PING"};
  send(encode_command(args));
}

void subscriber::closed(const error&) {
  awaiting_ = 0;
  unconfirmed_.clear();
}

}  // namespace redis
