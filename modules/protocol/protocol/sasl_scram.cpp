// SCRAM-SHA-256 (RFC 5802, RFC 7677): the credentials an account stores and
// the server's side of the exchange. SASLprep is not applied: names and
// passwords are compared as their UTF-8 bytes, so non-ASCII is not normalised.
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>

#include "protocol/sasl.hpp"
#include "protocol/sasl_crypto.hpp"
#include "protocol/utf8.hpp"

namespace protocol::sasl {

namespace {

constexpr std::string_view kCredentialPrefix = "scram-sha-256$";

// The key that makes the salts of unknown accounts: random per process, so
// they cannot be told from real ones, yet the same on every try of a name.
const digest& fake_salt_key() {
  static const digest key = [] {
    digest k{};
    // If the random source failed the key is all zeros: the salts are still
    // the same per name, only predictable by someone who knows of the failure.
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) k.fill(0);
    return k;
  }();
  return key;
}

// RFC 5802's saslname with "=2C" and "=3D" undone; nothing if it is empty,
// has another '=' escape, a NUL or is not UTF-8.
std::optional<std::string> decode_saslname(std::string_view name) {
  if (name.empty()) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '\0') return std::nullopt;
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    const std::string_view escape = name.substr(i + 1, 2);
    if (escape == "2C") {
      out.push_back(',');
    } else if (escape == "3D") {
      out.push_back('=');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  if (!is_valid_utf8(out)) return std::nullopt;
  return out;
}

// RFC 5802's printable: ASCII from '!' to '~' but ','.
bool is_nonce(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '!' || c > '~' || c == ',') return false;
  }
  return true;
}

// The value of attribute `name` ("n=value") at the front of `rest`; `rest`
// moves past the value, to its ',' or its end.
std::optional<std::string_view> take_attribute(std::string_view& rest, char name) {
  if (rest.size() < 2 || rest[0] != name || rest[1] != '=') return std::nullopt;
  const std::size_t end = std::min(rest.find(','), rest.size());
  const std::string_view value = rest.substr(2, end - 2);
  rest.remove_prefix(end);
  return value;
}

// What may follow the attributes a message must have: ",x=value" extensions,
// which RFC 5802 lets a server ignore. "m=" is not one (it is mandatory).
bool only_extensions(std::string_view rest) noexcept {
  while (!rest.empty()) {
    if (rest.size() < 3 || rest[0] != ',' || rest[2] != '=') return false;
    const char name = rest[1];
    if (!((name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z')) || name == 'm') return false;
    rest.remove_prefix(1);
    rest.remove_prefix(std::min(rest.find(','), rest.size()));
  }
  return true;
}

}  // namespace

scram_credential derive_credential(std::string_view password, std::string_view salt,
                                   std::uint32_t iterations) {
  scram_credential c;
  c.salt.assign(salt);
  c.iterations = iterations;
  digest salted{};
  digest client_key{};
  digest stored{};
  digest server{};
  const bool ok = pbkdf2_sha256(password, salt, iterations, salted) &&
                  hmac_sha256(as_text(salted), "Client Key", client_key) &&
                  sha256(as_text(client_key), stored) && hmac_sha256(as_text(salted), "Server Key", server);
  // Left empty on failure, the keys match no proof and no password.
  if (ok) {
    c.stored_key.assign(as_text(stored));
    c.server_key.assign(as_text(server));
  }
  // SaltedPassword and ClientKey are as good as the password.
  cleanse(salted);
  cleanse(client_key);
  return c;
}

std::optional<scram_credential> make_credential(std::string_view password) {
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return std::nullopt;
  return derive_credential(password, {reinterpret_cast<const char*>(salt.data()), salt.size()});
}

bool verify_password(const scram_credential& c, std::string_view password) {
  if (c.stored_key.size() != kDigestBytes) return false;
  const scram_credential given = derive_credential(password, c.salt, c.iterations);
  return given.stored_key.size() == c.stored_key.size() &&
         CRYPTO_memcmp(given.stored_key.data(), c.stored_key.data(), c.stored_key.size()) == 0;
}

std::string encode_credential(const scram_credential& c) {
  std::string out(kCredentialPrefix);
  out += std::to_string(c.iterations);
  out += '$';
  out += encode_base64(c.salt);
  out += '$';
  out += encode_base64(c.stored_key);
  out += '$';
  out += encode_base64(c.server_key);
  return out;
}

std::optional<scram_credential> decode_credential(std::string_view line) {
  if (!line.starts_with(kCredentialPrefix)) return std::nullopt;
  line.remove_prefix(kCredentialPrefix.size());
  std::array<std::string_view, 4> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::size_t end = line.find('$');
    // Exactly four fields: the last one has no '$' after it.
    if ((end == std::string_view::npos) != (i + 1 == fields.size())) return std::nullopt;
    fields[i] = line.substr(0, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end + 1);
  }
  scram_credential c;
  const std::string_view n = fields[0];
  const auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), c.iterations);
  // (Past INT_MAX, PBKDF2 could not take it.)
  if (n.empty() || ec != std::errc() || ptr != n.data() + n.size() || c.iterations < kMinScramIterations ||
      c.iterations > INT_MAX) {
    return std::nullopt;
  }
  auto salt = decode_base64(fields[1]);
  auto stored = decode_base64(fields[2]);
  auto server = decode_base64(fields[3]);
  if (!salt || salt->empty() || !stored || stored->size() != kDigestBytes || !server ||
      server->size() != kDigestBytes) {
    return std::nullopt;
  }
  c.salt = std::move(*salt);
  c.stored_key = std::move(*stored);
  c.server_key = std::move(*server);
  return c;
}

scram_server::scram_server(std::string nonce) : server_nonce_(std::move(nonce)) {
  if (!server_nonce_.empty()) return;
  std::array<unsigned char, kNonceBytes> random{};
  // Without randomness the nonce stays empty and client_first refuses.
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return;
  // base64 is printable and has no ','; '=' is dropped all the same.
  server_nonce_ = encode_base64({reinterpret_cast<const char*>(random.data()), random.size()});
  server_nonce_.erase(server_nonce_.find_last_not_of('=') + 1);
}

tl::expected<std::string, std::string> scram_server::client_first(std::string_view message) {
  // Any refusal ends the exchange.
  const auto refuse = [this](std::string_view why) {
    state_ = state::done;
    return tl::make_unexpected(std::string(why));
  };
  if (state_ != state::start) return refuse("out of order");
  if (server_nonce_.empty()) return refuse("no server nonce");
  // gs2-header: "n," or "y," (no channel binding), an optional "a=" authzid, ','.
  std::string_view rest = message;
  if (rest.starts_with("p=")) return refuse("channel binding is not supported");
  if (!rest.starts_with("n,") && !rest.starts_with("y,")) return refuse("bad gs2 header");
  rest.remove_prefix(2);
  const std::size_t comma = rest.find(',');
  if (comma == std::string_view::npos) return refuse("bad gs2 header");
  const std::string_view authzid_field = rest.substr(0, comma);
  rest.remove_prefix(comma + 1);
  const std::string_view gs2_header = message.substr(0, message.size() - rest.size());
  const std::string_view bare = rest;

  if (rest.starts_with("m=")) return refuse("mandatory extensions are not supported");
  const auto name_field = take_attribute(rest, 'n');
  if (!name_field) return refuse("no user name");
  auto name = decode_saslname(*name_field);
  if (!name) return refuse("bad user name");
  if (!rest.starts_with(',')) return refuse("no nonce");
  rest.remove_prefix(1);
  const auto nonce = take_attribute(rest, 'r');
  if (!nonce || !is_nonce(*nonce)) return refuse("bad nonce");
  if (!only_extensions(rest)) return refuse("bad client-first-message");

  if (!authzid_field.empty()) {
    if (!authzid_field.starts_with("a=")) return refuse("bad gs2 header");
    const auto authzid = decode_saslname(authzid_field.substr(2));
    if (!authzid) return refuse("bad authorization identity");
    if (*authzid != *name) return refuse("authorization identity differs from the user");
  }
  gs2_header_.assign(gs2_header);
  client_first_bare_.assign(bare);
  client_nonce_.assign(*nonce);
  state_ = state::first_read;
  return std::move(*name);
}

std::string scram_server::server_first(const scram_credential& c) {
  if (state_ != state::first_read) {
    state_ = state::done;
    return {};
  }
  credential_ = c;
  server_first_ = "r=" + client_nonce_ + server_nonce_ + ",s=" + encode_base64(c.salt) +
                  ",i=" + std::to_string(c.iterations);
  state_ = state::first_sent;
  return server_first_;
}

std::string scram_server::server_first_unknown(std::string_view account) {
  digest fake{};
  const digest& key = fake_salt_key();
  scram_credential c;
  // Shaped like a real credential so that the proof costs the same to check;
  // unknown_ fails it whatever the keys are.
  if (hmac_sha256(as_text(key), account, fake)) c.salt.assign(as_text(fake).substr(0, kSaltBytes));
  c.stored_key.assign(kDigestBytes, '\0');
  c.server_key.assign(kDigestBytes, '\0');
  unknown_ = true;
  return server_first(c);
}

tl::expected<std::string, std::string> scram_server::client_final(std::string_view message) {
  // Over either way: the account's keys are not kept past the exchange.
  const auto refuse = [this](std::string_view why) {
    state_ = state::done;
    credential_ = {};
    return tl::make_unexpected(std::string(why));
  };
  if (state_ != state::first_sent) return refuse("out of order");
  // The proof comes last, and base64 has no ','.
  const std::size_t last = message.rfind(',');
  if (last == std::string_view::npos) return refuse("bad client-final-message");
  const std::string_view without_proof = message.substr(0, last);
  std::string_view proof_field = message.substr(last + 1);
  const auto proof_b64 = take_attribute(proof_field, 'p');
  if (!proof_b64) return refuse("no proof");

  std::string_view rest = without_proof;
  const auto binding_b64 = take_attribute(rest, 'c');
  if (!binding_b64) return refuse("no channel binding");
  if (!rest.starts_with(',')) return refuse("no nonce");
  rest.remove_prefix(1);
  const auto nonce = take_attribute(rest, 'r');
  if (!nonce) return refuse("no nonce");
  if (!only_extensions(rest)) return refuse("bad client-final-message");
  const auto binding = decode_base64(*binding_b64);
  if (!binding || *binding != gs2_header_) return refuse("channel binding differs");
  if (*nonce != client_nonce_ + server_nonce_) return refuse("wrong nonce");
  const auto proof = decode_base64(*proof_b64);
  if (!proof || proof->size() != kDigestBytes) return refuse("bad proof");

  const std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  digest signature{};
  digest client_key{};
  digest stored{};
  digest server_signature{};
  if (credential_.stored_key.size() != kDigestBytes ||
      !hmac_sha256(credential_.stored_key, auth_message, signature)) {
    return refuse("wrong password");
  }
  for (std::size_t i = 0; i < client_key.size(); ++i) {
    client_key[i] = static_cast<unsigned char>(static_cast<unsigned char>((*proof)[i]) ^ signature[i]);
  }
  const bool match = sha256(as_text(client_key), stored) &&
                     CRYPTO_memcmp(stored.data(), credential_.stored_key.data(), stored.size()) == 0;
  cleanse(client_key);
  if (!match || unknown_) return refuse("wrong password");
  if (!hmac_sha256(credential_.server_key, auth_message, server_signature)) return refuse("wrong password");
  state_ = state::done;
  credential_ = {};
  return "v=" + encode_base64(as_text(server_signature));
}

}  // namespace protocol::sasl
