// wait(): turns one callback-answered store request into a blocking call,
// for the offline admin command and tests. Never on an event-loop thread,
// and never from a store callback (it would wait for its own thread).
#pragma once

#include <future>
#include <memory>
#include <utility>

namespace store {

template <class T>
result<T> wait(const std::function<void(callback<T>)>& start) {
  // Shared: the callback may outlive this frame if it is copied around;
  // the promise must live until it runs.
  auto promise = std::make_shared<std::promise<result<T>>>();
  auto answer = promise->get_future();
  start([promise](result<T> r) { promise->set_value(std::move(r)); });
  return answer.get();
}

}  // namespace store
