#include "protocol/http.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "protocol/chars.hpp"

namespace protocol::http {

namespace {

tl::unexpected<error> fail(int status, std::string_view reason) {
  return tl::make_unexpected(error{status, reason});
}

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 tchar: what a method or a field name is made of.
bool is_tchar(char c) noexcept {
  static constexpr std::string_view kMarks = "!#$%&'*+-.^_`|~";
  return is_letter(c) || is_digit(c) || kMarks.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// Field values: visible characters, spaces, tabs and obs-text, nothing
// else (no CR, LF or NUL that could split a header further on).
bool is_field_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
  });
}

bool is_target(std::string_view s) noexcept {
  return !s.empty() && s.front() == '/' && std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F;
  });
}

// Splits off the next line (without its CR LF or LF).
std::string_view take_line(std::string_view& rest) {
  const auto nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string base64(std::span<const unsigned char> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

// The decoded length of a base64 text with its padding, or -1.
int base64_decoded_size(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return -1;
  std::array<unsigned char, 64> out{};
  if (text.size() / 4 * 3 > out.size()) return -1;
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return -1;
  // EVP_DecodeBlock counts the padding as zero bytes.
  const auto pad = static_cast<int>(text.size() - text.find_last_not_of('=') - 1);
  return pad > 2 ? -1 : n - pad;
}

}  // namespace

std::optional<std::string_view> request::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

bool request::lists(std::string_view name, std::string_view token) const {
  // Every field of that name counts (a list may be split over several).
  for (const auto& [n, v] : headers) {
    if (!iequals(n, name)) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), token)) return true;
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    }
  }
  return false;
}

std::string_view request::path() const {
  return std::string_view(target).substr(0, target.find('?'));
}

bool request::keep_alive() const {
  if (lists("Connection", "close")) return false;
  return minor_version >= 1 || lists("Connection", "keep-alive");
}

tl::expected<std::optional<parsed>, error> parse_request(std::string_view buffer) {
  // Empty lines before a request are ignored (RFC 9112, 2.2).
  std::size_t skipped = 0;
  while (skipped < buffer.size() && (buffer[skipped] == '\r' || buffer[skipped] == '\n')) ++skipped;
  const std::string_view input = buffer.substr(skipped);
  const auto first_nl = input.find('\n');
  if (first_nl == std::string_view::npos && input.size() > kMaxHttpTarget + 32) {
    return fail(414, "the request target is too long");
  }
  std::size_t end = input.find("\r\n\r\n");
  std::size_t end_len = 4;
  if (const auto lf = input.find("\n\n");
      lf != std::string_view::npos && (end == std::string_view::npos || lf < end)) {
    end = lf;
    end_len = 2;
  }
  if (end == std::string_view::npos) {
    if (input.size() >= kMaxHttpHead) return fail(431, "the request head is too large");
    return std::nullopt;
  }
  if (end + end_len > kMaxHttpHead) return fail(431, "the request head is too large");

  std::string_view rest = input.substr(0, end + end_len);
  const std::string_view line = take_line(rest);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) return fail(400, "malformed request line");
  parsed out{request{}, skipped + end + end_len};
  request& req = out.req;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "malformed request method");
  if (target.size() > kMaxHttpTarget) return fail(414, "the request target is too long");
  if (!is_target(target)) return fail(400, "malformed request target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !is_digit(version[5]) || version[6] != '.' ||
      !is_digit(version[7])) {
    return fail(400, "malformed HTTP version");
  }
  if (version[5] != '1') return fail(505, "only HTTP/1.x is spoken here");
  req.method = method;
  req.target = target;
  req.minor_version = version[7] - '0';

  while (!rest.empty()) {
    const std::string_view field = take_line(rest);
    if (field.empty()) break;
    if (field.front() == ' ' || field.front() == '\t')
      return fail(400, "folded header lines are not accepted");
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) return fail(400, "malformed header line");
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trim(field.substr(colon + 1));
    if (!is_token(name)) return fail(400, "malformed header name");
    if (!is_field_value(value)) return fail(400, "malformed header value");
    if (req.headers.size() == kMaxHttpHeaders) return fail(431, "too many header fields");
    req.headers.emplace_back(name, value);
  }
  if (req.minor_version >= 1 && !req.header("Host")) return fail(400, "the Host header is missing");
  if (req.header("Transfer-Encoding")) return fail(413, "request bodies are not accepted");
  if (const auto length = req.header("Content-Length"); length && *length != "0") {
    return fail(413, "request bodies are not accepted");
  }
  return out;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 426:
      return "Upgrade Required";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string response(int status, std::string_view content_type, std::string_view body,
                     std::string_view extra_headers, bool keep_alive, bool head_only) {
  std::string out;
  out.reserve(160 + extra_headers.size() + (head_only ? 0 : body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";
  if (!content_type.empty()) {
    out += "Content-Type: ";
    out += content_type;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  // The page is ours alone: no framing by other sites, no guessing types.
  out += "X-Content-Type-Options: nosniff\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += extra_headers;
  out += "\r\n";
  if (!head_only) out += body;
  return out;
}

bool wants_upgrade(const request& req) {
  return req.lists("Upgrade", "websocket");
}

tl::expected<upgrade, error> check_upgrade(const request& req, std::span<const std::string_view> supported) {
  if (req.method != "GET") return fail(405, "a WebSocket opens with GET");
  if (req.minor_version < 1) return fail(400, "a WebSocket needs HTTP/1.1");
  if (!req.lists("Connection", "upgrade")) return fail(400, "Connection: Upgrade is missing");
  if (req.header("Sec-WebSocket-Version") != std::optional<std::string_view>("13")) {
    return fail(426, "only WebSocket version 13 is spoken here");
  }
  const auto key = req.header("Sec-WebSocket-Key");
  if (!key || base64_decoded_size(*key) != 16)
    return fail(400, "Sec-WebSocket-Key must be 16 bytes in base64");
  upgrade u{accept_key(*key), {}};
  for (const auto& [n, v] : req.headers) {
    if (!iequals(n, "Sec-WebSocket-Protocol") || !u.subprotocol.empty()) continue;
    std::string_view rest = v;
    while (!rest.empty() && u.subprotocol.empty()) {
      const auto comma = rest.find(',');
      const auto offered = trim(rest.substr(0, comma));
      if (std::find(supported.begin(), supported.end(), offered) != supported.end()) u.subprotocol = offered;
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    }
  }
  return u;
}

std::string_view upgrade_refusal_headers(int status) noexcept {
  return status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "";
}

std::string switching_protocols(const upgrade& u) {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
      "Upgrade\r\nSec-WebSocket-Accept: ";
  out += u.accept;
  out += "\r\n";
  if (!u.subprotocol.empty()) {
    out += "Sec-WebSocket-Protocol: ";
    out += u.subprotocol;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(client_key);
  input += kGuid;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) return {};
  return base64(std::span<const unsigned char>(digest.data(), size));
}

bool origin_allowed(const request& req, bool secure, std::span<const std::string> allowed) {
  const auto origin = req.header("Origin");
  if (!origin) return true;
  const auto host = req.header("Host");
  if (host) {
    const std::string own = std::string(secure ? "https://" : "http://") + std::string(*host);
    if (iequals(*origin, own)) return true;
  }
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return a == "*" || iequals(a, *origin); });
}

}  // namespace protocol::http
