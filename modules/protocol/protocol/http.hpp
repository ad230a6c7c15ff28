// HTTP/1.1 request heads (RFC 9112), as much as the web door needs: GET and
// HEAD of a few static files, /metrics and /healthz, and the WebSocket
// upgrade (RFC 6455, section 4). Pure and bounded: a head larger than
// kMaxHttpHead, with more than kMaxHttpHeaders fields or a target longer
// than kMaxHttpTarget gets the 4xx that says so, before anything else.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace protocol::http {

// The request line and header fields together, CR LFs included: browsers
// send well under 2 KiB; a larger head is refused with 431.
inline constexpr std::size_t kMaxHttpHead = 8192;
// Header fields one request may carry (431 beyond).
inline constexpr std::size_t kMaxHttpHeaders = 64;
// The request target (414 beyond).
inline constexpr std::size_t kMaxHttpTarget = 2048;

// A refused request: the status to answer with, and a sentence for the body.
struct error {
  int status;
  std::string_view reason;
};

struct request {
  std::string method;   // "GET"
  std::string target;   // "/index.html?x=1"
  int minor_version{};  // HTTP/1.x
  std::vector<std::pair<std::string, std::string>> headers;

  // The first field called `name` (case-insensitive), trimmed.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  // Whether a comma-separated field (Connection, Upgrade) lists `token`.
  [[nodiscard]] bool lists(std::string_view name, std::string_view token) const;
  // The target without its query.
  [[nodiscard]] std::string_view path() const;
  // HTTP/1.1 keeps the connection unless told to close; 1.0 the reverse.
  [[nodiscard]] bool keep_alive() const;
};

// A head parsed from the front of a buffer, and its length there.
struct parsed {
  request req;
  std::size_t consumed;
};

// Parses the head at the front of `buffer`. An empty optional: the head is
// not complete yet (and is still under kMaxHttpHead). Requests with a body
// are refused (400): nothing here takes one.
tl::expected<std::optional<parsed>, error> parse_request(std::string_view buffer);

// A whole response: status line, Content-Length, the extra header lines
// (each "Name: value\r\n"), and the body unless `head_only`.
std::string response(int status, std::string_view content_type, std::string_view body,
                     std::string_view extra_headers = {}, bool keep_alive = true, bool head_only = false);

// The reason phrase of a status code ("Not Found").
std::string_view reason_phrase(int status) noexcept;

// ---- The WebSocket opening handshake (RFC 6455, 4.2)

// What a valid upgrade request asked for.
struct upgrade {
  std::string accept;       // Sec-WebSocket-Accept
  std::string subprotocol;  // chosen from the client's list, or ""
};

// Checks an upgrade request and picks the first subprotocol the client
// offers that is in `supported`. A missing or wrong version gets 426 with
// "Sec-WebSocket-Version: 13" (see upgrade_refusal_headers).
tl::expected<upgrade, error> check_upgrade(const request& req, std::span<const std::string_view> supported);

// Whether `req` asks for a WebSocket (Upgrade: websocket).
bool wants_upgrade(const request& req);

// The 101 response that completes the handshake.
std::string switching_protocols(const upgrade& u);

// base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view client_key);

// Header lines to send with an upgrade refused with `status`.
std::string_view upgrade_refusal_headers(int status) noexcept;

// ---- Origins

// Whether a WebSocket may be opened from a page of `origin`: requests with
// no Origin come from programs, not pages, and are allowed; a page of this
// server ("http://" or "https://" and the request's Host) is; other pages
// only if `allowed` lists their origin exactly (case-insensitive), or "*".
bool origin_allowed(const request& req, bool secure, std::span<const std::string> allowed);

}  // namespace protocol::http
