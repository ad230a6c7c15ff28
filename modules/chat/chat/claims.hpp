// Nicks held network-wide when this server is one node of several (a
// cluster): before a door grants a nick, it asks; the answer comes later.
// A lone server has none, and doors grant from the directory alone.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "chat/member.hpp"

namespace chat {

class nick_claims {
 public:
  nick_claims() = default;
  nick_claims(const nick_claims&) = delete;
  nick_claims& operator=(const nick_claims&) = delete;
  virtual ~nick_claims() = default;

  // Asks for `nick` for `owner`, a member of this node. `done(true)` once
  // this node holds it across the network (or cannot ask: Redis is down,
  // and conflicts are settled when it is back); `done(false)` if another
  // node's user holds it. `done` runs on another strand: post to your own.
  // The claim is let go by itself once no member of this node holds the
  // nick in the directory.
  virtual void claim(std::string nick, std::weak_ptr<member> owner, std::function<void(bool)> done) = 0;
};

}  // namespace chat
