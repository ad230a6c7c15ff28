// What a room or a directory knows of a connected user: a sink for events,
// and a few details for WHO and WHOIS.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
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
  std::string prefixes;  // per room of `rooms`: '@' (operator), '+' (voiced) or ' '

  std::string via;         // how the member is connected, for WHOIS; empty: the usual way
  std::string account;     // empty: not logged in
  bool oper = false;       // an IRC operator
  bool bot = false;        // marked as a bot (+B)
  bool invisible = false;  // +i: hidden from those who share no room with it
  bool secure = false;     // connected over TLS
  std::string certfp;      // its TLS client certificate's fingerprint; empty: none (info(), not details())
  std::time_t signon = 0;  // when it registered
  std::time_t idle = 0;    // seconds since its last message
};

// How a delivery left the member's queue.
enum class delivery : std::uint8_t {
  queued,      // taken
  backlogged,  // taken, but the queue is past its high-water mark: whoever
               // caused the event should wait (member::wait_for) before more
  dropped,     // not taken: the member is closing, or was past its limit
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
  virtual delivery deliver(const event_ptr& ev) = 0;

  // True while the member's queue is past its high-water mark and it still
  // drains at a reader's pace: senders that fed it should wait. A member
  // that does not read is not worth waiting for (false): it is dropped at
  // its limit instead. Thread-safe.
  [[nodiscard]] virtual bool congested() const { return false; }

  // Backpressure: this member sent what left `recipients` backlogged; it
  // should take no more input from its client until none of them is
  // congested() any more (or they are gone). Thread-safe.
  virtual void wait_for(std::vector<std::weak_ptr<member>> recipients) { (void)recipients; }

  // A snapshot of the member's details. Thread-safe.
  virtual member_info info() const = 0;
  // The same without the list of rooms, for rosters. Thread-safe.
  virtual member_info details() const { return info(); }

  // The parts of info() that every private message needs, without copying
  // the rest. Thread-safe.
  virtual std::string nick() const { return info().nick; }
  virtual std::string away() const { return info().away; }
  virtual std::string account() const { return info().account; }
};

}  // namespace chat
