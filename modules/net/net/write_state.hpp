// A batch of queued payloads on its way to a stream.
#pragma once

#include <string>
#include <vector>

#include "net/asio.hpp"
#include "net/outbox.hpp"

namespace net {

// The payloads, their buffers (written as one gather), and for streams that
// write the batch as one record (TLS) their concatenation.
struct write_state {
  std::vector<payload> batch;
  std::vector<asio::const_buffer> buffers;
  std::string joined;
};

// Drops the first `n` bytes from `buffers` (what a partial write took).
inline void drop_written(std::vector<asio::const_buffer>& buffers, std::size_t n) {
  auto it = buffers.begin();
  while (it != buffers.end() && n >= it->size()) {
    n -= it->size();
    ++it;
  }
  buffers.erase(buffers.begin(), it);
  if (n > 0) buffers.front() += n;
}

}  // namespace net
