// Who watches which nicks (IRC MONITOR): a member asks to be told when a
// nick comes online or goes offline. Guarded by its mutex; notifications are
// delivered outside it. A member's own limit on how many nicks it watches is
// its door's business (ISUPPORT MONITOR=).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chat/event.hpp"
#include "chat/member.hpp"
#include "protocol/nick.hpp"

namespace chat {

class monitor {
 public:
  void watch(std::string_view nick, const std::shared_ptr<member>& who);
  void unwatch(std::string_view nick, const member* who);
  // Delivers `ev` (user_online or user_offline, `from` the nick) to those
  // who watch `ev->from`.
  void notify(const event_ptr& ev);
  // Delivers `ev` (an attribute_changed) to those who watch `nick`.
  void notify(std::string_view nick, const event_ptr& original);

 private:
  std::mutex mutex_;
  // Folded nick -> watchers.
  std::unordered_map<std::string, std::vector<std::weak_ptr<member>>, protocol::fold_hash,
                     protocol::fold_equal>
      watchers_;  // guarded by mutex_
};

}  // namespace chat
