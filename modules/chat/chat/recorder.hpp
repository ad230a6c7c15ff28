// Where messages go to be remembered (history): the rooms and the doors
// hand it every message they relay, once it has passed the room's checks.
// Registered rooms report their state to it too. The store behind it decides
// what to keep; the chat never waits for it.
#pragma once

#include <functional>
#include <string>

#include "chat/event.hpp"
#include "chat/saved_room.hpp"

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
  // A channel event in `room` (joined, left, quit, nick_changed,
  // topic_changed or kicked), for IRCv3 event-playback. Called on the
  // room's strand after the room announced it; shared events (quit, nick)
  // come once per room. Must not block.
  virtual void happened(const event& ev, const std::string& room) {
    (void)ev;
    (void)room;
  }

  // Whether a change was kept (`why` empty then), told on another thread.
  using kept = std::function<void(bool ok, std::string why)>;
  // A registered room's state to keep: it was just registered, or its
  // topic or kept modes changed. Called on the room's strand, so one room's
  // changes come in order; must not block. `done` may be empty.
  virtual void room_changed(const saved_room& r, kept done) = 0;
  // The room `name` is registered no more. As room_changed.
  virtual void room_dropped(const std::string& name, kept done) = 0;
};

}  // namespace chat
