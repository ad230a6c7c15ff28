// SASL: AUTHENTICATE's chunks, base64, PLAIN, the stored credentials and
// SCRAM-SHA-256 against RFC 7677's example and a client played with libcrypto.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <cctype>
#include <string>

#include <catch2/catch.hpp>

#include "protocol/sasl.hpp"
#include "protocol/sasl_crypto.hpp"

namespace sasl = protocol::sasl;

namespace {

// RFC 7677 section 3.
constexpr std::string_view kRfcClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kRfcSalt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr std::string_view kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+"
    "Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

sasl::scram_credential rfc_credential() {
  return sasl::derive_credential("pencil", sasl::decode_base64(kRfcSalt).value(), 4096);
}

// A server that has read the RFC's client-first and sent its server-first.
sasl::scram_server rfc_server_after_first() {
  sasl::scram_server s{std::string(kRfcServerNonce)};
  REQUIRE(s.client_first(kRfcClientFirst) == std::string("user"));
  REQUIRE(s.server_first(rfc_credential()) == kRfcServerFirst);
  return s;
}

std::string hmac(std::string_view key, std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  unsigned int size = 0;
  REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
               reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
               &size) != nullptr);
  return {reinterpret_cast<const char*>(out.data()), size};
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return {reinterpret_cast<const char*>(out.data()), out.size()};
}

// The value of attribute `name` in a SCRAM message ("r=...,s=...,i=...").
std::string attribute(std::string_view message, char name) {
  const std::string key = "," + std::string(1, name) + "=";
  const std::string with_comma = "," + std::string(message);
  std::size_t at = with_comma.find(key);
  REQUIRE(at != std::string::npos);
  at += key.size();
  return with_comma.substr(at, with_comma.find(',', at) - at);
}

// The client's side of SCRAM-SHA-256, from RFC 5802 rather than the server's
// code: the client-final-message, and the server-final-message to expect.
struct client_final_message {
  std::string message;
  std::string expected_server_final;
};
client_final_message scram_client(std::string_view password, std::string_view client_first_bare,
                                  std::string_view server_first, std::string_view gs2_header = "n,,") {
  const std::string salt = sasl::decode_base64(attribute(server_first, 's')).value();
  const int iterations = std::stoi(attribute(server_first, 'i'));
  std::array<unsigned char, SHA256_DIGEST_LENGTH> salted{};
  REQUIRE(PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                            reinterpret_cast<const unsigned char*>(salt.data()),
                            static_cast<int>(salt.size()), iterations, EVP_sha256(),
                            static_cast<int>(salted.size()), salted.data()) == 1);
  const std::string salted_password(reinterpret_cast<const char*>(salted.data()), salted.size());
  const std::string client_key = hmac(salted_password, "Client Key");
  const std::string without_proof =
      "c=" + sasl::encode_base64(gs2_header) + ",r=" + attribute(server_first, 'r');
  const std::string auth_message =
      std::string(client_first_bare) + "," + std::string(server_first) + "," + without_proof;
  const std::string signature = hmac(sha256(client_key), auth_message);
  std::string proof = client_key;
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
  return {without_proof + ",p=" + sasl::encode_base64(proof),
          "v=" + sasl::encode_base64(hmac(hmac(salted_password, "Server Key"), auth_message))};
}

std::string error_of(const tl::expected<std::string, std::string>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

}  // namespace

TEST_CASE("SCRAM-SHA-256 gives RFC 7677's example exactly", "[sasl]") {
  sasl::scram_server s = rfc_server_after_first();
  const auto final_message = s.client_final(kRfcClientFinal);
  REQUIRE(final_message.has_value());
  CHECK(*final_message == kRfcServerFinal);
  // The client in the test plays the same exchange byte for byte.
  const auto client = scram_client("pencil", "n=user,r=rOprNGfwEbeRWgbNEkqO", kRfcServerFirst);
  CHECK(client.message == kRfcClientFinal);
  CHECK(client.expected_server_final == kRfcServerFinal);
}

TEST_CASE("SCRAM-SHA-256 refuses a wrong proof", "[sasl]") {
  sasl::scram_server s = rfc_server_after_first();
  std::string final_message(kRfcClientFinal);
  final_message.replace(final_message.find(",p=") + 3, 4, "AAAA");
  CHECK(error_of(s.client_final(final_message)) == "wrong password");
  // A proof of another length, or not base64, is refused too.
  sasl::scram_server t = rfc_server_after_first();
  CHECK_FALSE(
      t.client_final(std::string(kRfcClientFinal.substr(0, kRfcClientFinal.find(",p="))) + ",p=AAAA"));
  sasl::scram_server u = rfc_server_after_first();
  CHECK_FALSE(u.client_final(std::string(kRfcClientFinal.substr(0, kRfcClientFinal.find(",p="))) + ",p=*"));
  // And the wrong password played properly.
  sasl::scram_server v = rfc_server_after_first();
  const auto client = scram_client("pencils", "n=user,r=rOprNGfwEbeRWgbNEkqO", kRfcServerFirst);
  CHECK(error_of(v.client_final(client.message)) == "wrong password");
}

TEST_CASE("SCRAM-SHA-256 refuses a wrong nonce", "[sasl]") {
  sasl::scram_server s = rfc_server_after_first();
  std::string final_message(kRfcClientFinal);
  final_message.replace(final_message.find("k0,"), 2, "k1");
  CHECK(error_of(s.client_final(final_message)) == "wrong nonce");
  // The client's nonce alone is not the whole nonce.
  sasl::scram_server t = rfc_server_after_first();
  CHECK(error_of(
            t.client_final("c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")) ==
        "wrong nonce");
}

TEST_CASE("SCRAM-SHA-256 refuses channel binding data other than its gs2 header", "[sasl]") {
  // "eSws" is base64 of "y,,": the client said "n,,".
  sasl::scram_server s = rfc_server_after_first();
  std::string final_message(kRfcClientFinal);
  final_message.replace(2, 4, "eSws");
  CHECK(error_of(s.client_final(final_message)) == "channel binding differs");
  sasl::scram_server t = rfc_server_after_first();
  final_message.replace(2, 4, "b!ws");
  CHECK_FALSE(t.client_final(final_message));
}

TEST_CASE("SCRAM-SHA-256 refuses channel binding and takes y", "[sasl]") {
  sasl::scram_server s;
  const std::string why = error_of(s.client_first("p=tls-unique,,n=user,r=abc"));
  CHECK(why.find("channel binding") != std::string::npos);
  // "y": the client could bind but believes the server cannot; that is so.
  sasl::scram_server t;
  REQUIRE(t.client_first("y,,n=user,r=abc") == std::string("user"));
  const std::string server_first = t.server_first(sasl::derive_credential("pw", "salt", 4096));
  const auto client = scram_client("pw", "n=user,r=abc", server_first, "y,,");
  CHECK(t.client_final(client.message) == client.expected_server_final);
  // Other flags are no gs2 header.
  sasl::scram_server u;
  CHECK_FALSE(u.client_first("x,,n=user,r=abc"));
  sasl::scram_server v;
  CHECK_FALSE(v.client_first("n,n=user,r=abc"));
}

TEST_CASE("SCRAM-SHA-256 takes an authzid only when it is the user", "[sasl]") {
  sasl::scram_server s;
  CHECK(error_of(s.client_first("n,a=admin,n=user,r=abc")) == "authorization identity differs from the user");
  sasl::scram_server t;
  CHECK(t.client_first("n,a=user,n=user,r=abc") == std::string("user"));
  sasl::scram_server u;
  CHECK(u.client_first("n,a=a=2Cb,n=a=2Cb,r=abc") == std::string("a,b"));
  sasl::scram_server v;
  CHECK_FALSE(v.client_first("n,x=user,n=user,r=abc"));
}

TEST_CASE("SCRAM-SHA-256 decodes saslname escapes and refuses bad ones", "[sasl]") {
  const auto name = [](std::string_view first) {
    sasl::scram_server s;
    return s.client_first(first);
  };
  CHECK(name("n,,n=us=2Cer,r=abc") == std::string("us,er"));
  CHECK(name("n,,n=a=3Db,r=abc") == std::string("a=b"));
  CHECK(name("n,,n==3D=2C,r=abc") == std::string("=,"));
  CHECK(name("n,,n=caf\xC3\xA9,r=abc") == std::string("caf\xC3\xA9"));
  CHECK_FALSE(name("n,,n=a=41,r=abc"));
  CHECK_FALSE(name("n,,n=a=2c,r=abc"));
  CHECK_FALSE(name("n,,n=a=2,r=abc"));
  CHECK_FALSE(name("n,,n=a=,r=abc"));
  CHECK_FALSE(name("n,,n=,r=abc"));
  CHECK_FALSE(name("n,,n=caf\xC3,r=abc"));
  CHECK_FALSE(name(std::string_view("n,,n=a\0b,r=abc", 14)));
  // The rest of the shape: a nonce must follow, printable, and "m=" is refused.
  CHECK_FALSE(name("n,,n=user"));
  CHECK_FALSE(name("n,,n=user,r="));
  CHECK_FALSE(name("n,,n=user,r=a\x01"));
  CHECK_FALSE(name("n,,r=abc,n=user"));
  CHECK_FALSE(name("n,,m=ext,n=user,r=abc"));
  CHECK_FALSE(name("n,,n=user,r=abc,m=ext"));
  CHECK_FALSE(name("n,,n=user,r=abc,"));
  CHECK(name("n,,n=user,r=abc,x=ext") == std::string("user"));
}

TEST_CASE("SCRAM-SHA-256 refuses steps out of order", "[sasl]") {
  {
    sasl::scram_server s;
    CHECK(error_of(s.client_final(kRfcClientFinal)) == "out of order");
  }
  {
    sasl::scram_server s;
    CHECK(s.server_first(rfc_credential()).empty());
    // The exchange is over.
    CHECK_FALSE(s.client_first(kRfcClientFirst));
  }
  {
    sasl::scram_server s{std::string(kRfcServerNonce)};
    REQUIRE(s.client_first(kRfcClientFirst));
    CHECK(error_of(s.client_first(kRfcClientFirst)) == "out of order");
    CHECK(s.server_first(rfc_credential()).empty());
  }
  {
    sasl::scram_server s{std::string(kRfcServerNonce)};
    REQUIRE(s.client_first(kRfcClientFirst));
    CHECK(error_of(s.client_final(kRfcClientFinal)) == "out of order");
  }
  {
    sasl::scram_server s = rfc_server_after_first();
    CHECK(s.server_first(rfc_credential()).empty());
    CHECK_FALSE(s.client_final(kRfcClientFinal));
  }
  {
    // Done once is done: the proof cannot be replayed on the same exchange.
    sasl::scram_server s = rfc_server_after_first();
    REQUIRE(s.client_final(kRfcClientFinal));
    CHECK(error_of(s.client_final(kRfcClientFinal)) == "out of order");
  }
  {
    // An error ends the exchange: the right proof after a wrong one fails.
    sasl::scram_server s = rfc_server_after_first();
    CHECK_FALSE(s.client_final("c=biws,r=x,p=AAAA"));
    CHECK(error_of(s.client_final(kRfcClientFinal)) == "out of order");
  }
}

TEST_CASE("SCRAM-SHA-256 for an unknown account goes on and always fails", "[sasl]") {
  sasl::scram_server s;
  REQUIRE(s.client_first("n,,n=nobody,r=abc") == std::string("nobody"));
  const std::string server_first = s.server_first_unknown("nobody");
  REQUIRE_FALSE(server_first.empty());
  // Shaped like a real account's: a salt of kSaltBytes, the default iterations.
  CHECK(sasl::decode_base64(attribute(server_first, 's')).value().size() == sasl::kSaltBytes);
  CHECK(attribute(server_first, 'i') == std::to_string(sasl::kScramIterations));
  const auto client = scram_client("any password", "n=nobody,r=abc", server_first);
  // The same reason as a real mismatch.
  CHECK(error_of(s.client_final(client.message)) == "wrong password");

  // The same made-up salt on every try of a name, another for another name.
  sasl::scram_server t;
  REQUIRE(t.client_first("n,,n=nobody,r=abc"));
  CHECK(attribute(t.server_first_unknown("nobody"), 's') == attribute(server_first, 's'));
  sasl::scram_server u;
  REQUIRE(u.client_first("n,,n=someone,r=abc"));
  CHECK(attribute(u.server_first_unknown("someone"), 's') != attribute(server_first, 's'));
  // Even a client that knows the made-up keys (all zeros) cannot pass.
  sasl::scram_server v;
  REQUIRE(v.client_first("n,,n=nobody,r=abc"));
  const std::string fake = v.server_first_unknown("nobody");
  const std::string zeros(SHA256_DIGEST_LENGTH, '\0');
  const std::string without_proof = "c=biws,r=" + attribute(fake, 'r');
  const std::string signature = hmac(zeros, "n=nobody,r=abc," + fake + "," + without_proof);
  CHECK(error_of(v.client_final(without_proof + ",p=" + sasl::encode_base64(signature))) == "wrong password");
}

TEST_CASE("SCRAM-SHA-256 round trip with a random server nonce", "[sasl]") {
  const auto credential = sasl::make_credential("correct horse");
  REQUIRE(credential);
  sasl::scram_server s;
  REQUIRE(s.client_first("n,,n=alice,r=clientnonce123") == std::string("alice"));
  const std::string server_first = s.server_first(*credential);
  const std::string nonce = attribute(server_first, 'r');
  REQUIRE(nonce.starts_with("clientnonce123"));
  const std::string server_part = nonce.substr(14);
  // kNonceBytes of randomness, printable, without ',' or '='.
  CHECK(server_part.size() == (sasl::kNonceBytes + 2) / 3 * 4);
  CHECK(server_part.find_first_of(",=") == std::string::npos);
  const auto client = scram_client("correct horse", "n=alice,r=clientnonce123", server_first);
  CHECK(s.client_final(client.message) == client.expected_server_final);
  // Another exchange has another nonce.
  sasl::scram_server t;
  REQUIRE(t.client_first("n,,n=alice,r=clientnonce123"));
  CHECK(attribute(t.server_first(*credential), 'r') != nonce);
}

TEST_CASE("SASL credentials verify the password and get fresh salts", "[sasl]") {
  const auto c = sasl::make_credential("secret");
  REQUIRE(c);
  CHECK(c->salt.size() == sasl::kSaltBytes);
  CHECK(c->iterations == sasl::kScramIterations);
  CHECK(c->stored_key.size() == 32);
  CHECK(c->server_key.size() == 32);
  CHECK(sasl::verify_password(*c, "secret"));
  CHECK_FALSE(sasl::verify_password(*c, "Secret"));
  CHECK_FALSE(sasl::verify_password(*c, ""));
  const auto d = sasl::make_credential("secret");
  REQUIRE(d);
  CHECK(c->salt != d->salt);
  CHECK(c->stored_key != d->stored_key);
  // The RFC's credential, and one whose keys are missing, which nothing matches.
  CHECK(sasl::verify_password(rfc_credential(), "pencil"));
  sasl::scram_credential broken = rfc_credential();
  broken.stored_key.clear();
  CHECK_FALSE(sasl::verify_password(broken, "pencil"));
}

TEST_CASE("SASL credentials encode and decode", "[sasl]") {
  const sasl::scram_credential c = rfc_credential();
  const std::string line = sasl::encode_credential(c);
  CHECK(line == "scram-sha-256$4096$W22ZaJ0SNY7soEsUEjb6gQ==$" + sasl::encode_base64(c.stored_key) + "$" +
                    sasl::encode_base64(c.server_key));
  CHECK(sasl::decode_credential(line) == c);
  const auto fresh = sasl::make_credential("pw");
  REQUIRE(fresh);
  CHECK(sasl::decode_credential(sasl::encode_credential(*fresh)) == *fresh);

  const std::string key = sasl::encode_base64(std::string(32, 'k'));
  const std::string short_key = sasl::encode_base64(std::string(31, 'k'));
  const auto with = [&](std::string_view iterations, std::string_view salt, std::string_view stored,
                        std::string_view server) {
    return "scram-sha-256$" + std::string(iterations) + "$" + std::string(salt) + "$" + std::string(stored) +
           "$" + std::string(server);
  };
  REQUIRE(sasl::decode_credential(with("4096", "c2FsdA==", key, key)));
  CHECK_FALSE(sasl::decode_credential("scram-sha-1$4096$c2FsdA==$" + key + "$" + key));
  CHECK_FALSE(sasl::decode_credential("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"));
  CHECK_FALSE(sasl::decode_credential(""));
  CHECK_FALSE(sasl::decode_credential(with("4095", "c2FsdA==", key, key)));
  CHECK_FALSE(sasl::decode_credential(with("", "c2FsdA==", key, key)));
  CHECK_FALSE(sasl::decode_credential(with("lots", "c2FsdA==", key, key)));
  CHECK_FALSE(sasl::decode_credential(with("4096x", "c2FsdA==", key, key)));
  CHECK_FALSE(sasl::decode_credential(with("-4096", "c2FsdA==", key, key)));
  CHECK_FALSE(sasl::decode_credential(with("+4096", "c2FsdA==", key, key)));
  CHECK_FALSE(sasl::decode_credential(with("99999999999", "c2FsdA==", key, key)));
  CHECK_FALSE(sasl::decode_credential(with("4096", "", key, key)));
  CHECK_FALSE(sasl::decode_credential(with("4096", "c2Fsd*==", key, key)));
  CHECK_FALSE(sasl::decode_credential(with("4096", "c2FsdA==", short_key, key)));
  CHECK_FALSE(sasl::decode_credential(with("4096", "c2FsdA==", key, short_key)));
  CHECK_FALSE(sasl::decode_credential(with("4096", "c2FsdA==", key, key + "$")));
  CHECK_FALSE(sasl::decode_credential(with("4096", "c2FsdA==", key, key + "$" + key)));
  CHECK_FALSE(sasl::decode_credential("scram-sha-256$4096$c2FsdA==$" + key));
}

TEST_CASE("SASL base64 is strict", "[sasl]") {
  CHECK(sasl::decode_base64("") == std::string());
  CHECK(sasl::encode_base64("").empty());
  CHECK(sasl::decode_base64("Zg==") == std::string("f"));
  CHECK(sasl::decode_base64("Zm8=") == std::string("fo"));
  CHECK(sasl::decode_base64("Zm9v") == std::string("foo"));
  CHECK(sasl::encode_base64("f") == "Zg==");
  CHECK(sasl::encode_base64("fo") == "Zm8=");
  CHECK(sasl::encode_base64("foo") == "Zm9v");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  CHECK(sasl::decode_base64(sasl::encode_base64(all)) == all);
  CHECK(sasl::decode_base64(sasl::encode_base64(std::string_view("\0\0", 2))) == std::string(2, '\0'));
  // Bad characters, anywhere.
  CHECK_FALSE(sasl::decode_base64("Zm9*"));
  CHECK_FALSE(sasl::decode_base64("Zm 9"));
  CHECK_FALSE(sasl::decode_base64(" Zm9v"));
  CHECK_FALSE(sasl::decode_base64("Zm9v\n"));
  CHECK_FALSE(sasl::decode_base64("Zm-_"));
  CHECK_FALSE(sasl::decode_base64(std::string_view("Zm9\0", 4)));
  // Bad lengths.
  CHECK_FALSE(sasl::decode_base64("Zm9"));
  CHECK_FALSE(sasl::decode_base64("Zg="));
  CHECK_FALSE(sasl::decode_base64("Zg"));
  CHECK_FALSE(sasl::decode_base64("Zm9vY"));
  // Padding only at the end, and no more than two.
  CHECK_FALSE(sasl::decode_base64("===="));
  CHECK_FALSE(sasl::decode_base64("Z==="));
  CHECK_FALSE(sasl::decode_base64("Z=g="));
  CHECK_FALSE(sasl::decode_base64("Zg==Zm9v"));
  CHECK_FALSE(sasl::decode_base64("Zg==Zg=="));
}

TEST_CASE("SASL certificate fingerprints are 64 hex digits kept lower case", "[sasl]") {
  const std::string lower = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  CHECK(sasl::parse_certfp(lower) == lower);
  CHECK(sasl::parse_certfp("0123456789ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef") == lower);
  // As openssl x509 -fingerprint -sha256 prints it.
  std::string colons;
  for (std::size_t i = 0; i < lower.size(); i += 2) {
    if (i > 0) colons += ':';
    colons += static_cast<char>(std::toupper(static_cast<unsigned char>(lower[i])));
    colons += static_cast<char>(std::toupper(static_cast<unsigned char>(lower[i + 1])));
  }
  CHECK(sasl::parse_certfp(colons) == lower);

  CHECK_FALSE(sasl::parse_certfp(""));
  CHECK_FALSE(sasl::parse_certfp(lower.substr(1)));
  CHECK_FALSE(sasl::parse_certfp(lower + "0"));
  CHECK_FALSE(sasl::parse_certfp(lower.substr(1) + "g"));
  CHECK_FALSE(sasl::parse_certfp(lower.substr(1) + " "));
  std::string misplaced = colons;
  std::swap(misplaced[2], misplaced[3]);  // "0:12..." instead of "01:2..."
  CHECK_FALSE(sasl::parse_certfp(misplaced));
  CHECK_FALSE(sasl::parse_certfp(std::string(95, ':')));
  CHECK(sasl::parse_certfp(std::string(sasl::kCertfpLength, 'F')) == std::string(64, 'f'));
}

TEST_CASE("SASL chunks split AUTHENTICATE payloads", "[sasl]") {
  const std::string a399(399, 'A');
  const std::string a400(400, 'A');
  CHECK(sasl::chunks("") == std::vector<std::string>{"+"});
  CHECK(sasl::chunks(a399) == std::vector<std::string>{a399});
  CHECK(sasl::chunks(a400) == std::vector<std::string>{a400, "+"});
  CHECK(sasl::chunks(std::string(800, 'A')) == std::vector<std::string>{a400, a400, "+"});
  CHECK(sasl::chunks(std::string(801, 'A')) == std::vector<std::string>{a400, a400, "A"});
}

TEST_CASE("SASL assembler puts chunks together", "[sasl]") {
  using step = sasl::assembler::step;
  sasl::assembler a;
  // "+" alone: an empty message.
  CHECK(a.feed("+") == step::done);
  CHECK(a.take().empty());
  // A full chunk then "+".
  const std::string a400(400, 'A');
  CHECK(a.feed(a400) == step::more);
  CHECK(a.feed("+") == step::done);
  CHECK(a.take() == std::string(300, '\0'));
  // A full chunk then a short one.
  CHECK(a.feed(a400) == step::more);
  CHECK(a.feed("Zm9v") == step::done);
  CHECK(a.take() == std::string(300, '\0') + "foo");
  // One short chunk.
  CHECK(a.feed("Zm9v") == step::done);
  CHECK(a.take() == "foo");
  // A chunk over kChunk, an empty one, bad base64 at the end.
  CHECK(a.feed(std::string(401, 'A')) == step::bad);
  CHECK(a.feed("") == step::bad);
  CHECK(a.feed("Zm9") == step::bad);
  CHECK(a.feed(a400) == step::more);
  CHECK(a.feed("Zg=*") == step::bad);
  // Padding that a chunk boundary puts in the middle.
  CHECK(a.feed(std::string(398, 'A') + "==") == step::more);
  CHECK(a.feed("AAAA") == step::bad);
  // After a refusal it starts afresh.
  CHECK(a.feed("Zm9v") == step::done);
  CHECK(a.take() == "foo");
  // A message whole but not taken is dropped by the next chunk.
  CHECK(a.feed("Zm9v") == step::done);
  CHECK(a.feed("Zg==") == step::done);
  CHECK(a.take() == "f");
  // take() without a whole message gives nothing.
  CHECK(a.feed(a400) == step::more);
  CHECK(a.take().empty());
  CHECK(a.feed("Zg==") == step::done);
  CHECK(a.take() == "f");
}

TEST_CASE("SASL assembler takes kMaxMessage and no more", "[sasl]") {
  using step = sasl::assembler::step;
  const std::size_t full = sasl::kMaxMessage / sasl::kChunk;
  const std::size_t tail = sasl::kMaxMessage % sasl::kChunk;
  REQUIRE(tail % 4 == 0);
  const std::string chunk(sasl::kChunk, 'A');
  sasl::assembler a;
  const auto feed_full = [&] {
    for (std::size_t i = 0; i < full; ++i) REQUIRE(a.feed(chunk) == step::more);
  };
  feed_full();
  CHECK(a.feed(std::string(tail, 'A')) == step::done);
  CHECK(a.take().size() == sasl::kMaxMessage / 4 * 3);
  // One byte more.
  feed_full();
  CHECK(a.feed(std::string(tail + 1, 'A')) == step::too_long);
  // One full chunk more.
  feed_full();
  CHECK(a.feed(chunk) == step::too_long);
  // And it starts afresh after.
  CHECK(a.feed("Zm9v") == step::done);
  CHECK(a.take() == "foo");
}

TEST_CASE("SASL chunks and the assembler agree", "[sasl]") {
  for (const std::size_t size : std::array<std::size_t, 7>{0, 1, 299, 300, 301, 600, 1000}) {
    std::string message;
    for (std::size_t i = 0; i < size; ++i) message.push_back(static_cast<char>(i * 7));
    sasl::assembler a;
    sasl::assembler::step last = sasl::assembler::step::bad;
    for (const auto& c : sasl::chunks(sasl::encode_base64(message))) last = a.feed(c);
    CHECK(last == sasl::assembler::step::done);
    CHECK(a.take() == message);
  }
}

TEST_CASE("SASL PLAIN messages", "[sasl]") {
  using namespace std::string_literals;
  const auto good = sasl::parse_plain("\0alice\0secret"s);
  REQUIRE(good);
  CHECK(good->authzid.empty());
  CHECK(good->authcid == "alice");
  CHECK(good->password == "secret");
  const auto with_authzid = sasl::parse_plain("admin\0alice\0secret"s);
  REQUIRE(with_authzid);
  CHECK(with_authzid->authzid == "admin");
  CHECK(with_authzid->authcid == "alice");
  CHECK(with_authzid->password == "secret");
  CHECK_FALSE(sasl::parse_plain("alicesecret"));
  CHECK_FALSE(sasl::parse_plain("alice\0secret"s));
  CHECK_FALSE(sasl::parse_plain(""));
  CHECK_FALSE(sasl::parse_plain("a\0alice\0secret\0"s));
  CHECK_FALSE(sasl::parse_plain("a\0alice\0sec\0ret"s));
  CHECK(sasl::parse_plain("\0alice\0"s).error() == "empty password");
  CHECK(sasl::parse_plain("\0\0secret"s).error() == "no account name");
  CHECK(sasl::parse_plain("\0alice\0"s + std::string(sasl::kMaxPassword, 'p'))->password.size() ==
        sasl::kMaxPassword);
  CHECK(sasl::parse_plain("\0alice\0"s + std::string(sasl::kMaxPassword + 1, 'p')).error() ==
        "password too long");
}

namespace {

std::string hex(const sasl::digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : d) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xF];
  }
  return out;
}

}  // namespace

TEST_CASE("SASL crypto helpers give the standard vectors", "[sasl]") {
  sasl::digest d{};
  REQUIRE(sasl::sha256("abc", d));  // FIPS 180-2
  CHECK(hex(d) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(sasl::hmac_sha256("Jefe", "what do ya want for nothing?", d));  // RFC 4231 case 2
  CHECK(hex(d) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  REQUIRE(sasl::pbkdf2_sha256("passwd", "salt", 1, d));  // RFC 7914 section 11, the first 32 bytes
  CHECK(hex(d) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
  CHECK_FALSE(sasl::pbkdf2_sha256("password", "salt", 0x8000'0000U, d));  // past what libcrypto takes
  sasl::cleanse(d);
  CHECK(d == sasl::digest{});
}
