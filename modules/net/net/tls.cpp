#include "net/tls.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <memory>
#include <string_view>

namespace net {

namespace {

// The session id context a server that asks for client certificates must
// set, or OpenSSL refuses to resume its sessions (the handshake fails).
constexpr std::string_view kSessionContext = "chat-server";

// Any certificate will do, and none: the fingerprint is the identity, not a
// chain to some authority.
int accept_any(int /*preverified*/, X509_STORE_CTX* /*store*/) {
  return 1;
}

}  // namespace

tl::expected<std::shared_ptr<asio::ssl::context>, std::string> make_server_context(const tls_files& files) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    return tl::make_unexpected(std::string("cannot require TLS 1.2 or later"));
  }
  std::error_code ec;
  context->use_certificate_chain_file(files.cert_file, ec);
  if (ec) return tl::make_unexpected("certificate " + files.cert_file + ": " + ec.message());
  context->use_private_key_file(files.key_file, asio::ssl::context::pem, ec);
  if (ec) return tl::make_unexpected("private key " + files.key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return tl::make_unexpected("private key " + files.key_file + " does not match certificate " +
                               files.cert_file);
  }
  // Ask for a client certificate (SASL EXTERNAL), but neither require one
  // (no SSL_VERIFY_FAIL_IF_NO_PEER_CERT) nor check it.
  SSL_CTX_set_verify(context->native_handle(), SSL_VERIFY_PEER, accept_any);
  if (SSL_CTX_set_session_id_context(context->native_handle(),
                                     reinterpret_cast<const unsigned char*>(kSessionContext.data()),
                                     static_cast<unsigned int>(kSessionContext.size())) != 1) {
    return tl::make_unexpected(std::string("cannot set the TLS session id context"));
  }
  return context;
}

std::string peer_fingerprint(SSL* ssl) {
  // The leaf, also after a resumed session (it is kept in the session).
  const std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(ssl), X509_free);
  if (!cert) return {};
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  // X509_digest hashes the certificate's DER encoding.
  if (X509_digest(cert.get(), EVP_sha256(), md.data(), &n) != 1) return {};
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0x0f];
  }
  return out;
}

}  // namespace net
