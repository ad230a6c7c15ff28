// The server-wide directory of nicks: unique, case-insensitive
// (CASEMAPPING=ascii), shared by every front door.
//
// Guarded by a mutex, not a strand: every private message from any strand
// looks a nick up, and each operation is a short map access with no I/O.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "chat/member.hpp"
#include "protocol/nick.hpp"

namespace chat {

// Told when a published nick comes, changes or goes (the cluster announces
// its users to the other nodes). Called outside the directory's lock, on
// the strand of whoever changed it; must not block.
class presence {
 public:
  presence() = default;
  presence(const presence&) = delete;
  presence& operator=(const presence&) = delete;
  virtual ~presence() = default;
  virtual void online(const std::shared_ptr<member>& m, std::string_view nick) = 0;
  virtual void renamed(const member* m, std::string_view from, std::string_view to) = 0;
  virtual void offline(const member* m, std::string_view nick, std::string_view reason) = 0;
};

class directory {
 public:
  // Who is told of published nicks; set once, before anyone connects.
  void set_presence(std::shared_ptr<presence> p) { presence_ = std::move(p); }

  // Reserves `nick` for `owner`. False if anyone holds it already, in any
  // letter case. A claimed nick is not found by find() until publish().
  bool claim(std::string_view nick, const std::shared_ptr<member>& owner, bool published = false);

  // Moves `owner` from `old_nick` to `new_nick` in one step, keeping its
  // published state. False if `owner` does not hold `old_nick` or another
  // holds `new_nick`; a change of letter case only succeeds for the owner.
  bool rename(std::string_view old_nick, std::string_view new_nick, const std::shared_ptr<member>& owner);

  // Makes a claimed nick reachable for private messages.
  void publish(std::string_view nick, const member* owner);

  // Frees `nick` if `owner` holds it; otherwise does nothing. `reason`:
  // why its holder went, when it quit (for presence).
  void release(std::string_view nick, const member* owner, std::string_view reason = {});

  // The published holder of `nick`, or null.
  std::shared_ptr<member> find(std::string_view nick) const;
  // Whoever holds `nick`, published or still registering, or null.
  std::shared_ptr<member> holder(std::string_view nick) const;

  std::size_t size() const;

  // Calls `f` with every published member (outside the lock).
  void for_each(const std::function<void(const std::shared_ptr<member>&)>& f) const;

 private:
  struct entry {
    std::weak_ptr<member> owner;
    const member* key;  // identity, valid even after the owner is gone
    bool published;
  };
  std::shared_ptr<presence> presence_;  // set before use, then read only
  mutable std::mutex mutex_;
  // Keys are folded nicks; lookups take a nick as typed.
  std::unordered_map<std::string, entry, protocol::fold_hash, protocol::fold_equal>
      entries_;  // guarded by mutex_
};

}  // namespace chat
