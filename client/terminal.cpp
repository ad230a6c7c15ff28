#include "client/terminal.hpp"

#include <readline/history.h>
#include <readline/readline.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstring>
#include <cwchar>
#include <string>
#include <utility>

#include <asio/detached.hpp>

namespace client {

line_queue::line_queue(const asio::any_io_executor& ex)
    : signal_(ex, asio::steady_timer::time_point::max()) {}

void line_queue::push(std::string line) {
  lines_.push_back(std::move(line));
  signal_.cancel();
}

void line_queue::end() {
  ended_ = true;
  signal_.cancel();
}

awaitable<std::optional<std::string>> line_queue::pop() {
  while (lines_.empty() && !ended_) {
    signal_.expires_at(asio::steady_timer::time_point::max());
    auto [ec] = co_await signal_.async_wait(use_nothrow);
    // Woken by push/end (operation_aborted) or cancelled from outside: look again.
    (void)ec;
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) co_return std::nullopt;
  }
  if (lines_.empty()) co_return std::nullopt;
  auto line = std::move(lines_.front());
  lines_.pop_front();
  co_return line;
}

namespace {

// ---- Pipes and files --------------------------------------------------------

class pipe_terminal final : public terminal {
 public:
  explicit pipe_terminal(const asio::any_io_executor& ex) : queue_(ex) {
    struct stat st {};
    const bool regular = ::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode);
    if (regular) {
      // epoll cannot watch a regular file, and reading one never blocks.
      read_file();
    } else {
      input_.emplace(ex, ::dup(STDIN_FILENO));
      asio::co_spawn(ex, read_stream(), asio::detached);
    }
  }

  void print(std::string_view line) override {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  void set_prompt(std::string prompt) override {
    // Only the question for a name is shown, as the original client does.
    if (prompt == "Username: ") {
      std::fputs(prompt.c_str(), stdout);
      std::fflush(stdout);
    }
  }

  awaitable<std::optional<std::string>> read_line() override { return queue_.pop(); }
  [[nodiscard]] bool ended() const override { return queue_.ended(); }

  void restore() override {
    if (input_) {
      std::error_code ignored;
      input_->close(ignored);
    }
  }

 private:
  void split(bool at_end) {
    for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
      std::string line = buffer_.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      queue_.push(std::move(line));
      buffer_.erase(0, nl + 1);
    }
    if (at_end) {
      if (!buffer_.empty()) queue_.push(std::exchange(buffer_, {}));
      queue_.end();
    }
  }

  void read_file() {
    char chunk[4096];
    for (;;) {
      const auto n = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    split(true);
  }

  awaitable<void> read_stream() {
    char chunk[4096];
    for (;;) {
      auto [ec, n] = co_await input_->async_read_some(asio::buffer(chunk), use_nothrow);
      buffer_.append(chunk, n);
      split(static_cast<bool>(ec));
      if (ec) co_return;
    }
  }

  line_queue queue_;
  std::optional<asio::posix::stream_descriptor> input_;
  std::string buffer_;
};

// ---- Terminals, through readline ---------------------------------------------

class tty_terminal;
tty_terminal* active = nullptr;  // readline's callbacks are plain functions

// The terminal's width now, or 0.
unsigned short initial_columns() {
  winsize ws{};
  return ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

// Columns `text` takes on the terminal (the locale's wcwidth; a byte that is
// not a character counts one).
std::size_t display_width(std::string_view text) {
  std::mbstate_t state{};
  std::size_t columns = 0;
  while (!text.empty()) {
    wchar_t wc = 0;
    const auto n = std::mbrtowc(&wc, text.data(), text.size(), &state);
    if (n == 0 || n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
      state = {};
      ++columns;
      text.remove_prefix(1);
      continue;
    }
    const int w = ::wcwidth(wc);
    columns += w > 0 ? static_cast<std::size_t>(w) : 0;
    text.remove_prefix(n);
  }
  return columns;
}

class tty_terminal final : public terminal {
 public:
  explicit tty_terminal(const asio::any_io_executor& ex) : queue_(ex), input_(ex, ::dup(STDIN_FILENO)) {
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
    rl_callback_handler_install(prompt_.c_str(), &tty_terminal::on_eof);
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

  awaitable<std::optional<std::string>> read_line() override { return queue_.pop(); }
  [[nodiscard]] bool ended() const override { return queue_.ended(); }

  void restore() override {
    if (!installed_) return;
    installed_ = false;
    rl_callback_handler_remove();
    std::fputc('\n', stdout);
    std::fflush(stdout);
    std::error_code ignored;
    input_.close(ignored);
  }

  void resized() override {
    if (!installed_) return;
    // Narrower: terminals that rewrap on resize (tmux, VTE, kitty, ...) have
    // already spread the input line over the new width; readline would
    // redraw it as if it took the rows it took before, leaving the rows
    // above as a cut-off copy. Go up to where the rewrapped prompt begins
    // and clear from there.
    // Wider, readline's own redraw is right: it goes up as many rows as the
    // line took before, which the terminal has joined back.
    winsize ws{};
    const bool got = ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0;
    const bool narrower = got && last_columns_ != 0 && ws.ws_col < last_columns_;
    if (got) last_columns_ = ws.ws_col;
    if (narrower) {
      const std::size_t before_cursor =
          display_width(prompt_) +
          display_width(std::string_view(rl_line_buffer, static_cast<std::size_t>(rl_point)));
      const std::size_t up = before_cursor / ws.ws_col;
      if (up > 0) std::fprintf(stdout, "\x1b[%zuA", up);
      std::fputs("\r\x1b[J", stdout);
      std::fflush(stdout);
      // Then readline learns the size and draws the line afresh from here.
      rl_set_screen_size(ws.ws_row, ws.ws_col);
      rl_forced_update_display();
      return;
    }
    rl_resize_terminal();
  }

  void set_completer(completer c) override { completer_ = std::move(c); }
  void set_switcher(std::function<void(int)> f) override { switcher_ = std::move(f); }

 private:
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
  std::string prompt_ = "> ";
  bool installed_ = true;
  completer completer_;
  std::function<void(int)> switcher_;
  unsigned short last_columns_ = initial_columns();  // the width the input line was last drawn for
  std::vector<std::string> matches_;                 // of the completion in progress
  std::size_t next_match_ = 0;
};

}  // namespace

std::unique_ptr<terminal> terminal::open(const asio::any_io_executor& ex) {
  if (::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1) return std::make_unique<tty_terminal>(ex);
  return std::make_unique<pipe_terminal>(ex);
}

}  // namespace client
