// Splitting the lists that IRC parameters carry: "#a,#b" targets, "a b"
// capability names. Views into the input; no allocation but the vector.
#pragma once

#include <string_view>
#include <vector>

namespace protocol {

// Calls f(item) for each non-empty part of `list` between `sep`s, until f
// returns false.
template <class F>
void for_each_item(std::string_view list, char sep, F&& f) {
  while (!list.empty()) {
    const auto at = list.find(sep);
    if (const auto item = list.substr(0, at); !item.empty() && !f(item)) return;
    if (at == std::string_view::npos) return;
    list.remove_prefix(at + 1);
  }
}

// The non-empty parts of `list` between `sep`s.
inline std::vector<std::string_view> split_by(std::string_view list, char sep) {
  std::vector<std::string_view> out;
  for_each_item(list, sep, [&](std::string_view item) {
    out.push_back(item);
    return true;
  });
  return out;
}

// "a,b,,c" -> a, b, c
inline std::vector<std::string_view> split_list(std::string_view list) {
  return split_by(list, ',');
}

// "a  b c" -> a, b, c
inline std::vector<std::string_view> split_words(std::string_view text) {
  return split_by(text, ' ');
}

}  // namespace protocol
