#include "core/completion.hpp"

#include <algorithm>

#include "core/input.hpp"
#include "core/text.hpp"
#include "protocol/nick.hpp"

namespace client {

namespace {

bool starts_with_folded(std::string_view candidate, std::string_view prefix) {
  if (candidate.size() < prefix.size()) return false;
  return protocol::fold_nick(candidate.substr(0, prefix.size())) == protocol::fold_nick(prefix);
}

}  // namespace

std::vector<std::string> complete(std::string_view line, std::size_t start, std::string_view word,
                                  const completion_sources& from) {
  std::vector<std::string> out;
  // Only spaces before the word: it is the line's first.
  const bool first =
      line.substr(0, std::min(start, line.size())).find_first_not_of(' ') == std::string_view::npos;
  if (first && !word.empty() && (word.front() == '!' || word.front() == '/')) {
    const auto name = word.substr(1);
    for (const auto c : command_names()) {
      if (c.starts_with(name)) out.push_back(std::string(1, word.front()) + std::string(c) + " ");
    }
  } else if (!word.empty() && (word.front() == '#' || word.front() == '&')) {
    for (const auto& r : from.rooms) {
      if (starts_with_folded(r, word) && sanitize(r) == r) out.push_back(r + " ");
    }
  } else {
    for (const auto& n : from.nicks) {
      // Readline would put the nick on the terminal as it is: only those
      // that are safe to show (sanitize() leaves them unchanged).
      if (starts_with_folded(n, word) && sanitize(n) == n) out.push_back(n + (first ? ": " : " "));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace client
