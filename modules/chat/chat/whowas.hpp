// Who had a nick: the last kMaxWhowas departures (quit, or a nick changed
// away), newest first, for IRC's WHOWAS. Guarded by its mutex: doors record
// and look up from their own strands.
#pragma once

#include <cstddef>
#include <ctime>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

// Departures kept in all; the oldest is forgotten first.
inline constexpr std::size_t kMaxWhowas = 1000;

struct whowas_entry {
  std::string nick;
  std::string user;
  std::string host;
  std::string realname;
  std::time_t when = 0;
};

class whowas {
 public:
  explicit whowas(std::size_t limit = kMaxWhowas) : limit_(limit) {}

  void record(whowas_entry e);

  // The entries for `nick` (any letter case), newest first, at most `max`
  // (0: all).
  std::vector<whowas_entry> find(std::string_view nick, std::size_t max) const;

  std::size_t size() const;

 private:
  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::deque<whowas_entry> entries_;  // newest at the front; guarded by mutex_
};

}  // namespace chat
