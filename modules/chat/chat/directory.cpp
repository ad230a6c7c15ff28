#include "chat/directory.hpp"

#include <vector>

#include "protocol/nick.hpp"

namespace chat {

bool directory::claim(std::string_view nick, const std::shared_ptr<member>& owner, bool published) {
  auto key = protocol::fold_nick(nick);
  const std::lock_guard lock(mutex_);
  return entries_.try_emplace(std::move(key), entry{owner, owner.get(), published}).second;
}

bool directory::rename(std::string_view old_nick, std::string_view new_nick,
                       const std::shared_ptr<member>& owner) {
  const auto old_key = protocol::fold_nick(old_nick);
  auto new_key = protocol::fold_nick(new_nick);
  bool published = false;
  {
    const std::lock_guard lock(mutex_);
    const auto old_it = entries_.find(old_key);
    const bool owned = old_it != entries_.end() && old_it->second.key == owner.get();
    published = owned && old_it->second.published;
    if (!owned) {
      return false;
    }
    if (old_key != new_key) {
      // try_emplace may rehash: old_it is not used past this point.
      if (!entries_.try_emplace(std::move(new_key), entry{owner, owner.get(), published}).second) {
        return false;
      }
      entries_.erase(old_key);
    }
  }
  if (published && presence_ && old_nick != new_nick) presence_->renamed(owner.get(), old_nick, new_nick);
  return true;
}

void directory::publish(std::string_view nick, const member* owner) {
  std::shared_ptr<member> now_online;
  {
    const std::lock_guard lock(mutex_);
    if (auto it = entries_.find(nick); it != entries_.end() && it->second.key == owner) {
      if (!it->second.published && presence_) now_online = it->second.owner.lock();
      it->second.published = true;
    }
  }
  if (now_online) presence_->online(now_online, nick);
}

void directory::release(std::string_view nick, const member* owner, std::string_view reason) {
  bool was_published = false;
  {
    const std::lock_guard lock(mutex_);
    if (auto it = entries_.find(nick); it != entries_.end() && it->second.key == owner) {
      was_published = it->second.published;
      entries_.erase(it);
    }
  }
  if (was_published && presence_) presence_->offline(owner, nick, reason);
}

std::shared_ptr<member> directory::find(std::string_view nick) const {
  const std::lock_guard lock(mutex_);
  if (auto it = entries_.find(nick); it != entries_.end() && it->second.published) {
    return it->second.owner.lock();
  }
  return nullptr;
}

std::shared_ptr<member> directory::holder(std::string_view nick) const {
  const std::lock_guard lock(mutex_);
  if (auto it = entries_.find(nick); it != entries_.end()) return it->second.owner.lock();
  return nullptr;
}

void directory::for_each(const std::function<void(const std::shared_ptr<member>&)>& f) const {
  std::vector<std::shared_ptr<member>> live;
  {
    const std::lock_guard lock(mutex_);
    live.reserve(entries_.size());
    for (const auto& [key, e] : entries_) {
      if (!e.published) continue;
      if (auto m = e.owner.lock()) live.push_back(std::move(m));
    }
  }
  for (const auto& m : live) f(m);
}

std::size_t directory::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace chat
