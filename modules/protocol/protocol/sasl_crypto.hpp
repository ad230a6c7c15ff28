// The hashes SCRAM-SHA-256 is made of (RFC 5802, RFC 7677): SHA-256,
// HMAC-SHA-256 and PBKDF2 with HMAC-SHA-256, over libcrypto. Shared by the
// server's side (sasl_scram.cpp) and the client's (client/core/sasl_client).
// Every call says whether it worked: a failure that left a zeroed digest
// could otherwise turn into a key anyone can match.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace protocol::sasl {

inline constexpr std::size_t kDigestBytes = 32;  // SHA-256's
using digest = std::array<unsigned char, kDigestBytes>;

// The digest's bytes as a string_view (keys and messages are byte strings).
inline std::string_view as_text(const digest& d) noexcept {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

bool sha256(std::string_view data, digest& out) noexcept;
bool hmac_sha256(std::string_view key, std::string_view data, digest& out) noexcept;
// SaltedPassword: PBKDF2-HMAC-SHA-256 of `password` (false past INT_MAX
// bytes or iterations, which libcrypto cannot take).
bool pbkdf2_sha256(std::string_view password, std::string_view salt, std::uint32_t iterations,
                   digest& out) noexcept;

// Overwrites `d` in a way the compiler keeps (OPENSSL_cleanse).
void cleanse(digest& d) noexcept;

}  // namespace protocol::sasl
