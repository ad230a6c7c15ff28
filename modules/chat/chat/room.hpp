// A chat room: an actor. Its member list is touched only on its own strand;
// every public function posts there and returns at once, so callers on any
// thread never wait for a room.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/strand.hpp>

#include "chat/event.hpp"
#include "chat/member.hpp"

namespace chat {

class room : public std::enable_shared_from_this<room> {
 public:
  // Guarded by its own strand, made on `ex`.
  room(const asio::any_io_executor& ex, std::string name);

  const std::string& name() const noexcept { return name_; }

  // Adds `m` under `nick` and tells everyone, the newcomer last, with a
  // `joined` event. Joining twice is ignored.
  void join(std::shared_ptr<member> m, std::string nick);

  // Removes `m` and tells the others with a `left` event carrying `reason`.
  // A member that is not here is ignored.
  void leave(const member* m, std::string reason = {});

  // Delivers `ev` to every member, in join order. Members filter their own
  // events (e.g. the seed protocol never echoes a sender's text).
  void publish(event_ptr ev);

  // Sends `requester` a who_reply with every member's nick in join order.
  void who(std::shared_ptr<member> requester, std::string requester_nick);

  // Calls `done` on the room's strand with the nicks in join order.
  void snapshot(std::function<void(std::vector<std::string>)> done);

 private:
  struct entry {
    std::shared_ptr<member> m;
    std::string nick;
  };

  void fan_out(const event_ptr& ev) const;

  asio::strand<asio::any_io_executor> strand_;
  const std::string name_;
  std::vector<entry> members_;  // join order; guarded by strand_
};

}  // namespace chat
