// SASL's framing: AUTHENTICATE chunks, strict base64, the PLAIN message and
// the certificate fingerprints EXTERNAL goes by.
// (SCRAM-SHA-256 and the stored credentials are in sasl_scram.cpp.)
#include "protocol/sasl.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

namespace protocol::sasl {

namespace {

constexpr bool is_base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// The number of '=' that end `text` if it is well-formed padded base64
// (0 to 2), or nothing. EVP_DecodeBlock alone is not enough: it skips
// whitespace, takes '=' anywhere and counts the padding as zero bytes.
std::optional<std::size_t> base64_padding(std::string_view text) noexcept {
  if (text.size() % 4 != 0) return std::nullopt;
  const std::size_t data = text.find_last_not_of('=') + 1;  // npos + 1 == 0: all '='
  const std::size_t pad = text.size() - data;
  if (pad > 2 || (!text.empty() && data == 0)) return std::nullopt;
  if (!std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(data), is_base64_char)) {
    return std::nullopt;
  }
  return pad;
}

// Forgets bytes that may hold a password (a PLAIN message is one).
void wipe(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  const auto pad = base64_padding(text);
  if (!pad) return std::nullopt;
  if (text.empty()) return std::string();
  std::string out(text.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - *pad);
  return out;
}

std::string encode_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  if (out.empty()) return out;
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

assembler::step assembler::feed(std::string_view chunk) {
  // A message already whole and not taken is dropped: this chunk starts
  // the next one.
  if (whole_) reset();
  if (chunk == "+") {
    whole_ = true;
  } else if (chunk.empty() || chunk.size() > kChunk) {
    reset();
    return step::bad;
  } else if (base64_.size() + chunk.size() > kMaxMessage) {
    reset();
    return step::too_long;
  } else {
    base64_.append(chunk);
    if (chunk.size() == kChunk) return step::more;
    whole_ = true;
  }
  // Checked once whole: a chunk boundary may fall anywhere in the base64.
  if (!base64_padding(base64_)) {
    reset();
    return step::bad;
  }
  return step::done;
}

std::string assembler::take() {
  std::string message;
  if (whole_) message = decode_base64(base64_).value_or(std::string());
  reset();
  return message;
}

void assembler::reset() noexcept {
  wipe(base64_);
  whole_ = false;
}

std::vector<std::string> chunks(std::string_view base64) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < base64.size(); at += kChunk) out.emplace_back(base64.substr(at, kChunk));
  // A full last chunk would say "more follows": "+" says there is no more.
  if (base64.size() % kChunk == 0) out.emplace_back("+");
  return out;
}

tl::expected<plain_message, std::string> parse_plain(std::string_view message) {
  if (std::count(message.begin(), message.end(), '\0') != 2) {
    return tl::make_unexpected("not a PLAIN message");
  }
  const std::size_t first = message.find('\0');
  const std::size_t second = message.find('\0', first + 1);
  plain_message m;
  m.authcid.assign(message.substr(first + 1, second - first - 1));
  if (m.authcid.empty()) return tl::make_unexpected("no account name");
  const std::string_view password = message.substr(second + 1);
  if (password.empty()) return tl::make_unexpected("empty password");
  if (password.size() > kMaxPassword) return tl::make_unexpected("password too long");
  m.authzid.assign(message.substr(0, first));
  m.password.assign(password);
  return m;
}

std::optional<std::string> parse_certfp(std::string_view text) {
  // With colons: "ab:cd:...", a colon after every pair but the last.
  const bool colons = text.size() == kCertfpLength + kCertfpLength / 2 - 1;
  if (text.size() != kCertfpLength && !colons) return std::nullopt;
  std::string out;
  out.reserve(kCertfpLength);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (colons && i % 3 == 2) {
      if (c != ':') return std::nullopt;
      continue;
    }
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      out += c;
    } else if (c >= 'A' && c <= 'F') {
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace protocol::sasl
