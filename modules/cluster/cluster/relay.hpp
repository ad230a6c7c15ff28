// The chat's side of a cluster node: a recorder that passes every room
// event to the history as before and, when it happened here, to the node;
// and the directory's presence hook. Both are called on room and door
// strands and never wait: the node posts to its own.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "chat/directory.hpp"
#include "chat/recorder.hpp"

namespace cluster {

class node;

class relay final : public chat::recorder, public chat::presence {
 public:
  // Passes everything on to `history` (may be null: none kept).
  explicit relay(std::shared_ptr<chat::recorder> history);

  // The node to tell; set once, before the hub has users.
  void attach(const std::shared_ptr<node>& n);

  // chat::recorder
  void said(const chat::event& ev) override;
  void told(const chat::event& ev, const std::string& target_account) override;
  void happened(const chat::event& ev, const std::string& room) override;
  void room_changed(const chat::saved_room& r, kept done) override;
  void room_dropped(const std::string& name, kept done) override;

  // chat::presence
  void online(const std::shared_ptr<chat::member>& m, std::string_view nick) override;
  void renamed(const chat::member* m, std::string_view from, std::string_view to) override;
  void offline(const chat::member* m, std::string_view nick, std::string_view reason) override;

 private:
  std::shared_ptr<node> target() const;

  const std::shared_ptr<chat::recorder> history_;
  std::weak_ptr<node> node_;  // set once by attach(), before any other call
};

}  // namespace cluster
