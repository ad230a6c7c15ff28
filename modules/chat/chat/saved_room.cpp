#include "chat/saved_room.hpp"

namespace chat {

bool saved_rooms::claim(const saved_room& r) {
  const std::lock_guard lock(mutex_);
  return rooms_.try_emplace(protocol::fold_nick(r.name), r).second;
}

bool saved_rooms::update(const saved_room& r) {
  const std::lock_guard lock(mutex_);
  auto it = rooms_.find(r.name);
  if (it == rooms_.end() || !protocol::fold_equal{}(it->second.founder, r.founder)) return false;
  it->second = r;
  return true;
}

void saved_rooms::erase(std::string_view name) {
  const std::lock_guard lock(mutex_);
  auto it = rooms_.find(name);
  if (it != rooms_.end()) rooms_.erase(it);
}

std::optional<saved_room> saved_rooms::find(std::string_view name) const {
  const std::lock_guard lock(mutex_);
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> saved_rooms::erase_founder(std::string_view account) {
  std::vector<std::string> gone;
  const std::lock_guard lock(mutex_);
  for (auto it = rooms_.begin(); it != rooms_.end();) {
    if (protocol::fold_equal{}(it->second.founder, account)) {
      gone.push_back(it->second.name);
      it = rooms_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

void saved_rooms::load(const std::vector<saved_room>& all) {
  const std::lock_guard lock(mutex_);
  rooms_.clear();
  for (const auto& r : all) rooms_.insert_or_assign(protocol::fold_nick(r.name), r);
}

std::size_t saved_rooms::size() const {
  const std::lock_guard lock(mutex_);
  return rooms_.size();
}

}  // namespace chat
