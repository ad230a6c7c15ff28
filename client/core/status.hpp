// The status line above the input (as irssi and WeeChat have): where you
// talk, who you are, whether you are away, and where unread lines wait.
// Pure: the machines say what it holds, this composes its text (clipped
// and padded to the terminal's width), the terminal only draws it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace client {

// A room or private conversation with unread lines.
struct status_place {
  int number = 0;  // for Alt-N and !switch N
  std::string name;
  std::size_t unread = 0;
  bool mention = false;  // one of them names us (a private message always does)
  friend bool operator==(const status_place&, const status_place&) = default;
};

struct status {
  std::string place;  // the current room or query; empty: none
  std::string nick;   // ours
  bool away = false;
  std::vector<status_place> waiting;  // numbered 1-9, in number order
  std::size_t more = 0;               // places past 9 with unread lines: counted, not listed
  std::string server;                 // the server in use, when there are several to fail over to
  friend bool operator==(const status&, const status&) = default;
};

// The status as plain text: "#rust | alice | away | 2:#dev(3) 3:bob(1!) +2",
// with the server after the nick when there is one ("#rust | alice | b.test:6667 | ...").
// ("!": a line there names you). Names are shown as given: sanitize them.
std::string status_text(const status& s);

// The status line to draw: exactly `width` columns (display_width), in
// reverse video, the places that name you in bold (and yellow with
// colour); cut with a '>' at the end when it does not fit. SGR sequences
// only, nothing that moves the cursor; it ends with every attribute reset.
std::string render_status(const status& s, std::size_t width, bool colour);

}  // namespace client
