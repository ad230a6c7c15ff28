// TLS for the listeners: a server context from certificate and key files
// (PEM), TLS 1.2 and 1.3 only, and the holder through which a reload swaps
// it while connected clients keep the one they started with.
//
// The context asks each client for a certificate but requires none and
// accepts any, self-signed included: a certificate proves nothing here but
// that the client holds its key, and its fingerprint is an identity an
// account may claim (SASL EXTERNAL, NickServ CERT), as in Ergo and soju.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

#include <asio/ssl/context.hpp>
#include <tl/expected.hpp>

namespace net {

struct tls_files {
  std::string cert_file;  // the certificate chain, leaf first
  std::string key_file;   // its private key, unencrypted
  [[nodiscard]] bool enabled() const noexcept { return !cert_file.empty(); }
};

// A server context for `files`, or what is wrong with them (unreadable,
// not PEM, key does not match the certificate).
tl::expected<std::shared_ptr<asio::ssl::context>, std::string> make_server_context(const tls_files& files);

// The fingerprint of the certificate the peer of `ssl` showed in its
// handshake: SHA-256 of the leaf's DER, 64 lowercase hex digits; empty
// without one.
std::string peer_fingerprint(SSL* ssl);

// Guarded by its mutex: accept loops read it, reloads replace it.
class tls_holder {
 public:
  std::shared_ptr<asio::ssl::context> get() const {
    const std::lock_guard lock(mutex_);
    return context_;
  }
  void set(std::shared_ptr<asio::ssl::context> next) {
    const std::lock_guard lock(mutex_);
    context_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<asio::ssl::context> context_;
};

}  // namespace net
