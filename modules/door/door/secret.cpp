#include "door/secret.hpp"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

namespace door {

bool same_secret(std::string_view a, std::string_view b) noexcept {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> da{};
  std::array<unsigned char, SHA256_DIGEST_LENGTH> db{};
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da.data());
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db.data());
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::string hash_password(std::string_view password) {
  std::array<unsigned char, kHashSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return {};
  std::string encoded(
      argon2_encodedlen(kHashPasses, kHashMemoryKiB, kHashLanes, salt.size(), kHashBytes, Argon2_id), '\0');
  const int rc =
      argon2id_hash_encoded(kHashPasses, kHashMemoryKiB, kHashLanes, password.data(), password.size(),
                            salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return {};
  encoded.resize(encoded.find('\0'));  // argon2_encodedlen counts the terminator
  return encoded;
}

bool is_password_hash(std::string_view stored) noexcept {
  return stored.starts_with(kHashPrefix);
}

bool password_matches(std::string_view stored, std::string_view given) {
  if (!is_password_hash(stored)) return same_secret(stored, given);
  // argon2 wants a C string for the hash.
  const std::string encoded(stored);
  return argon2id_verify(encoded.c_str(), given.data(), given.size()) == ARGON2_OK;
}

}  // namespace door
