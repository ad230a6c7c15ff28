// TLS for the listeners: a server context from certificate and key files
// (PEM), TLS 1.2 and 1.3 only, and the holder through which a reload swaps
// it while connected clients keep the one they started with.
#pragma once

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
