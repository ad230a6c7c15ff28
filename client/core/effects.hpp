// What a protocol machine asks its driver to do after an event. The machines
// (irc_machine, seed_machine) are sans-I/O: bytes and typed lines go in,
// effects come out, so the unit tests drive them without sockets.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace client {

struct effects {
  std::string send;                   // bytes for the server, in order
  std::vector<std::string> show;      // display lines, sanitized and styled, without timestamps
  std::optional<std::string> prompt;  // the input prompt changes to this
  bool registered = false;            // the server accepted us (a reconnect's backoff starts over)
  bool quit = false;                  // the user is leaving: flush `send`, then wait for the close
  bool relogin = false;               // the login was refused: connect again once a new name is typed
  bool mentioned = false;             // someone named us (the driver may ring the bell)

  void merge(effects&& other) {
    send += other.send;
    for (auto& line : other.show) show.push_back(std::move(line));
    if (other.prompt) prompt = std::move(other.prompt);
    registered = registered || other.registered;
    quit = quit || other.quit;
    relogin = relogin || other.relogin;
    mentioned = mentioned || other.mentioned;
  }
};

}  // namespace client
