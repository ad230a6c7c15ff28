// The coroutine a connection's read loop runs as: lighter than asio's
// awaitable, which an idle connection pays for with about 800 bytes (the
// co_spawn entry frame, the awaitable thread and the handler that resumes
// it). Here an idle connection holds its one frame and the pending wait.
//
//   detached_task loop(std::shared_ptr<conn> self) {
//     auto [ec] = co_await async_op<std::error_code>([&](auto resume) {
//       self->socket.async_wait(stream_socket::wait_read, asio::bind_executor(self->strand,
//       std::move(resume)));
//     });
//   }
//
// The coroutine starts at once, on the caller's thread, and frees its frame
// when it ends. Each co_await starts one asio operation whose completion
// handler resumes the frame on whatever executor the handler was bound to.
// If asio destroys the handler without calling it (the io_context is torn
// down with the operation pending), the suspended frame is destroyed with it,
// as asio does with its own coroutines. Exceptions must not leave the body,
// nor come from starting an operation: either ends the program.
#pragma once

#include <coroutine>
#include <exception>
#include <tuple>
#include <utility>

namespace net {

class detached_task {
 public:
  struct promise_type {
    detached_task get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    [[noreturn]] void unhandled_exception() noexcept { std::terminate(); }
  };
};

// Where an awaited operation leaves its results, in the awaiting frame.
template <class... Results>
struct op_slot {
  std::tuple<Results...> results{};
};

// The completion handler of an operation awaited by async_op: stores the
// results in the awaiting frame and resumes it.
template <class... Results>
class resume_handler {
 public:
  resume_handler(std::coroutine_handle<> frame, op_slot<Results...>* slot) noexcept
      : frame_(frame), slot_(slot) {}
  resume_handler(resume_handler&& other) noexcept
      : frame_(std::exchange(other.frame_, {})), slot_(other.slot_) {}
  resume_handler(const resume_handler&) = delete;
  resume_handler& operator=(const resume_handler&) = delete;
  resume_handler& operator=(resume_handler&&) = delete;
  ~resume_handler() {
    // Dropped unanswered: nothing will ever resume the frame, so free it
    // (and what it owns).
    if (frame_) frame_.destroy();
  }

  void operator()(Results... results) {
    slot_->results = std::tuple<Results...>(std::move(results)...);
    std::exchange(frame_, {}).resume();
  }

 private:
  std::coroutine_handle<> frame_;
  op_slot<Results...>* slot_;
};

template <class Initiate, class... Results>
class async_op_awaiter {
 public:
  explicit async_op_awaiter(Initiate initiate) : initiate_(std::move(initiate)) {}

  bool await_ready() const noexcept { return false; }
  // Once the handler exists it owns the suspended frame, so an exception
  // from initiation (only bad_alloc in practice) cannot be delivered to the
  // body: it ends the program.
  // NOLINTNEXTLINE(bugprone-exception-escape): intended, see above
  void await_suspend(std::coroutine_handle<> frame) noexcept {
    initiate_(resume_handler<Results...>(frame, &slot_));
  }
  std::tuple<Results...> await_resume() { return std::move(slot_.results); }

 private:
  Initiate initiate_;
  op_slot<Results...> slot_;
};

// Awaits the asio operation that `initiate(handler)` starts; the result is
// the tuple of what the operation completes with, e.g. (error_code, size_t).
template <class... Results, class Initiate>
async_op_awaiter<Initiate, Results...> async_op(Initiate initiate) {
  return async_op_awaiter<Initiate, Results...>(std::move(initiate));
}

}  // namespace net
