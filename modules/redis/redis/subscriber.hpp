// A Redis connection in pub/sub mode: it remembers the channels and patterns
// it was asked for (before connecting too), subscribes to all of them on
// every (re)connect, and only then reports up, so that a caller can
// resynchronise knowing that it misses nothing published from then on.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>

#include "redis/link.hpp"
#include "redis/url.hpp"

namespace redis {

// Guarded by its own strand (get_strand()): the message and state handlers
// run on it; subscribe() and the others may be called from any thread
// (they post to it).
class subscriber final : public link {
  struct passkey {};

 public:
  // For a pattern subscription, channel is the channel the message was
  // published to (not the pattern).
  using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;

  static std::shared_ptr<subscriber> create(asio::io_context& io, endpoint ep, options opts = {});
  subscriber(passkey, asio::io_context& io, endpoint ep, options opts);

  // Set before start().
  void on_message(message_handler h) { on_message_ = std::move(h); }

  // Called on the strand once Redis has confirmed the subscription: then
  // nothing published to it is missed while the connection lasts (and after
  // a reconnect, up says the same of the whole set). At once if it is
  // confirmed already; dropped if unsubscribed first.
  using active_handler = std::function<void()>;

  void subscribe(std::string channel, active_handler on_active = {});
  void unsubscribe(std::string channel);
  void psubscribe(std::string pattern, active_handler on_active = {});
  void punsubscribe(std::string pattern);

 private:
  void change(bool pattern, bool add, std::string name, active_handler on_active);
  void confirmed(bool pattern, const std::string& name);
  void opened() override;
  tl::expected<void, error> received(reply r) override;
  void closed(const error& why) override;
  void ping() override;

  message_handler on_message_;
  std::set<std::string> channels_;
  std::set<std::string> patterns_;
  // Confirmations still awaited of the subscriptions sent at connect; up
  // is reported when it reaches zero.
  std::size_t awaiting_ = 0;
  // Subscriptions sent and not yet confirmed ('c' or 'p', then the name),
  // and who waits for their confirmation.
  std::set<std::string> unconfirmed_;
  std::map<std::string, std::vector<active_handler>> waiting_;
};

}  // namespace redis
