// The names of the services every door shares: no user may take them, nor
// register them as accounts.
#pragma once

#include <string_view>

#include "protocol/nick.hpp"

namespace door {

inline bool is_service_name(std::string_view nick) {
  return protocol::fold_equal{}(nick, "NickServ") || protocol::fold_equal{}(nick, "ChanServ");
}

}  // namespace door
