#include "net/tls.hpp"

#include <openssl/ssl.h>

namespace net {

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
  return context;
}

}  // namespace net
