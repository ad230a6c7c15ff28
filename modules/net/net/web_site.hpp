// What the web listener serves for one HTTP request, socket aside: the
// browser client's static files (embedded in the binary, or read from
// --web-root), /healthz, and on the metrics listener /metrics. Thread-safe:
// nothing in it changes after construction.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http.hpp"

namespace net {

// The web listener (--http-port), and the metrics one (--metrics-port).
inline constexpr std::uint16_t kDefaultHttpPort = 8080;
inline constexpr std::uint16_t kDefaultHttpsPort = 8443;
inline constexpr std::uint16_t kDefaultMetricsPort = 9464;

// Time a client has to send a whole request head, from its connection or
// the end of its last request (408 after, or a quiet close if it sent
// nothing): a slow upgrade or an idle keep-alive holds a socket no longer.
inline constexpr std::chrono::milliseconds kHttpRequestTimeout{10'000};
// After a timeout, time the 408 has to be written before the close.
inline constexpr std::chrono::milliseconds kHttpCloseGrace{1'000};
// Requests served on one kept-alive connection before it is closed.
inline constexpr std::size_t kHttpMaxRequests = 100;

// The WebSocket subprotocols of IRCv3's specification, in our preference.
inline constexpr std::array<std::string_view, 2> kIrcSubprotocols = {"text.ircv3.net", "binary.ircv3.net"};

// A file of the browser client.
struct web_asset {
  std::string_view path;  // "/app.js"
  std::string_view body;
};

// The files of web/ as they were at build time (web_assets.cpp, generated).
std::span<const web_asset> embedded_web_assets() noexcept;

struct web_settings {
  // Origins besides the server's own whose pages may open a WebSocket
  // (--http-origin; "*" for any).
  std::vector<std::string> origins;
  // Serve the browser client from this directory instead of the copy in
  // the binary (--web-root): for working on the page without a rebuild.
  std::string web_root;
  // kHttpRequestTimeout unless told otherwise (--http-request-timeout-ms).
  std::chrono::milliseconds request_timeout = kHttpRequestTimeout;
};

class web_site {
 public:
  // `metrics` renders /metrics; empty: this listener has no /metrics.
  web_site(web_settings settings, std::function<std::string()> metrics);

  // The whole response to a request that is not a WebSocket upgrade.
  [[nodiscard]] std::string respond(const protocol::http::request& req, bool keep_alive) const;

  [[nodiscard]] const web_settings& settings() const noexcept { return settings_; }

 private:
  [[nodiscard]] std::string file(std::string_view path, bool keep_alive, bool head_only) const;

  web_settings settings_;
  std::function<std::string()> metrics_;
};

// The media type of a file, from its extension.
std::string_view content_type_of(std::string_view path) noexcept;

// The response to a refused request: the status and a sentence.
std::string refusal(const protocol::http::error& e, bool keep_alive = false,
                    std::string_view extra_headers = {});

}  // namespace net
