// Registered rooms (ChanServ): what a room keeps across its incarnations and
// across restarts, and the map of it that the hub holds. The room owns its
// registration while it exists (on its strand) and keeps the map up to date;
// a room made later under the same name starts from the map.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/nick.hpp"

namespace chat {

// A registered room's state: its founder and what it restores.
struct saved_room {
  std::string name;     // as registered
  std::string founder;  // the founder's account
  std::int64_t registered_ms = 0;
  std::string topic;
  std::string topic_by;  // nick!user@host of the setter
  std::int64_t topic_at_ms = 0;
  std::string modes = "+nt";  // the flags kept: i, m, n, s, t (no key, no limit), then " +H <n>:<age>" if set
  friend bool operator==(const saved_room&, const saved_room&) = default;
};

// The flags kept of a room's modes, in this order.
inline constexpr std::string_view kSavedModes = "imnst";

// Folded room name -> saved_room. Thread-safe: one mutex, held for a lookup
// or an update only (changes are rare: a registration, a topic, a mode).
class saved_rooms {
 public:
  // Adds `r` unless its name is registered already; false then.
  bool claim(const saved_room& r);
  // Replaces the entry of `r.name` if there is one for the same founder;
  // false if there is none (dropped meanwhile: nothing is revived).
  bool update(const saved_room& r);
  // Removes `name`'s entry, if any.
  void erase(std::string_view name);
  [[nodiscard]] std::optional<saved_room> find(std::string_view name) const;
  // Removes every entry whose founder is `account`; their names.
  std::vector<std::string> erase_founder(std::string_view account);
  // Replaces everything (start-up).
  void load(const std::vector<saved_room>& all);
  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, saved_room, protocol::fold_less> rooms_;  // guarded by mutex_
};

}  // namespace chat
