#include "door/secret.hpp"

#include <openssl/crypto.h>
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

}  // namespace door
