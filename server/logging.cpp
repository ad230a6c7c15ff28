#include "logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace startup {

namespace {

// %* in a pattern: the message as the inside of a JSON string.
class json_message final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
              spdlog::memory_buf_t& dest) override {
    constexpr char kHex[] = "0123456789abcdef";
    for (const char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (u < 0x20) {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[u >> 4U], kHex[u & 0xFU]};
        dest.append(escaped, escaped + sizeof escaped);
      } else {
        dest.push_back(c);
      }
    }
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_message>();
  }
};

}  // namespace

void set_up_logging(const std::string& format, const std::string& level) {
  // ISO 8601 with the offset from UTC (%z), so that logs of machines in
  // different zones, or around a change of summer time, sort and compare.
  constexpr const char* kTime = "%Y-%m-%dT%H:%M:%S.%e%z";
  std::shared_ptr<spdlog::logger> logger;
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (format == "json") {
    // No colours: the bytes are for a program. Nicks and reasons are
    // escaped like any text; messages never appear.
    logger = spdlog::stderr_logger_mt("chat");
    formatter->add_flag<json_message>('*').set_pattern(std::string("{\"time\":\"") + kTime +
                                                       "\",\"level\":\"%l\",\"message\":\"%*\"}");
  } else {
    logger = spdlog::stderr_color_mt("chat");
    formatter->set_pattern(std::string(kTime) + " %^%l%$ %v");
  }
  logger->set_formatter(std::move(formatter));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace startup
