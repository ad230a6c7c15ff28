// What a protocol machine asks its driver to do after an event. The machines
// (irc_machine, seed_machine) are sans-I/O: bytes and typed lines go in,
// effects come out, so the unit tests drive them without sockets.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.hpp"

namespace client {

struct effects {
  std::string send;               // bytes for the server, in order
  std::vector<std::string> show;  // display lines, sanitized and styled, without timestamps
  // When the line show[i] was said, if not now (history lines carry their
  // server time): at[i], or 0. Shorter than `show` when the rest are now.
  std::vector<std::time_t> at;
  std::optional<std::string> prompt;     // the input prompt changes to this
  std::optional<client::status> status;  // the status line changes to this
  bool registered = false;               // the server accepted us (a reconnect's backoff starts over)
  bool quit = false;                     // the user is leaving: flush `send`, then wait for the close
  bool relogin = false;                  // the login was refused: connect again once a new name is typed
  bool mentioned = false;                // someone named us (the driver may ring the bell)

  // A line said at `when` (0: now).
  void show_at(std::string line, std::time_t when) {
    at.resize(show.size(), 0);
    show.push_back(std::move(line));
    at.push_back(when);
  }
  [[nodiscard]] std::time_t time_of(std::size_t i) const noexcept { return i < at.size() ? at[i] : 0; }

  void merge(effects&& other) {
    send += other.send;
    if (!other.at.empty()) {
      at.resize(show.size(), 0);
      at.insert(at.end(), other.at.begin(), other.at.end());
    }
    for (auto& line : other.show) show.push_back(std::move(line));
    if (other.prompt) prompt = std::move(other.prompt);
    if (other.status) status = std::move(other.status);
    registered = registered || other.registered;
    quit = quit || other.quit;
    relogin = relogin || other.relogin;
    mentioned = mentioned || other.mentioned;
  }
};

}  // namespace client
