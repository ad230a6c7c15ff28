// What every IRC door of a server shares: fixed settings, and the part a
// reload (SIGHUP, or an operator's REHASH) may replace while clients stay.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/limits.hpp"

namespace store {
class store;
}

namespace door {

// How long someone may use a registered nick without being logged in to its
// account before it is changed to a guest nick (NickServ says so at once).
inline constexpr std::chrono::milliseconds kDefaultNickGrace{30'000};
// The shortest password an account may have (REGISTER, NickServ).
inline constexpr std::size_t kMinAccountPassword = 8;
// Failed logins cost their sender this many flood tokens beyond the line:
// guessing passwords is slowed to the flood rate over this many.
inline constexpr std::size_t kLoginFailureTokens = 10;

// How often an idle IRC client is pinged, and how long it has to answer.
inline constexpr std::chrono::milliseconds kDefaultPingInterval{120'000};
inline constexpr std::chrono::milliseconds kDefaultPingTimeout{60'000};
// Time from connecting to finishing registration (NICK, USER, CAP END).
inline constexpr std::chrono::milliseconds kDefaultRegistrationTimeout{30'000};

// An IRC operator's name and password (OPER), from the configuration.
struct oper_credential {
  std::string name;
  std::string password;
  friend bool operator==(const oper_credential&, const oper_credential&) = default;
};

// What a reload may change while doors run.
struct irc_reloadable {
  std::vector<std::string> motd;  // empty: 422 ERR_NOMOTD
  std::string password;           // empty: no PASS needed
  std::vector<oper_credential> opers;
};

// The one place the reloadable settings live. Guarded by its mutex: read by
// doors on any strand, replaced by reloads.
class live_settings {
 public:
  live_settings() = default;
  explicit live_settings(irc_reloadable initial)
      : current_(std::make_shared<const irc_reloadable>(std::move(initial))) {}

  std::shared_ptr<const irc_reloadable> get() const {
    const std::lock_guard lock(mutex_);
    return current_;
  }
  void set(irc_reloadable next) {
    auto fresh = std::make_shared<const irc_reloadable>(std::move(next));
    const std::lock_guard lock(mutex_);
    current_ = std::move(fresh);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const irc_reloadable> current_ = std::make_shared<const irc_reloadable>();
};

// Fixed while doors run; what may change lives in `live`.
struct irc_settings {
  std::string server_name = "chat.server";
  std::string network = "ChatNet";
  std::string version = "chat-0.1.0";
  std::shared_ptr<live_settings> live = std::make_shared<live_settings>();
  // Operator commands that reach beyond the doors, provided by the program:
  // REHASH returns an empty string or what went wrong; DIE stops the server
  // gracefully. Either may be empty (the command is refused).
  std::function<std::string()> rehash;
  std::function<void()> die;
  // Runs work too slow for an event loop (an operator password hash) on a
  // thread of its own; empty: the door does it in place.
  std::function<void(std::function<void()>)> slow_work;
  // Connections in all, for LUSERS; empty: the number of nicks.
  std::function<std::size_t()> connections;
  // Accounts, history and registered channels; null: none (memory only,
  // --no-store, or the database could not be opened).
  std::shared_ptr<store::store> store;
  std::chrono::milliseconds nick_grace = kDefaultNickGrace;
  std::chrono::milliseconds ping_interval = kDefaultPingInterval;
  std::chrono::milliseconds ping_timeout = kDefaultPingTimeout;
  std::chrono::milliseconds registration_timeout = kDefaultRegistrationTimeout;
  std::size_t max_rooms_per_user = protocol::kMaxRoomsPerUser;
  std::string created;  // human-readable start time for 003
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();  // STATS u
  // ADMIN (256-259): where the server is, who runs it, how to reach them.
  std::string admin_location = "This chat server";
  std::string admin_institution;
  std::string admin_email;
};

}  // namespace door
