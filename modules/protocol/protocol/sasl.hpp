// SASL for IRC, pure: AUTHENTICATE's chunking, base64, the PLAIN message,
// SCRAM-SHA-256 (RFC 5802, RFC 7677) as a server-side state machine, and
// the credentials an account stores instead of its password.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace protocol::sasl {

// AUTHENTICATE carries base64 in chunks of this many bytes; a chunk this
// long says more follows, a shorter one (or "+") ends the message.
inline constexpr std::size_t kChunk = 400;
// The most bytes of base64 one SASL message may take once its chunks are
// put together (Ergo allows the same): more is 905 ERR_SASLTOOLONG.
inline constexpr std::size_t kMaxMessage = 8192;
// PBKDF2 iterations of a new credential: RFC 7677 asks for at least 4096;
// more makes a stolen database slower to attack and each login slower.
inline constexpr std::uint32_t kScramIterations = 8192;
// A client's credential may say no fewer (an older one is refused).
inline constexpr std::uint32_t kMinScramIterations = 4096;
// Random bytes in a new credential's salt, and in the server's nonce.
inline constexpr std::size_t kSaltBytes = 16;
inline constexpr std::size_t kNonceBytes = 18;
// The most bytes of a password (PLAIN, REGISTER): longer is refused.
inline constexpr std::size_t kMaxPassword = 300;

// The mechanisms this server offers, as the `sasl` cap's value lists them.
inline constexpr std::string_view kMechanisms = "PLAIN,EXTERNAL,SCRAM-SHA-256";

// A TLS client certificate's fingerprint as accounts keep it (EXTERNAL):
// SHA-256 of the certificate's DER, this many lowercase hex digits.
inline constexpr std::size_t kCertfpLength = 64;

// `text` as a fingerprint, lowercased: 64 hex digits in either case, or the
// same as 32 pairs with a colon between each (as `openssl x509 -fingerprint
// -sha256` prints it); nullopt for anything else.
std::optional<std::string> parse_certfp(std::string_view text);

// Puts AUTHENTICATE chunks together into one message.
class assembler {
 public:
  enum class step : std::uint8_t {
    more,      // a full chunk: wait for the next
    done,      // the message is whole: take() it
    too_long,  // past kMaxMessage: abort (905)
    bad,       // not base64, or a chunk longer than kChunk: abort (904)
  };
  step feed(std::string_view chunk);
  // The decoded message (empty for "+"); resets the assembler.
  std::string take();
  void reset() noexcept;

 private:
  std::string base64_;
  bool whole_ = false;  // base64_ is a whole, well-formed message
};

// Standard base64 (RFC 4648, with padding); nullopt if `text` is not.
std::optional<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view bytes);

// AUTHENTICATE's payload split into chunks of kChunk, each a parameter of
// one AUTHENTICATE line; a final "+" when the last chunk is exactly kChunk
// long (or the payload is empty).
std::vector<std::string> chunks(std::string_view base64);

// PLAIN (RFC 4616): "authzid NUL authcid NUL password".
struct plain_message {
  std::string authzid;  // may be empty: the same as authcid
  std::string authcid;
  std::string password;
};
tl::expected<plain_message, std::string> parse_plain(std::string_view message);

// What an account stores for its password (RFC 5802 section 3): never the
// password itself. Byte strings, not text.
struct scram_credential {
  std::string salt;
  std::uint32_t iterations = kScramIterations;
  std::string stored_key;  // H(HMAC(SaltedPassword, "Client Key"))
  std::string server_key;  // HMAC(SaltedPassword, "Server Key")
  friend bool operator==(const scram_credential&, const scram_credential&) = default;
};

// The credential for `password` with this salt and iteration count.
scram_credential derive_credential(std::string_view password, std::string_view salt,
                                   std::uint32_t iterations = kScramIterations);
// The same with a fresh random salt; nullopt if the random source failed.
std::optional<scram_credential> make_credential(std::string_view password);
// True if `password` is the one `c` stands for; compared in constant time
// (CRYPTO_memcmp). Costs c.iterations of PBKDF2: run it off the event loop.
bool verify_password(const scram_credential& c, std::string_view password);

// The credential as one line of text for storage and back:
// "scram-sha-256$<iterations>$<salt b64>$<stored key b64>$<server key b64>".
std::string encode_credential(const scram_credential& c);
std::optional<scram_credential> decode_credential(std::string_view text);

// The server's side of one SCRAM-SHA-256 exchange. Drive it in order:
// client_first, then (after looking the account up) server_first, then
// client_final. Any error ends the exchange (904).
class scram_server {
 public:
  // `nonce` is the server's part of the nonce; empty: random (tests pass
  // the RFC's).
  explicit scram_server(std::string nonce = {});

  // The client-first-message; the account name it asks for (SASLname
  // decoded: "=2C" is ',', "=3D" is '='), or why it is refused (channel
  // binding asked for, an authzid other than the user, a bad shape).
  tl::expected<std::string, std::string> client_first(std::string_view message);
  // The server-first-message for the account's credential (empty if not
  // called right after a successful client_first: the exchange is over).
  std::string server_first(const scram_credential& c);
  // For an unknown account: a server-first-message from a made-up salt, so
  // that the exchange goes on and fails at the proof (no account probing).
  // Pass the name as the account lookup saw it (e.g. case-folded), so that
  // each spelling of one name gets the same salt, as a real account would.
  std::string server_first_unknown(std::string_view account);
  // The client-final-message: the server-final-message ("v=...") if the
  // proof is right, else why not.
  tl::expected<std::string, std::string> client_final(std::string_view message);

 private:
  enum class state : std::uint8_t { start, first_read, first_sent, done };
  state state_ = state::start;
  bool unknown_ = false;
  std::string server_nonce_;
  std::string client_first_bare_;
  std::string client_nonce_;
  std::string gs2_header_;
  std::string server_first_;
  scram_credential credential_;
};

}  // namespace protocol::sasl
