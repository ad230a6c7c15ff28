#include "chat/logins.hpp"

#include <algorithm>

namespace chat {

void logins::add(std::string_view account, const std::shared_ptr<member>& who) {
  if (account.empty()) return;
  const std::lock_guard lock(mutex_);
  auto& list = sessions_[protocol::fold_nick(account)];
  std::erase_if(list, [](const std::weak_ptr<member>& w) { return w.expired(); });
  if (std::none_of(list.begin(), list.end(),
                   [&](const std::weak_ptr<member>& w) { return w.lock() == who; })) {
    list.push_back(who);
  }
}

void logins::remove(std::string_view account, const member* who) {
  const std::lock_guard lock(mutex_);
  auto it = sessions_.find(account);
  if (it == sessions_.end()) return;
  std::erase_if(it->second, [&](const std::weak_ptr<member>& w) {
    auto m = w.lock();
    return !m || m.get() == who;
  });
  if (it->second.empty()) sessions_.erase(it);
}

std::size_t logins::deliver(std::string_view account, const event_ptr& ev, const member* except) {
  std::vector<std::shared_ptr<member>> to;
  {
    const std::lock_guard lock(mutex_);
    auto it = sessions_.find(account);
    if (it == sessions_.end()) return 0;
    for (const auto& w : it->second) {
      if (auto m = w.lock(); m && m.get() != except) to.push_back(std::move(m));
    }
  }
  for (const auto& m : to) m->deliver(ev);
  return to.size();
}

std::size_t logins::sessions(std::string_view account) const {
  const std::lock_guard lock(mutex_);
  auto it = sessions_.find(account);
  if (it == sessions_.end()) return 0;
  return static_cast<std::size_t>(std::count_if(it->second.begin(), it->second.end(),
                                                [](const std::weak_ptr<member>& w) { return !w.expired(); }));
}

}  // namespace chat
