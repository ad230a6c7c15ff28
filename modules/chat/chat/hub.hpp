// Everything the front doors share: the nick directory and the rooms.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>

#include "chat/claims.hpp"
#include "chat/directory.hpp"
#include "chat/logins.hpp"
#include "chat/monitor.hpp"
#include "chat/room.hpp"
#include "chat/saved_room.hpp"
#include "chat/whowas.hpp"
#include "protocol/nick.hpp"

namespace chat {

// The room every seed-protocol user lives in (and IRC users may join). It
// exists from start-up and never closes.
inline constexpr std::string_view kLobby = "#lobby";

// Guarded by a mutex for the room map; rooms themselves are actors.
class hub {
 public:
  // Every room's messages go to `history` too (may be null: none kept).
  explicit hub(asio::io_context::executor_type ex, std::shared_ptr<recorder> history = {});

  // Where messages are remembered; null when nothing is. Thread-safe.
  const std::shared_ptr<recorder>& history() const noexcept { return history_; }

  chat::directory& directory() noexcept { return directory_; }
  // Network-wide nick claims (cluster mode), or null: grant from the
  // directory alone. Set once at start-up, before anyone connects.
  nick_claims* claims() const noexcept { return claims_.get(); }
  void set_claims(std::shared_ptr<nick_claims> c) { claims_ = std::move(c); }
  chat::whowas& whowas() noexcept { return whowas_; }
  chat::monitor& monitor() noexcept { return monitor_; }
  chat::logins& logins() noexcept { return logins_; }

  // IRC operators online, invisible (+i) users, and the most users ever
  // registered at once (for LUSERS, which must not walk every user). Doors
  // count operators and invisible users in and out.
  std::atomic<std::size_t>& opers() noexcept { return opers_; }
  std::atomic<std::size_t>& invisible() noexcept { return invisible_; }
  std::size_t max_users() const noexcept { return max_users_.load(std::memory_order_relaxed); }
  // Call when a user registers: keeps max_users() up to date.
  void count_user() noexcept;
  const std::shared_ptr<room>& lobby() const noexcept { return lobby_; }

  // The room called `name` (compared case-insensitively), made on first use.
  // A room closes when its last member leaves; a later call makes a new one.
  // A registered room is made with its saved state.
  std::shared_ptr<room> room_named(std::string_view name);

  // Registered rooms (ChanServ): folded name -> the state each restores.
  // Rooms keep it up to date. Thread-safe.
  saved_rooms& saved() noexcept { return saved_; }
  const saved_rooms& saved() const noexcept { return saved_; }
  // At start-up, before anyone joins: the registered rooms from the store.
  void restore(const std::vector<saved_room>& all);
  // The account `founder` went, and its rooms' registrations with it (the
  // store dropped them): out of the map, and the live rooms forget theirs.
  // Their names.
  std::vector<std::string> forget_founder(std::string_view founder);

  // The room called `name`, or null if there is none.
  std::shared_ptr<room> find_room(std::string_view name) const;

  // Moves room `r` from the name `from` to `to` (RENAME); false if another
  // room has `to` (a change of letter case alone is fine).
  bool rekey(std::string_view from, std::string_view to, const room* r);

  std::vector<room_summary> rooms() const;

  // Up to `n` rooms whose folded names come after `after` (all from the
  // first for ""), in that order: a long LIST is read a page at a time.
  std::vector<room_summary> rooms_after(std::string_view after, std::size_t n) const;

  // Set once the server shuts down: departures are then not announced, so
  // that every client's last message is the goodbye, not others leaving.
  void begin_shutdown() noexcept { shutting_down_ = true; }
  bool shutting_down() const noexcept { return shutting_down_; }
  std::size_t room_count() const;

 private:
  void forget(const room* r);

  asio::io_context::executor_type ex_;
  std::shared_ptr<recorder> history_;
  chat::directory directory_;
  std::shared_ptr<nick_claims> claims_;
  chat::whowas whowas_;
  chat::monitor monitor_;
  chat::logins logins_;
  std::atomic<std::size_t> opers_{0};
  std::atomic<std::size_t> invisible_{0};
  std::atomic<std::size_t> max_users_{0};
  saved_rooms saved_;  // before the rooms, which point to it
  mutable std::mutex rooms_mutex_;
  // Keys are folded names; lookups take a name as typed.
  std::map<std::string, std::shared_ptr<room>, protocol::fold_less> rooms_;  // guarded by rooms_mutex_
  std::shared_ptr<room> lobby_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace chat
