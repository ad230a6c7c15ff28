#include "chat/hub.hpp"

#include "protocol/nick.hpp"

namespace chat {

hub::hub(asio::io_context::executor_type ex, std::shared_ptr<recorder> history)
    : ex_(std::move(ex)), history_(std::move(history)) {
  lobby_ = std::make_shared<room>(ex_, std::string(kLobby), /*persistent=*/true, nullptr, history_, &saved_);
  rooms_.emplace(protocol::fold_nick(kLobby), lobby_);
}

std::shared_ptr<room> hub::room_named(std::string_view name) {
  auto key = protocol::fold_nick(name);
  const std::lock_guard lock(rooms_mutex_);
  auto [it, inserted] = rooms_.try_emplace(std::move(key));
  if (inserted) {
    // A registered room is called as it was registered, whoever types it.
    auto kept = saved_.find(name);
    it->second = std::make_shared<room>(
        ex_, kept ? kept->name : std::string(name), /*persistent=*/false,
        [this](const room* r) { forget(r); }, history_, &saved_, std::move(kept));
  }
  return it->second;
}

void hub::restore(const std::vector<saved_room>& all) {
  saved_.load(all);
  for (const auto& s : all) {
    if (auto r = find_room(s.name)) r->restore(s);  // the lobby
  }
}

std::vector<std::string> hub::forget_founder(std::string_view founder) {
  auto names = saved_.erase_founder(founder);
  for (const auto& n : names) {
    if (auto r = find_room(n)) r->forget_registration();
  }
  return names;
}

std::shared_ptr<room> hub::find_room(std::string_view name) const {
  const std::lock_guard lock(rooms_mutex_);
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second;
}

bool hub::rekey(std::string_view from, std::string_view to, const room* r) {
  const std::lock_guard lock(rooms_mutex_);
  auto it = rooms_.find(from);
  if (it == rooms_.end() || it->second.get() != r) return false;
  if (protocol::fold_equal{}(from, to)) return true;
  if (rooms_.find(to) != rooms_.end()) return false;
  auto moved = std::move(it->second);
  rooms_.erase(it);
  rooms_.emplace(protocol::fold_nick(to), std::move(moved));
  return true;
}

std::vector<room_summary> hub::rooms() const {
  std::vector<std::shared_ptr<room>> all;
  {
    const std::lock_guard lock(rooms_mutex_);
    all.reserve(rooms_.size());
    for (const auto& [key, r] : rooms_) all.push_back(r);
  }
  std::vector<room_summary> out;
  out.reserve(all.size());
  for (const auto& r : all) out.push_back(r->summary());
  return out;
}

std::vector<room_summary> hub::rooms_after(std::string_view after, std::size_t n) const {
  std::vector<std::shared_ptr<room>> page;
  {
    const std::lock_guard lock(rooms_mutex_);
    auto it = after.empty() ? rooms_.begin() : rooms_.upper_bound(after);
    for (; it != rooms_.end() && page.size() < n; ++it) page.push_back(it->second);
  }
  std::vector<room_summary> out;
  out.reserve(page.size());
  for (const auto& r : page) out.push_back(r->summary());
  return out;
}

void hub::count_user() noexcept {
  const std::size_t now = directory_.size();
  std::size_t max = max_users_.load(std::memory_order_relaxed);
  while (now > max && !max_users_.compare_exchange_weak(max, now, std::memory_order_relaxed)) {
  }
}

std::size_t hub::room_count() const {
  const std::lock_guard lock(rooms_mutex_);
  return rooms_.size();
}

void hub::forget(const room* r) {
  const std::lock_guard lock(rooms_mutex_);
  auto it = rooms_.find(r->name());
  if (it != rooms_.end() && it->second.get() == r) {
    rooms_.erase(it);
  }
}

}  // namespace chat
