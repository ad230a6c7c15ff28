// A remote user: details from its node, private messages sent on to it.
#include "cluster/remote_user.hpp"

#include <utility>

namespace cluster {

remote_user::remote_user(protocol::cluster::user_on details, forward send)
    : details_(std::move(details)), send_(std::move(send)) {}

chat::delivery remote_user::deliver(const chat::event_ptr& ev) {
  // A private message from a user of this node; one relayed from elsewhere
  // is already on its way (never sent on again).
  if (ev->kind == chat::event_kind::private_message && !ev->relayed && send_) send_(*ev);
  return chat::delivery::queued;
}

chat::member_info remote_user::info() const {
  chat::member_info i = details();
  const std::lock_guard lock(mutex_);
  for (const auto& r : rooms_) {
    i.rooms.push_back(r);
    i.prefixes += ' ';  // its node knows its prefixes; this one shows none
  }
  return i;
}

chat::member_info remote_user::details() const {
  const std::lock_guard lock(mutex_);
  chat::member_info i;
  i.nick = details_.nick;
  i.user = details_.user;
  i.host = details_.host;
  i.realname = details_.realname;
  i.away = details_.away;
  i.account = details_.account;
  i.bot = details_.bot;
  i.oper = details_.oper;
  i.secure = details_.secure;
  i.signon = static_cast<std::time_t>(details_.signon);
  i.via = "on " + details_.node;
  return i;
}

std::string remote_user::nick() const {
  const std::lock_guard lock(mutex_);
  return details_.nick;
}

std::string remote_user::away() const {
  const std::lock_guard lock(mutex_);
  return details_.away;
}

std::string remote_user::account() const {
  const std::lock_guard lock(mutex_);
  return details_.account;
}

std::string remote_user::node() const {
  const std::lock_guard lock(mutex_);
  return details_.node;
}

std::string remote_user::source() const {
  const std::lock_guard lock(mutex_);
  return details_.nick + "!" + details_.user + "@" + details_.host;
}

void remote_user::update(protocol::cluster::user_on details) {
  const std::lock_guard lock(mutex_);
  details_ = std::move(details);
}

void remote_user::rename(std::string nick) {
  const std::lock_guard lock(mutex_);
  details_.nick = std::move(nick);
}

}  // namespace cluster

namespace cluster {

void remote_user::add_room(const std::string& room) {
  const std::lock_guard lock(mutex_);
  rooms_.insert(room);
}

void remote_user::remove_room(const std::string& room) {
  const std::lock_guard lock(mutex_);
  rooms_.erase(room);
}

std::vector<std::string> remote_user::rooms() const {
  const std::lock_guard lock(mutex_);
  return {rooms_.begin(), rooms_.end()};
}

}  // namespace cluster
