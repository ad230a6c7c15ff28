#include "net/web_site.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace net {

namespace {

// Only our page's own scripts and styles run, it connects back to this
// server only, and no other site may frame it: a peer's text that slipped
// into the page as markup could still do nothing.
constexpr std::string_view kPageHeaders =
    "Content-Security-Policy: default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cache-Control: no-cache\r\n";

// A file name under --web-root: letters, digits, '-', '_' and one '.'
// per name, no directories. Nothing else is ever opened.
bool is_plain_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                              c == '-' || c == '_' || c == '.';
                     }) &&
         name.find("..") == std::string_view::npos;
}

}  // namespace

std::string_view content_type_of(std::string_view path) noexcept {
  const auto dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json") return "application/json";
  return "text/plain; charset=utf-8";
}

std::string refusal(const protocol::http::error& e, bool keep_alive, std::string_view extra_headers) {
  return protocol::http::response(e.status, "text/plain; charset=utf-8", std::string(e.reason) + "\n",
                                  extra_headers, keep_alive);
}

web_site::web_site(web_settings settings, std::function<std::string()> metrics)
    : settings_(std::move(settings)), metrics_(std::move(metrics)) {}

std::string web_site::respond(const protocol::http::request& req, bool keep_alive) const {
  const bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    return protocol::http::response(405, "text/plain; charset=utf-8", "only GET and HEAD are served here\n",
                                    "Allow: GET, HEAD\r\n", keep_alive);
  }
  const std::string_view path = req.path();
  if (path == "/healthz") {
    return protocol::http::response(200, "text/plain; charset=utf-8", "ok\n", "Cache-Control: no-store\r\n",
                                    keep_alive, head);
  }
  if (path == "/metrics") {
    if (!metrics_) {
      return refusal({404, "metrics are served on the metrics listener (--metrics-address, --metrics-port)"},
                     keep_alive);
    }
    return protocol::http::response(200, "text/plain; version=0.0.4; charset=utf-8", metrics_(),
                                    "Cache-Control: no-store\r\n", keep_alive, head);
  }
  return file(path == "/" ? "/index.html" : path, keep_alive, head);
}

std::string web_site::file(std::string_view path, bool keep_alive, bool head_only) const {
  const protocol::http::error missing{404, "no such page"};
  if (path.size() < 2 || !is_plain_name(path.substr(1))) return refusal(missing, keep_alive);
  const auto type = content_type_of(path);
  if (settings_.web_root.empty()) {
    const auto assets = embedded_web_assets();
    const auto it =
        std::find_if(assets.begin(), assets.end(), [&](const web_asset& a) { return a.path == path; });
    if (it == assets.end()) return refusal(missing, keep_alive);
    return protocol::http::response(200, type, it->body, kPageHeaders, keep_alive, head_only);
  }
  std::ifstream in(settings_.web_root + std::string(path), std::ios::binary);
  if (!in) return refusal(missing, keep_alive);
  std::ostringstream body;
  body << in.rdbuf();
  return protocol::http::response(200, type, body.str(), kPageHeaders, keep_alive, head_only);
}

}  // namespace net
