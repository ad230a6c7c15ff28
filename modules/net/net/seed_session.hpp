// A client of the seed-compatible listener (the original Python chatroom's
// protocol): the first frame is the username, then commands and text, all in
// the #lobby room.
//
// Guarded by its connection's strand; deliver() is the only entry point from
// other threads, and touches nothing but the thread-safe outbox.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "chat/hub.hpp"
#include "chat/member.hpp"
#include "net/connection.hpp"
#include "net/small_mutex.hpp"
#include "protocol/seed.hpp"

namespace net {

class seed_session final : public connection, public chat::member {
 public:
  seed_session(stream_socket socket, chat::hub& hub, const limits& lim, connection_registry* registry);

  void deliver(const chat::event_ptr& ev) override;
  chat::member_info info() const override;
  std::string nick() const override { return public_nick(); }
  std::string away() const override { return {}; }

 private:
  void on_start() override;
  void on_bytes(std::string_view bytes) override;
  void on_stop() override;
  void on_watchdog() override;
  void on_shutdown() override;
  void on_excess_flood() override;
  [[nodiscard]] std::size_t pending_input() const override { return decoder_.buffered(); }

  void handle(std::string_view data);
  void login(std::string_view data);
  void send_text(std::string_view text);
  // Sends `text` as the last frame, then closes.
  void refuse(std::string_view text);
  void leave_chat();
  void deliver_error(const chat::event& ev);
  // Sends `text`, leaves the chat and closes; safe to call from any strand.
  void kicked_out(std::string text);
  // This session's nick as other threads may read it.
  std::string public_nick() const;
  std::shared_ptr<seed_session> self();
  chat::actor as_actor();
  std::string source() const;  // nick!nick@address, as IRC users see it

  chat::hub& hub_;
  protocol::seed::frame_decoder decoder_;
  std::string nick_;  // empty until logged in
  std::string host_;  // the client's address, for nick!user@host

  mutable small_mutex info_mutex_;
  std::string public_nick_;  // nick_ for other threads; guarded by info_mutex_
};

}  // namespace net
