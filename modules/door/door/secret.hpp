// Secrets (passwords): comparing them without telling an attacker, by the
// time the answer takes, how much of a guess was right; and storing
// operator passwords as salted, memory-hard hashes rather than in clear.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace door {

// The cost of an operator password hash (argon2id, RFC 9106): 19 MiB of
// memory and 2 passes, one lane, the least OWASP recommends for argon2id; a
// check takes some tens of milliseconds, off the event loop (irc_settings::
// slow_work). A 16-byte random salt and a 32-byte hash.
inline constexpr std::uint32_t kHashMemoryKiB = 19 * 1024;
inline constexpr std::uint32_t kHashPasses = 2;
inline constexpr std::uint32_t kHashLanes = 1;
inline constexpr std::size_t kHashSaltBytes = 16;
inline constexpr std::size_t kHashBytes = 32;
// How a stored hash begins (the PHC string format argon2 writes).
inline constexpr std::string_view kHashPrefix = "$argon2id$";

// True if `a` and `b` are equal. Both are hashed (SHA-256) and the digests
// compared with OpenSSL's CRYPTO_memcmp, so the time depends on neither
// content nor where they differ; only on their lengths, through the hash.
bool same_secret(std::string_view a, std::string_view b) noexcept;

// `password` hashed with argon2id and a fresh random salt, as
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>". Empty if the system's
// random source or argon2 failed.
std::string hash_password(std::string_view password);

// True if `stored` is a hash this server can check (kHashPrefix).
bool is_password_hash(std::string_view stored) noexcept;

// True if `given` is the password that `stored` stands for: checked against
// the hash when `stored` is one, else compared as a plain password (older
// configurations; the server warns about them at start).
bool password_matches(std::string_view stored, std::string_view given);

}  // namespace door
