// The rows of a split terminal, drawn with VT100 sequences on stdout, as
// irssi and WeeChat lay them out:
//   rows 1 .. rows-2  the scroll region, where the conversation scrolls
//   row rows-1        the status line
//   row rows          the input line (readline's)
// The cursor lives on the input row: whatever is drawn elsewhere ends with
// the cursor at the start of the input row, cleared, for readline to draw
// its line again (DECRC would do, but terminals and emulators differ on
// whether a cursor restored below the scroll region stays there).
#pragma once

#include <string_view>

namespace client {

class split_screen {
 public:
  // Below this a split leaves no room to talk: the terminal is used as a
  // plain one (the prompt above nothing, no status line).
  static constexpr unsigned short kMinRows = 4;
  static constexpr unsigned short kMinColumns = 8;

  // Reads the terminal's size (TIOCGWINSZ); false if it cannot be read.
  bool measure();
  [[nodiscard]] unsigned short rows() const noexcept { return rows_; }
  [[nodiscard]] unsigned short columns() const noexcept { return columns_; }
  [[nodiscard]] bool fits() const noexcept { return rows_ >= kMinRows && columns_ >= kMinColumns; }

  // Starts the split. `fresh`: on a terminal whose contents we keep (at
  // start), two new lines first make room for the status and input rows;
  // else the screen is cleared (a resize: the caller draws it all again).
  // The cursor ends at the start of the input row, which is empty.
  void enter(bool fresh);
  // Ends it: the whole screen scrolls again, the status and input rows are
  // cleared and the cursor is at the start of the first of them.
  void leave();
  // One display line at the bottom of the scroll region, which scrolls up
  // (a long line wraps within it).
  void scroll_in(std::string_view line);
  // The status row: `rendered` takes exactly the width (render_status).
  void draw_status(std::string_view rendered);
  // The cursor at the start of the input row, which is cleared.
  void to_input_row();

 private:
  unsigned short rows_ = 0;
  unsigned short columns_ = 0;
};

}  // namespace client
