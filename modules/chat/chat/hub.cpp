#include "chat/hub.hpp"

#include "protocol/nick.hpp"

namespace chat {

hub::hub(asio::any_io_executor ex) : ex_(std::move(ex)) {
  lobby_ = room_named(kLobby);
}

std::shared_ptr<room> hub::room_named(std::string_view name) {
  auto key = protocol::fold_nick(name);
  const std::lock_guard lock(rooms_mutex_);
  auto [it, inserted] = rooms_.try_emplace(std::move(key));
  if (inserted) {
    it->second = std::make_shared<room>(ex_, std::string(name));
  }
  return it->second;
}

}  // namespace chat
