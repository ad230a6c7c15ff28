// data_lock: flock on DIR/lock, the holder's pid written into it.
#include "data_lock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace startup {

tl::expected<data_lock, std::string> data_lock::take(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return tl::unexpected(fmt::format("cannot create the data directory {}: {}", dir.string(), ec.message()));
  const auto file = dir / kLockFile;
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const auto n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK)
      return tl::unexpected(fmt::format("cannot lock {}: {}", file.string(), std::strerror(err)));
    std::string holder(pid, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    return tl::unexpected(fmt::format("the data directory {} is in use by another chat-server{}",
                                      dir.string(),
                                      holder.empty() ? std::string() : " (pid " + holder + ")"));
  }
  const auto text = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) < 0) {
    // The lock holds without the pid: a second server is refused all the same.
  }
  return data_lock(fd);
}

data_lock::data_lock(data_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

data_lock& data_lock::operator=(data_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

data_lock::~data_lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace startup
