// Everything the front doors share: the nick directory and the rooms.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <asio/any_io_executor.hpp>

#include "chat/directory.hpp"
#include "chat/room.hpp"

namespace chat {

// The room every seed-protocol user lives in (and IRC users may join).
inline constexpr std::string_view kLobby = "#lobby";

class hub {
 public:
  explicit hub(asio::any_io_executor ex);

  chat::directory& directory() noexcept { return directory_; }
  const std::shared_ptr<room>& lobby() const noexcept { return lobby_; }

  // The room called `name` (compared case-insensitively), made on first use.
  std::shared_ptr<room> room_named(std::string_view name);

 private:
  asio::any_io_executor ex_;
  chat::directory directory_;
  std::shared_ptr<room> lobby_;
  std::mutex rooms_mutex_;
  std::map<std::string, std::shared_ptr<room>, std::less<>> rooms_;  // guarded by rooms_mutex_
};

}  // namespace chat
