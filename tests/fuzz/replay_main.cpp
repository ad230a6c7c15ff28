// A main() for builds without libFuzzer (g++): runs the harness's
// LLVMFuzzerTestOneInput once over every file named, or found in a directory
// named, on the command line, so ctest replays the seed corpus everywhere.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// The files an argument stands for, sorted; empty if it is missing or an
// empty directory (both are errors: a replay of nothing proves nothing).
std::vector<fs::path> inputs_of(const fs::path& arg) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    for (const auto& entry : fs::directory_iterator(arg, ec)) {
      if (entry.is_regular_file(ec)) {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
  } else if (fs::is_regular_file(arg, ec)) {
    files.push_back(arg);
  }
  return files;
}

bool run_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    return false;
  }
  // An exact-size heap copy, as libFuzzer passes it, so sanitizers see overreads.
  const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir-or-file>...\n", argv[0]);
    return 2;
  }
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    const auto files = inputs_of(argv[i]);
    if (files.empty()) {
      std::fprintf(stderr, "%s: missing, or a directory without files\n", argv[i]);
      return 1;
    }
    for (const auto& file : files) {
      // Named first, so a crash is easy to pin on its input.
      std::fprintf(stderr, "running %s\n", file.c_str());
      if (!run_file(file)) {
        std::fprintf(stderr, "%s: cannot read\n", file.c_str());
        return 1;
      }
    }
    total += files.size();
  }
  std::printf("ran %zu inputs\n", total);
  return 0;
}
