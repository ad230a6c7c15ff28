// What a stream may say from read() besides the system's errors.
#pragma once

#include <string>
#include <system_error>

namespace net {

enum class stream_errc {
  // The stream's protocol says goodbye (a WebSocket close, or a frame that
  // breaks its rules): flush what is queued, then close_notify().
  goodbye = 1,
};

inline const std::error_category& stream_category() noexcept {
  struct category final : std::error_category {
    [[nodiscard]] const char* name() const noexcept override { return "stream"; }
    [[nodiscard]] std::string message(int v) const override {
      return v == static_cast<int>(stream_errc::goodbye) ? "the stream said goodbye" : "unknown stream error";
    }
  };
  static const category instance;
  return instance;
}

inline std::error_code make_error_code(stream_errc e) noexcept {
  return {static_cast<int>(e), stream_category()};
}

}  // namespace net

template <>
struct std::is_error_code_enum<net::stream_errc> : std::true_type {};
