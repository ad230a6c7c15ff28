// History through the store: turns the messages rooms and doors relay
// (chat::recorder) into store lines, and says under which key a target's
// history is kept for a given reader.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "chat/event.hpp"
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

// Thread-safe: the store queues; nothing here waits.
class archive final : public chat::recorder {
 public:
  explicit archive(std::shared_ptr<store::store> s) : store_(std::move(s)) {}

  void said(const chat::event& ev) override;
  void told(const chat::event& ev, const std::string& target_account) override;

  const std::shared_ptr<store::store>& store() const noexcept { return store_; }

 private:
  std::shared_ptr<store::store> store_;
};

}  // namespace door
