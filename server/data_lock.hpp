// One server per data directory: a lock file (DIR/lock, flock) that the
// running server holds, with its pid in it, so that a second server
// started on the same directory is told which one has it instead of
// writing the same database as another process's server. The offline
// `chat-server account` commands take no lock (SQLite lets them share the
// file with a running server).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace startup {

// The lock file's name inside the data directory.
inline constexpr std::string_view kLockFile = "lock";

class data_lock {
 public:
  // Creates `dir` if needed and takes its lock; an error names the holder
  // ("... is in use by another chat-server (pid 1234)") or what failed.
  static tl::expected<data_lock, std::string> take(const std::filesystem::path& dir);

  data_lock(data_lock&& other) noexcept;
  data_lock& operator=(data_lock&& other) noexcept;
  data_lock(const data_lock&) = delete;
  data_lock& operator=(const data_lock&) = delete;
  ~data_lock();  // lets go (the kernel does too, at exit or crash)

 private:
  explicit data_lock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace startup
