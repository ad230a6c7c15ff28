// Who is logged in to each account: every session of one account (several
// clients of one person) can be told what another set, such as a read
// marker (IRCv3 draft/read-marker). Guarded by its mutex; deliveries happen
// outside it.
#pragma once

#include <cstddef>
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

class logins {
 public:
  // `who` is logged in to `account` (compared folded).
  void add(std::string_view account, const std::shared_ptr<member>& who);
  // `who` logged out of `account`, or left.
  void remove(std::string_view account, const member* who);
  // Delivers `ev` to every session of `account` except `except` (may be
  // null). The number it reached.
  std::size_t deliver(std::string_view account, const event_ptr& ev, const member* except = nullptr);
  // How many sessions `account` has.
  std::size_t sessions(std::string_view account) const;

 private:
  mutable std::mutex mutex_;
  // Folded account -> its sessions.
  std::unordered_map<std::string, std::vector<std::weak_ptr<member>>, protocol::fold_hash,
                     protocol::fold_equal>
      sessions_;  // guarded by mutex_
};

}  // namespace chat
