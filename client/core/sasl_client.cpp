// SASL's client side: PLAIN and SCRAM-SHA-256 (RFC 5802, RFC 7677). As on
// the server (protocol/sasl_scram.cpp), SASLprep is not applied: the
// account and password go as their UTF-8 bytes.
#include "core/sasl_client.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <optional>
#include <utility>

#include "protocol/sasl.hpp"
#include "protocol/sasl_crypto.hpp"

namespace client {

namespace {

using protocol::sasl::as_text;
using protocol::sasl::digest;
using protocol::sasl::hmac_sha256;

// RFC 5802's saslname: ',' and '=' escaped.
std::string saslname(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

// The value of "<name>=value" among the comma-separated attributes of
// `message`; nothing if it is absent.
std::optional<std::string_view> attribute(std::string_view message, char name) {
  while (!message.empty()) {
    const auto comma = message.find(',');
    const auto field = message.substr(0, comma);
    if (field.size() >= 2 && field[0] == name && field[1] == '=') return field.substr(2);
    message = comma == std::string_view::npos ? std::string_view{} : message.substr(comma + 1);
  }
  return std::nullopt;
}

}  // namespace

std::string plain_message(std::string_view account, std::string_view password) {
  std::string m(account);
  m += '\0';
  m += account;
  m += '\0';
  m += password;
  return m;
}

std::string random_nonce() {
  std::array<unsigned char, 24> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return {};
  // 24 bytes: base64 without padding, and base64 has no ','.
  return protocol::sasl::encode_base64({reinterpret_cast<const char*>(random.data()), random.size()});
}

scram_client::scram_client(std::string account, std::string password, std::string nonce)
    : account_(std::move(account)), password_(std::move(password)), nonce_(std::move(nonce)) {}

scram_client::~scram_client() {
  OPENSSL_cleanse(password_.data(), password_.size());
}

std::string scram_client::first() const {
  return "n,,n=" + saslname(account_) + ",r=" + nonce_;
}

tl::expected<std::string, std::string> scram_client::final(std::string_view server_first) {
  const auto fail = [](std::string_view why) { return tl::make_unexpected(std::string(why)); };
  if (server_first.starts_with("m=")) return fail("the server asks for an extension");
  const auto nonce = attribute(server_first, 'r');
  const auto salt_b64 = attribute(server_first, 's');
  const auto count = attribute(server_first, 'i');
  if (!nonce || !salt_b64 || !count) return fail("a malformed challenge");
  // The server's nonce extends ours: else it is a replay, or not for us.
  if (nonce->size() <= nonce_.size() || !nonce->starts_with(nonce_)) return fail("a nonce that is not ours");
  const auto salt = protocol::sasl::decode_base64(*salt_b64);
  if (!salt || salt->empty()) return fail("a malformed salt");
  std::uint32_t iterations = 0;
  const auto [ptr, ec] = std::from_chars(count->data(), count->data() + count->size(), iterations);
  if (ec != std::errc() || ptr != count->data() + count->size()) return fail("a malformed iteration count");
  if (iterations < kMinScramIterations || iterations > kMaxScramIterations)
    return fail("an iteration count out of range (" + std::string(*count) + ")");
  // "biws" is base64 of the gs2 header "n,,": no channel binding.
  const std::string without_proof = "c=biws,r=" + std::string(*nonce);
  const std::string auth_message = first().substr(3) + "," + std::string(server_first) + "," + without_proof;

  digest salted{};
  digest client_key{};
  digest stored{};
  digest signature{};
  digest server_key{};
  digest server_signature{};
  const bool ok = protocol::sasl::pbkdf2_sha256(password_, *salt, iterations, salted) &&
                  hmac_sha256(as_text(salted), "Client Key", client_key) &&
                  protocol::sasl::sha256(as_text(client_key), stored) &&
                  hmac_sha256(as_text(stored), auth_message, signature) &&
                  hmac_sha256(as_text(salted), "Server Key", server_key) &&
                  hmac_sha256(as_text(server_key), auth_message, server_signature);
  digest proof{};
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = client_key[i] ^ signature[i];
  protocol::sasl::cleanse(salted);
  protocol::sasl::cleanse(client_key);
  protocol::sasl::cleanse(server_key);
  if (!ok) return fail("a cryptographic failure");
  server_signature_ = protocol::sasl::encode_base64(as_text(server_signature));
  return without_proof + ",p=" + protocol::sasl::encode_base64(as_text(proof));
}

bool scram_client::verify(std::string_view server_final) const {
  const auto v = attribute(server_final, 'v');
  if (server_signature_.empty() || !v || v->size() != server_signature_.size()) return false;
  return CRYPTO_memcmp(v->data(), server_signature_.data(), v->size()) == 0;
}

}  // namespace client
