// What happens on this node, on its way to the others (node.cpp) and to the
// history (unchanged).
#include "cluster/relay.hpp"

#include "cluster/node.hpp"
#include "cluster/remote_user.hpp"

namespace cluster {

relay::relay(std::shared_ptr<chat::recorder> history) : history_(std::move(history)) {}

void relay::attach(const std::shared_ptr<node>& n) {
  node_ = n;
}

std::shared_ptr<node> relay::target() const {
  return node_.lock();
}

// In a cluster the store is shared (the cluster's Redis): what happens is
// kept once, by the node where it happened, not once per node that shows
// it. A line lost with a node that dies before its group commit is lost as
// on a single server.
void relay::said(const chat::event& ev) {
  if (ev.relayed) return;
  if (history_) history_->said(ev);
  if (auto n = target()) n->room_event(ev, ev.room);
}

void relay::told(const chat::event& ev, const std::string& target_account) {
  // From here to a remote_user, which sent it on (remote_user.cpp); or
  // from another node to a user here, kept by the sender's node.
  if (history_ && !ev.relayed) history_->told(ev, target_account);
}

void relay::happened(const chat::event& ev, const std::string& room) {
  // A channel event too: the copies the other nodes make of it have ids
  // of their own, which would play it back once per node. (A dead node's
  // users' quits, which only its survivors see, are not kept.)
  if (history_ && !ev.relayed) history_->happened(ev, room);
  if (ev.relayed) {
    // Another node's change, applied here: what late nodes read of the room.
    const bool changed =
        ev.kind == chat::event_kind::topic_changed || ev.kind == chat::event_kind::mode_changed;
    if (changed && ev.state) {
      if (auto n = target()) n->room_state_seen(ev.state, room);
    }
    return;
  }
  // Quits and nick changes travel as presence, once, not once per room.
  if (ev.kind == chat::event_kind::quit || ev.kind == chat::event_kind::nick_changed) return;
  if (auto n = target()) n->room_event(ev, room);
}

void relay::room_changed(const chat::saved_room& r, kept done) {
  if (history_) {
    history_->room_changed(r, std::move(done));
  } else if (done) {
    done(true, {});
  }
}

void relay::room_dropped(const std::string& name, kept done) {
  if (history_) {
    history_->room_dropped(name, std::move(done));
  } else if (done) {
    done(true, {});
  }
}

void relay::online(const std::shared_ptr<chat::member>& m, std::string_view nick) {
  if (dynamic_cast<const remote_user*>(m.get()) != nullptr) return;
  if (auto n = target()) n->user_online(m, std::string(nick));
}

void relay::renamed(const chat::member* m, std::string_view from, std::string_view to) {
  if (dynamic_cast<const remote_user*>(m) != nullptr) return;
  if (auto n = target()) n->user_renamed(m, std::string(from), std::string(to));
}

void relay::offline(const chat::member* m, std::string_view nick, std::string_view reason) {
  if (dynamic_cast<const remote_user*>(m) != nullptr) return;
  if (auto n = target()) n->user_offline(m, std::string(nick), std::string(reason));
}

}  // namespace cluster
