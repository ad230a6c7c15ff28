#include "client/screen.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

namespace client {

namespace {

void out(std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

// CUP: row and column from 1.
void move_to(unsigned row, unsigned column) {
  std::fprintf(stdout, "\x1b[%u;%uH", row, column);
}

}  // namespace

bool split_screen::measure() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return false;
  rows_ = ws.ws_row;
  columns_ = ws.ws_col;
  return true;
}

void split_screen::enter(bool fresh) {
  if (fresh) {
    out("\r\n\n");  // what was on the last two rows scrolls up, kept
  } else {
    out("\x1b[r\x1b[H\x1b[2J");
  }
  // DECSTBM: the rows above the status line scroll; it homes the cursor.
  std::fprintf(stdout, "\x1b[1;%ur", static_cast<unsigned>(rows_ - 2));
  move_to(rows_ - 1, 1);
  out("\x1b[J");
  move_to(rows_, 1);
  std::fflush(stdout);
}

void split_screen::leave() {
  out("\x1b[r");
  move_to(rows_ - 1, 1);
  out("\x1b[J");
  std::fflush(stdout);
}

void split_screen::scroll_in(std::string_view line) {
  move_to(rows_ - 2, 1);
  out("\n");  // at the region's bottom: the region scrolls, the cursor stays
  out(line);
  out("\x1b[0m");
  to_input_row();
}

void split_screen::draw_status(std::string_view rendered) {
  move_to(rows_ - 1, 1);
  out(rendered);
  to_input_row();
}

void split_screen::to_input_row() {
  move_to(rows_, 1);
  out("\x1b[2K");
  std::fflush(stdout);
}

}  // namespace client
