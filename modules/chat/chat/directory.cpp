#include "chat/directory.hpp"

#include "protocol/nick.hpp"

namespace chat {

bool directory::claim(std::string_view nick, const std::shared_ptr<member>& owner) {
  auto key = protocol::fold_nick(nick);
  const std::lock_guard lock(mutex_);
  return entries_.try_emplace(std::move(key), entry{owner, owner.get(), false}).second;
}

void directory::publish(std::string_view nick, const member* owner) {
  const auto key = protocol::fold_nick(nick);
  const std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end() && it->second.key == owner) {
    it->second.published = true;
  }
}

void directory::release(std::string_view nick, const member* owner) {
  const auto key = protocol::fold_nick(nick);
  const std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end() && it->second.key == owner) {
    entries_.erase(it);
  }
}

std::shared_ptr<member> directory::find(std::string_view nick) const {
  const auto key = protocol::fold_nick(nick);
  const std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end() && it->second.published) {
    return it->second.owner.lock();
  }
  return nullptr;
}

std::size_t directory::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace chat
