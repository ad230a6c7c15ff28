#include "door/irc_caps.hpp"

#include <algorithm>

namespace door {

std::optional<cap> find_cap(std::string_view name) noexcept {
  static_assert(std::is_sorted(kCaps.begin(), kCaps.end(),
                               [](const cap_spec& a, const cap_spec& b) { return a.name < b.name; }));
  const auto it = std::lower_bound(kCaps.begin(), kCaps.end(), name,
                                   [](const cap_spec& c, std::string_view n) { return c.name < n; });
  if (it == kCaps.end() || it->name != name) return std::nullopt;
  return it->id;
}

}  // namespace door
