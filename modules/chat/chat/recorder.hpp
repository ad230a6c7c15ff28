// Where messages go to be remembered (history): the rooms and the doors
// hand it every message they relay, once it has passed the room's checks.
// The store behind it decides what to keep; the chat never waits for it.
#pragma once

#include <string>

#include "chat/event.hpp"

namespace chat {

class recorder {
 public:
  recorder() = default;
  recorder(const recorder&) = delete;
  recorder& operator=(const recorder&) = delete;
  virtual ~recorder() = default;

  // A `said` event, as the room relays it (its `room` filled in). Called on
  // the room's strand; must not block.
  virtual void said(const event& ev) = 0;
  // A `private_message` event from `ev.from` (account `ev.account`) to
  // `ev.target`, whose account is `target_account` (empty: none). Called on
  // the sender's strand; must not block.
  virtual void told(const event& ev, const std::string& target_account) = 0;
};

}  // namespace chat
