// The seed-compatible front door (the original Python chatroom's protocol):
// the first frame is the username, then commands and text, all in #lobby.
//
// Runs on its connection's strand; deliver() and info() are the entries from
// other threads: they touch only the link's thread-safe send and the fields
// under info_mutex_.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "chat/hub.hpp"
#include "chat/small_mutex.hpp"
#include "door/link.hpp"
#include "protocol/seed.hpp"
#include "store/store.hpp"

namespace door {

// How long a new seed client may take to send its username.
inline constexpr std::chrono::milliseconds kDefaultLoginTimeout{10'000};

// Flood tokens a failed login costs beyond its frame: guessing passwords is
// slowed to the flood rate over this many.
inline constexpr std::size_t kSeedLoginFailureTokens = 10;

struct seed_settings {
  std::chrono::milliseconds login_timeout = kDefaultLoginTimeout;
  // Accounts (null: none): a registered name is refused unless the username
  // frame is "<name> <password>", which logs in. Password checks run on
  // slow_work (empty: on the strand).
  std::shared_ptr<store::store> store;
  std::function<void(std::function<void()>)> slow_work;
  // Lines of the lobby's history a user is shown after "You have joined"
  // (--seed-replay; at most chat::kMaxReplayLines). 0, the default, keeps
  // the original's bytes exact.
  std::size_t replay = 0;
};

class seed_door final : public door {
 public:
  seed_door(link& l, chat::hub& hub, const seed_settings& settings);

  void on_start() override;
  void on_bytes(std::string_view bytes) override;
  void on_deadline() override;
  void on_shutdown() override;
  void on_excess_flood() override;
  void on_stop() override;
  [[nodiscard]] std::size_t pending_input() const override { return decoder_.buffered(); }
  [[nodiscard]] metrics::door_kind kind() const noexcept override { return metrics::door_kind::seed; }

  chat::delivery deliver(const chat::event_ptr& ev) override;
  chat::member_info info() const override;
  std::string nick() const override { return public_nick(); }
  std::string away() const override { return {}; }
  std::string account() const override;

 private:
  void handle(std::string_view data);
  void login(std::string_view data);
  // The name is free of any account's claim (or its password was right):
  // take it and join.
  void enter(std::string name, std::string account);
  // Enters under `name` once the network (if any) granted it.
  void take_name(std::string name, std::string account);
  // Joins the lobby, after reading its last lines (settings_.replay).
  void join_lobby();
  // The store answered: input goes on.
  void resume();
  void send_text(std::string_view text);
  // Sends `text` as the last frame, then closes, counting the disconnect
  // as `why`.
  void refuse(std::string_view text, metrics::disconnect why);
  void leave_chat();
  void deliver_error(const chat::event& ev);
  // Sends `text`, leaves the chat and closes (as refuse()); safe to call
  // from any strand.
  void kicked_out(std::string text, metrics::disconnect why = metrics::disconnect::refused);
  // This door's nick as other threads may read it.
  std::string public_nick() const;
  chat::actor as_actor();
  std::string source() const;  // nick!nick@address, as IRC users see it

  chat::hub& hub_;
  const seed_settings& settings_;
  protocol::seed::frame_decoder decoder_;
  std::string nick_;             // empty until logged in
  bool waiting_ = false;         // the store or a password check is answering: input waits
  bool replaying_ = false;       // the lobby's history is being read: input waits until joined
  bool claiming_ = false;        // the network is asked for the name: input waits for its answer
  std::vector<payload> replay_;  // frames for after "You have joined"; handed to the lobby's strand by join()

  mutable chat::small_mutex info_mutex_;
  std::string public_nick_;  // nick_ for other threads; guarded by info_mutex_
  std::string account_;      // logged in as; guarded by info_mutex_
};

}  // namespace door
