// A real store for door tests: in a fresh temporary directory (removed
// afterwards), with accounts made up front.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace test {

// mkdtemp under the system's temporary directory; removed when it goes.
class temp_dir {
 public:
  explicit temp_dir(std::string_view prefix = "chat-door");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// A store in `d` with an account for each of `names`, each with `password`.
// Throws (failing the test) if it cannot be made.
std::shared_ptr<store::store> open_store(const temp_dir& d, const std::vector<std::string>& names,
                                         std::string_view password);

}  // namespace test
