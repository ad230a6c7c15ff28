// The console: lines typed by the user in, display lines out. Two kinds:
//  - tty_terminal (stdin and stdout are terminals; tty_terminal.cpp): GNU
//    readline's callback interface, fed from asio when stdin is readable, so
//    no thread blocks. The screen is split as irssi's: lines scroll in the
//    rows above, the status line is the row above the input, and the input
//    is the last row (one row, scrolled sideways), left intact by a line
//    printed while the user types.
//  - pipe_terminal: plain line-by-line input, output flushed per line, no
//    escape sequences (and no status line).
// Both run on the io_context's single thread; nothing here is thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include "client/io.hpp"
#include "core/status.hpp"

namespace client {

// Lines waiting to be read, and whether input has ended.
class line_queue {
 public:
  explicit line_queue(const asio::any_io_executor& ex);
  void push(std::string line);
  void end();
  // The next line; nullopt once input has ended and every line was read,
  // or when the wait is cancelled (ended() tells which).
  awaitable<std::optional<std::string>> pop();
  [[nodiscard]] bool ended() const noexcept { return ended_ && lines_.empty(); }

 private:
  std::deque<std::string> lines_;
  bool ended_ = false;
  asio::steady_timer signal_;  // cancelled when a line arrives or input ends
};

class terminal {
 public:
  virtual ~terminal() = default;
  // Prints one display line (no newline in it).
  virtual void print(std::string_view line) = 0;
  virtual void set_prompt(std::string prompt) = 0;
  // What the status line says (a terminal without one ignores it).
  virtual void set_status(const status& /*s*/) {}
  // The next line typed; nullopt at the end of input or when cancelled.
  virtual awaitable<std::optional<std::string>> read_line() = 0;
  // Input has ended (Ctrl-D, end of a pipe) and every line was read.
  [[nodiscard]] virtual bool ended() const = 0;
  // Puts the terminal back as it was (also done by the destructor).
  virtual void restore() {}
  // The terminal's size changed (SIGWINCH).
  virtual void resized() {}
  // Where Tab finds its candidates: the line, where the word starts in it,
  // and the word (a terminal without line editing never asks).
  using completer = std::function<std::vector<std::string>(std::string_view line, std::size_t start,
                                                           std::string_view word)>;
  virtual void set_completer(completer /*c*/) {}
  // Alt-1 .. Alt-9: the number pressed (a terminal without keys never calls).
  virtual void set_switcher(std::function<void(int)> /*f*/) {}

  // A tty_terminal when stdin and stdout are terminals, else a
  // pipe_terminal. `colour`: the status line may use colour.
  static std::unique_ptr<terminal> open(const asio::any_io_executor& ex, bool colour);
};

// The readline terminal (tty_terminal.cpp).
std::unique_ptr<terminal> open_tty(const asio::any_io_executor& ex, bool colour);

}  // namespace client
