#include "protocol/sasl_crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <climits>

namespace protocol::sasl {

static_assert(kDigestBytes == SHA256_DIGEST_LENGTH);

namespace {

const unsigned char* bytes(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

bool sha256(std::string_view data, digest& out) noexcept {
  return SHA256(bytes(data), data.size(), out.data()) != nullptr;
}

bool hmac_sha256(std::string_view key, std::string_view data, digest& out) noexcept {
  unsigned int size = 0;
  return key.size() <= INT_MAX &&
         HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data), data.size(), out.data(),
              &size) != nullptr &&
         size == out.size();
}

bool pbkdf2_sha256(std::string_view password, std::string_view salt, std::uint32_t iterations,
                   digest& out) noexcept {
  if (password.size() > INT_MAX || salt.size() > INT_MAX || iterations > INT_MAX) return false;
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt),
                           static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                           static_cast<int>(out.size()), out.data()) == 1;
}

void cleanse(digest& d) noexcept {
  OPENSSL_cleanse(d.data(), d.size());
}

}  // namespace protocol::sasl
