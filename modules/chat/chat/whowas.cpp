#include "chat/whowas.hpp"

#include "protocol/nick.hpp"

namespace chat {

void whowas::record(whowas_entry e) {
  const std::lock_guard lock(mutex_);
  entries_.push_front(std::move(e));
  while (entries_.size() > limit_) entries_.pop_back();
}

std::vector<whowas_entry> whowas::find(std::string_view nick, std::size_t max) const {
  std::vector<whowas_entry> out;
  const std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    if (!protocol::fold_equal{}(e.nick, nick)) continue;
    out.push_back(e);
    if (max != 0 && out.size() == max) break;
  }
  return out;
}

std::size_t whowas::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace chat
