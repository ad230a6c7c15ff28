#include "support/test_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace test {

test_socket::test_socket(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd_);
    throw std::runtime_error(std::string("connect: ") + std::strerror(err));
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

test_socket::test_socket(test_socket&& other) noexcept
    : fd_(other.fd_), buf_(std::move(other.buf_)), eof_(other.eof_) {
  other.fd_ = -1;
}

test_socket::~test_socket() {
  close();
}

void test_socket::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void test_socket::reset() {
  if (fd_ >= 0) {
    const linger lg{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close();
  }
}

void test_socket::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool test_socket::fill(std::size_t n, std::chrono::steady_clock::time_point deadline) {
  while (buf_.size() < n) {
    if (eof_ || fd_ < 0) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char chunk[65536];
    const auto got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) {
      if (got < 0 && errno == EINTR) continue;
      eof_ = true;
      return false;
    }
    buf_.append(chunk, static_cast<std::size_t>(got));
  }
  return true;
}

std::size_t test_socket::fill_until(std::string_view needle, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (const auto at = buf_.find(needle); at != std::string::npos) return at;
    if (!fill(buf_.size() + 1, deadline)) return std::string::npos;
  }
}

std::string test_socket::take(std::size_t n) {
  std::string out = buf_.substr(0, n);
  buf_.erase(0, n);
  return out;
}

std::optional<std::string> test_socket::recv_bytes(std::size_t n, std::chrono::milliseconds timeout) {
  if (!fill(n, std::chrono::steady_clock::now() + timeout)) return std::nullopt;
  return take(n);
}

bool test_socket::silent_for(std::chrono::milliseconds quiet) {
  const auto deadline = std::chrono::steady_clock::now() + quiet;
  return buf_.empty() && !fill(1, deadline) && !eof_;
}

bool test_socket::closed_within(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fill(buf_.size() + 1, deadline)) {
    buf_.clear();
  }
  return eof_;
}

}  // namespace test
