// History through the store: turns the messages rooms and doors relay
// (chat::recorder) into store lines, and says under which key a target's
// history is kept for a given reader. Registered rooms' state goes to the
// store's channels the same way, and comes back from it at start-up.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "chat/event.hpp"
#include "chat/hub.hpp"
#include "chat/recorder.hpp"
#include "store/store.hpp"

namespace door {

// Who someone is for history: their account, or their nick when they have
// none; folded.
std::string history_identity(std::string_view account, std::string_view nick);

// The store's key for `target` (a channel, or a nick) as `reader` (a
// history_identity) reads it; `target_account` is the account of the nick's
// owner when known.
std::string history_key(std::string_view target, std::string_view reader, std::string_view target_account);

// A store line's kind from a message kind, and back.
store::line_kind line_kind_of(chat::message_kind k) noexcept;
chat::message_kind message_kind_of(store::line_kind k) noexcept;

// A registered room as the store keeps it, and back.
store::channel channel_of(const chat::saved_room& r);
chat::saved_room saved_room_of(const store::channel& c);

// Start-up: the store's registered channels into the hub's map, waiting for
// them; how many, or why not.
tl::expected<std::size_t, std::string> restore_channels(store::store& s, chat::hub& hub);

// Thread-safe: the store queues; nothing here waits.
class archive final : public chat::recorder {
 public:
  explicit archive(std::shared_ptr<store::store> s) : store_(std::move(s)) {}

  void said(const chat::event& ev) override;
  void told(const chat::event& ev, const std::string& target_account) override;
  void happened(const chat::event& ev, const std::string& room) override;
  void room_changed(const chat::saved_room& r, kept done) override;
  void room_dropped(const std::string& name, kept done) override;

  const std::shared_ptr<store::store>& store() const noexcept { return store_; }

 private:
  std::shared_ptr<store::store> store_;
};

}  // namespace door
