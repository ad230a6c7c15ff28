// The terminal through GNU readline's callback interface, on a split
// screen (client/screen.hpp): the conversation scrolls above, the status
// line sits above the input, and the input is one row that scrolls
// sideways, so nothing ever wraps into the status line. A terminal too
// small to split (under split_screen::kMinRows rows) is used as a plain
// one: a line is printed above the input line, which is redrawn.
#include <readline/history.h>
#include <readline/readline.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include <asio/detached.hpp>

#include "client/screen.hpp"
#include "client/terminal.hpp"
#include "core/text.hpp"

namespace client {

namespace {

// Lines kept to draw the conversation again after a resize: more than any
// terminal has rows.
constexpr std::size_t kKeptLines = 500;

class tty_terminal;
tty_terminal* active = nullptr;  // readline's callbacks are plain functions

class tty_terminal final : public terminal {
 public:
  tty_terminal(const asio::any_io_executor& ex, bool colour)
      : queue_(ex), input_(ex, ::dup(STDIN_FILENO)), colour_(colour) {
    std::setlocale(LC_ALL, "");  // multibyte editing for UTF-8 terminals
    active = this;
    rl_catch_signals = 0;  // asio's signal_set owns SIGINT and SIGTERM
    rl_catch_sigwinch = 0;
    rl_readline_name = "chat-client";
    using_history();
    // Enter submits the line and clears it in place: the display shows the
    // message as sent, formatted like everyone else's.
    rl_bind_key('\r', &tty_terminal::accept);
    rl_bind_key('\n', &tty_terminal::accept);
    // Tab: our candidates (nicks, rooms, commands), each press the next one.
    // Words are split at spaces only: '#', '!', '/' and '[' belong to them.
    rl_attempted_completion_function = &tty_terminal::candidates;
    rl_completer_word_break_characters = const_cast<char*>(" \t");
    rl_variable_bind("completion-ignore-case", "on");
    rl_bind_key('\t', rl_menu_complete);
    // Alt-1 .. Alt-9 (ESC then the digit): the conversation of that number.
    for (char digit = '1'; digit <= '9'; ++digit) {
      const char seq[] = {'\x1b', digit, '\0'};
      rl_bind_keyseq(seq, &tty_terminal::alt_digit);
    }
    if (screen_.measure()) last_columns_ = screen_.columns();
    if (screen_.fits()) split(true);
    rl_callback_handler_install(prompt_.c_str(), &tty_terminal::on_eof);
    ready_ = true;
    // Again once readline is initialised (its inputrc and terminal set up).
    if (split_) rl_variable_bind("horizontal-scroll-mode", "on");
    asio::co_spawn(ex, pump(), asio::detached);
  }

  ~tty_terminal() override {
    restore();
    active = nullptr;
  }

  void print(std::string_view line) override {
    if (!installed_) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
      return;
    }
    kept_.emplace_back(line);
    if (kept_.size() > kKeptLines) kept_.pop_front();
    if (split_) {
      screen_.scroll_in(line);
      redraw_input();
      return;
    }
    // Clear the input line, print above it, and draw it again as it was.
    rl_clear_visible_line();
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    rl_forced_update_display();
  }

  void set_prompt(std::string prompt) override {
    prompt_ = std::move(prompt);
    if (installed_) {
      rl_set_prompt(prompt_.c_str());
      rl_redisplay();
    }
  }

  void set_status(const status& s) override {
    if (status_ == s) return;
    status_ = s;
    if (installed_ && split_) {
      draw_status();
      redraw_input();
    }
  }

  awaitable<std::optional<std::string>> read_line() override { return queue_.pop(); }
  [[nodiscard]] bool ended() const override { return queue_.ended(); }

  void restore() override {
    if (!installed_) return;
    installed_ = false;
    rl_callback_handler_remove();
    if (split_) {
      // The whole screen scrolls again; the status and input rows go.
      split_ = false;
      screen_.leave();
    } else {
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
    std::error_code ignored;
    input_.close(ignored);
  }

  void resized() override {
    if (!installed_) return;
    const unsigned short before = last_columns_;
    if (!screen_.measure()) return;
    last_columns_ = screen_.columns();
    if (screen_.fits()) {
      // Everything again, from what we know: the terminal may have moved,
      // rewrapped or dropped any row, so no copy of the old status or input
      // line can stay behind.
      split(false);
      // Each line takes a row at least: the last rows-2 fill the region.
      const std::size_t room = screen_.rows() - 2U;
      for (std::size_t i = kept_.size() > room ? kept_.size() - room : 0; i < kept_.size(); ++i)
        screen_.scroll_in(kept_[i]);
      rl_set_screen_size(screen_.rows(), screen_.columns());
      redraw_input();
      return;
    }
    if (split_) {
      // Too small now: a plain terminal, as at start on one this small.
      split_ = false;
      rl_variable_bind("horizontal-scroll-mode", "off");
      std::fputs("\x1b[r\x1b[H\x1b[2J", stdout);
      std::fflush(stdout);
      rl_set_screen_size(screen_.rows(), screen_.columns());
      rl_forced_update_display();
      return;
    }
    plain_resized(before);
  }

  void set_completer(completer c) override { completer_ = std::move(c); }
  void set_switcher(std::function<void(int)> f) override { switcher_ = std::move(f); }

 private:
  // Starts (or starts again) the split screen; see split_screen::enter.
  void split(bool fresh) {
    split_ = true;
    // One row of input: readline scrolls it sideways instead of wrapping.
    rl_variable_bind("horizontal-scroll-mode", "on");
    screen_.enter(fresh);
    draw_status();
  }

  // The input line drawn afresh at the cursor, the start of its row.
  void redraw_input() const {
    if (ready_) rl_forced_update_display();
  }

  void draw_status() {
    const auto rendered =
        status_ ? render_status(*status_, screen_.columns(), colour_) : std::string(screen_.columns(), ' ');
    screen_.draw_status(rendered);
  }

  // A resize without the split. Narrower: terminals that rewrap on resize
  // (tmux, VTE, kitty, ...) have already spread the input line over the new
  // width; readline would redraw it as if it took the rows it took before,
  // leaving the rows above as a cut-off copy. Go up to where the rewrapped
  // prompt begins and clear from there. Wider, readline's own redraw is
  // right: it goes up as many rows as the line took before, which the
  // terminal has joined back.
  void plain_resized(unsigned short before) {
    const auto columns = screen_.columns();
    if (before != 0 && columns < before) {
      const std::size_t before_cursor =
          display_width(prompt_) +
          display_width(std::string_view(rl_line_buffer, static_cast<std::size_t>(rl_point)));
      const std::size_t up = before_cursor / columns;
      if (up > 0) std::fprintf(stdout, "\x1b[%zuA", up);
      std::fputs("\r\x1b[J", stdout);
      std::fflush(stdout);
      // Then readline learns the size and draws the line afresh from here.
      rl_set_screen_size(screen_.rows(), columns);
      rl_forced_update_display();
      return;
    }
    rl_resize_terminal();
  }

  static int accept(int /*count*/, int /*key*/) {
    if (active == nullptr) return 0;
    std::string line(rl_line_buffer, static_cast<std::size_t>(rl_end));
    if (!line.empty()) {
      add_history(line.c_str());
      using_history();  // the next Up starts from the newest entry
    }
    rl_replace_line("", 1);
    rl_point = 0;
    rl_redisplay();
    active->queue_.push(std::move(line));
    return 0;
  }

  static int alt_digit(int /*count*/, int key) {
    if (active != nullptr && active->switcher_ && key >= '1' && key <= '9') active->switcher_(key - '0');
    return 0;
  }

  // readline's completion entry: the matches for `text` (at [start, end) of
  // the line), as malloc'd strings; never its file-name completion.
  static char** candidates(const char* text, int start, int /*end*/) {
    rl_attempted_completion_over = 1;
    rl_completion_append_character = '\0';  // the candidates carry their own ": " or " "
    if (active == nullptr || !active->completer_) return nullptr;
    active->matches_ = active->completer_(std::string_view(rl_line_buffer, static_cast<std::size_t>(rl_end)),
                                          static_cast<std::size_t>(start), text);
    active->next_match_ = 0;
    return rl_completion_matches(text, &tty_terminal::next_candidate);
  }

  static char* next_candidate(const char* /*text*/, int /*state*/) {
    if (active == nullptr || active->next_match_ >= active->matches_.size()) return nullptr;
    return ::strdup(active->matches_[active->next_match_++].c_str());
  }

  // Readline calls this with NULL for Ctrl-D on an empty line; every other
  // line goes through accept().
  static void on_eof(char* line) {
    if (line != nullptr) {
      std::free(line);
      return;
    }
    if (active == nullptr) return;
    active->restore();
    active->queue_.end();
  }

  awaitable<void> pump() {
    while (installed_) {
      auto [ec] = co_await input_.async_wait(asio::posix::stream_descriptor::wait_read, use_nothrow);
      if (ec || !installed_) break;
      rl_callback_read_char();
    }
    queue_.end();
  }

  line_queue queue_;
  asio::posix::stream_descriptor input_;
  bool colour_;
  std::string prompt_ = "> ";
  bool installed_ = true;
  bool ready_ = false;  // readline's handler is installed: it can draw
  split_screen screen_;
  bool split_ = false;  // the screen is split (else a plain terminal)
  std::optional<status> status_;
  std::deque<std::string> kept_;  // the last lines shown, to draw them again
  completer completer_;
  std::function<void(int)> switcher_;
  unsigned short last_columns_ = 0;   // the width the input line was last drawn for
  std::vector<std::string> matches_;  // of the completion in progress
  std::size_t next_match_ = 0;
};

}  // namespace

std::unique_ptr<terminal> open_tty(const asio::any_io_executor& ex, bool colour) {
  return std::make_unique<tty_terminal>(ex, colour);
}

}  // namespace client
