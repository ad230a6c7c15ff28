// A Redis reply as a value (RESP2): what the decoder produces and what the
// client hands its callers. No I/O, no hiredis.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redis {

struct reply {
  enum class kind { nil, status, error, integer, string, array };

  kind type = kind::nil;
  std::string str;              // status, error and string replies (binary-safe)
  long long integer = 0;        // integer replies
  std::vector<reply> elements;  // array replies

  static reply nil() { return {}; }
  static reply status(std::string s) { return {kind::status, std::move(s), 0, {}}; }
  static reply error(std::string s) { return {kind::error, std::move(s), 0, {}}; }
  static reply string(std::string s) { return {kind::string, std::move(s), 0, {}}; }
  static reply number(long long n) { return {kind::integer, {}, n, {}}; }
  static reply array(std::vector<reply> e) { return {kind::array, {}, 0, std::move(e)}; }

  bool is_nil() const noexcept { return type == kind::nil; }
  bool is_error() const noexcept { return type == kind::error; }
  bool is_status() const noexcept { return type == kind::status; }
  bool is_string() const noexcept { return type == kind::string; }
  bool is_integer() const noexcept { return type == kind::integer; }
  bool is_array() const noexcept { return type == kind::array; }
  // The text of a status, error or string reply; empty for the others.
  std::string_view as_string() const noexcept { return str; }
  // True for the +OK status.
  bool is_ok() const noexcept { return type == kind::status && str == "OK"; }

  friend bool operator==(const reply&, const reply&) = default;
};

}  // namespace redis
