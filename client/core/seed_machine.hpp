// The client's side of the original chatroom's protocol, sans I/O: login by
// the first frame (asked again when the server refuses the name), typed lines
// sent as frames, frames shown as lines. `!who`, `!msg` and `!logout` go to
// the server as typed, exactly as the original client sends them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/effects.hpp"
#include "core/text.hpp"
#include "protocol/seed.hpp"

namespace client {

// The largest frame accepted from a server: a !who reply lists every user in
// one frame, so this is far above what clients may send (kMaxSeedPayload).
inline constexpr std::size_t kMaxServerFrame = 1024 * 1024;

class seed_machine {
 public:
  seed_machine(std::string name, style look);

  // A new connection is up: the login frame.
  effects connected();
  // Bytes from the server. Invalid framing ends with an error line and
  // `failed()` set (the driver then drops the connection).
  effects on_bytes(std::string_view bytes);
  effects on_input(std::string_view line);
  effects on_end_of_input();

  [[nodiscard]] bool logged_in() const noexcept { return logged_in_; }
  [[nodiscard]] bool quitting() const noexcept { return quitting_; }
  [[nodiscard]] bool awaiting_nick() const noexcept { return awaiting_name_; }
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  [[nodiscard]] const std::string& nick() const noexcept { return name_; }
  [[nodiscard]] std::string prompt() const;

 private:
  effects on_frame(std::string_view payload);
  void show_payload(effects& out, std::string_view payload) const;

  std::string name_;
  style look_;
  protocol::seed::frame_decoder decoder_{kMaxServerFrame};
  bool logged_in_ = false;
  bool quitting_ = false;
  bool awaiting_name_ = false;
  bool failed_ = false;
  std::vector<std::string> queued_;  // typed before the login was accepted
};

}  // namespace client
