// What a room or a directory knows of a connected user: a sink for events.
#pragma once

#include "chat/event.hpp"

namespace chat {

class member {
 public:
  member() = default;
  member(const member&) = delete;
  member& operator=(const member&) = delete;
  virtual ~member() = default;

  // Queues `ev` for this member. Thread-safe and non-blocking: it is called
  // from room strands and from other members' strands. A member that cannot
  // keep up drops itself; it never slows the caller down.
  virtual void deliver(const event_ptr& ev) = 0;
};

}  // namespace chat
