// A user of another node as this node's rooms and directory see it: a
// member whose details come from its node's announcements. Rooms deliver
// to it like to anyone, and it ignores what they deliver: its own node's
// copy of each room shows its user the same events. Only what is meant for
// the user alone (a private message) goes on, to its node, through `send`.
#pragma once

#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "chat/member.hpp"
#include "protocol/cluster_message.hpp"
#include "protocol/nick.hpp"

namespace cluster {

class remote_user final : public chat::member {
 public:
  // Passes a private message for this user to the cluster.
  using forward = std::function<void(const chat::event& ev)>;

  remote_user(protocol::cluster::user_on details, forward send);

  chat::delivery deliver(const chat::event_ptr& ev) override;
  chat::member_info info() const override;
  chat::member_info details() const override;
  std::string nick() const override;
  std::string away() const override;
  std::string account() const override;

  // The node it is on.
  std::string node() const;
  // nick!user@host.
  std::string source() const;
  // New details from its node (its nick changes by rename()).
  void update(protocol::cluster::user_on details);
  void rename(std::string nick);

  // The rooms its node said it is in, as named then (for WHOIS, and for
  // its QUIT when it goes).
  void add_room(const std::string& room);
  void remove_room(const std::string& room);
  std::vector<std::string> rooms() const;

 private:
  mutable std::mutex mutex_;
  protocol::cluster::user_on details_;                // guarded by mutex_
  std::set<std::string, protocol::fold_less> rooms_;  // guarded by mutex_
  const forward send_;
};

}  // namespace cluster
