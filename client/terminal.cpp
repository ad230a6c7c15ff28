#include "client/terminal.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

}  // namespace

std::unique_ptr<terminal> terminal::open(const asio::any_io_executor& ex, bool colour) {
  if (::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1) return open_tty(ex, colour);
  return std::make_unique<pipe_terminal>(ex);
}

}  // namespace client
