// Comparing secrets (passwords) without telling an attacker, by the time the
// answer takes, how much of a guess was right.
#pragma once

#include <string_view>

namespace door {

// True if `a` and `b` are equal. Both are hashed (SHA-256) and the digests
// compared with OpenSSL's CRYPTO_memcmp, so the time depends on neither
// content nor where they differ; only on their lengths, through the hash.
bool same_secret(std::string_view a, std::string_view b) noexcept;

}  // namespace door
