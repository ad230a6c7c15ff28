#include "chat/monitor.hpp"

#include <algorithm>

namespace chat {

void monitor::watch(std::string_view nick, const std::shared_ptr<member>& who) {
  const std::lock_guard lock(mutex_);
  auto& list = watchers_[protocol::fold_nick(nick)];
  std::erase_if(list, [](const std::weak_ptr<member>& w) { return w.expired(); });
  if (std::none_of(list.begin(), list.end(),
                   [&](const std::weak_ptr<member>& w) { return w.lock() == who; })) {
    list.push_back(who);
  }
}

void monitor::unwatch(std::string_view nick, const member* who) {
  const std::lock_guard lock(mutex_);
  auto it = watchers_.find(nick);
  if (it == watchers_.end()) return;
  std::erase_if(it->second, [&](const std::weak_ptr<member>& w) {
    auto m = w.lock();
    return !m || m.get() == who;
  });
  if (it->second.empty()) watchers_.erase(it);
}

void monitor::notify(const event_ptr& ev) {
  notify(ev->from, ev);
}

void monitor::notify(std::string_view nick, const event_ptr& original) {
  // Watchers get a copy that says so (it shares the original's reach_set:
  // who also shares a room with the user still sees it once).
  event_ptr ev = original;
  if (original->kind == event_kind::attribute_changed) {
    auto copy = std::make_shared<event>(*original);
    copy->via_monitor = true;
    ev = std::move(copy);
  }
  std::vector<std::shared_ptr<member>> to;
  {
    const std::lock_guard lock(mutex_);
    auto it = watchers_.find(nick);
    if (it == watchers_.end()) return;
    for (const auto& w : it->second) {
      if (auto m = w.lock()) to.push_back(std::move(m));
    }
  }
  for (const auto& m : to) m->deliver(ev);
}

}  // namespace chat
