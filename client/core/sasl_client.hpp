// The client's side of SASL (IRCv3 sasl-3.1), pure: the PLAIN message and a
// SCRAM-SHA-256 client (RFC 5802, RFC 7677) that also checks the server's
// signature, so a server that does not know the password cannot pretend the
// login worked. AUTHENTICATE's chunks and base64: protocol/sasl.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace client {

// Iterations a server may ask of PBKDF2: fewer is a weak credential (RFC
// 7677 asks for 4096 at least), more would freeze the client (it runs on
// the event loop) for a hostile server's sake.
inline constexpr std::uint32_t kMinScramIterations = 4096;
inline constexpr std::uint32_t kMaxScramIterations = 1'000'000;

// PLAIN (RFC 4616): "authzid NUL authcid NUL password", the account as both.
std::string plain_message(std::string_view account, std::string_view password);

// A fresh client nonce: 24 random bytes in base64; empty if the random
// source failed.
std::string random_nonce();

class scram_client {
 public:
  // `nonce`: the client's nonce (printable, no ','), random_nonce() in use.
  scram_client(std::string account, std::string password, std::string nonce);
  ~scram_client();
  scram_client(const scram_client&) = delete;
  scram_client& operator=(const scram_client&) = delete;

  // The client-first-message: "n,,n=<account>,r=<nonce>".
  [[nodiscard]] std::string first() const;
  // The client-final-message for the server-first-message, or why not (a
  // nonce that is not ours extended, an iteration count out of range, a
  // bad shape). Remembers the signature the server must send back.
  tl::expected<std::string, std::string> final(std::string_view server_first);
  // True if `server_final` ("v=<signature>") proves the server knows the
  // credential; false for "e=..." or a wrong signature.
  [[nodiscard]] bool verify(std::string_view server_final) const;

 private:
  std::string account_;
  std::string password_;
  std::string nonce_;
  std::string server_signature_;  // expected, once final() succeeded
};

}  // namespace client
