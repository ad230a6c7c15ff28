// What a room or a directory knows of a connected user: a sink for events,
// and a few details for WHO and WHOIS.
#pragma once

#include <string>
#include <vector>

#include "chat/event.hpp"

namespace chat {

struct member_info {
  std::string nick;
  std::string user;
  std::string host;
  std::string realname;
  std::string away;  // away message; empty if present
  std::vector<std::string> rooms;
  std::string via;  // how the member is connected, for WHOIS; empty: the usual way
};

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

  // A snapshot of the member's details. Thread-safe.
  virtual member_info info() const = 0;

  // The parts of info() that every private message needs, without copying
  // the rest. Thread-safe.
  virtual std::string nick() const { return info().nick; }
  virtual std::string away() const { return info().away; }
};

}  // namespace chat
