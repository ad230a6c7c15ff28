// The server's web listeners: HTTP (and HTTPS with the IRC TLS files) for
// the browser client and IRC over WebSocket, and the metrics listener.
#include <spdlog/spdlog.h>

#include "net/plain_stream.hpp"
#include "net/server.hpp"
#include "net/tls_stream.hpp"
#include "protocol/http.hpp"

namespace net {

server::session_factory server::http_sessions_with(const http_context& ctx) {
  return [this, &ctx](stream_socket s, admission::ticket t) {
    if (ctx.secure) {
      // No client certificate asked for: browsers would prompt their users.
      std::make_shared<http_session<tls_stream>>(
          tls_stream(std::move(s), tls_.get(), tls_stream::peer_certs::ignore), std::move(t), ctx)
          ->start();
    } else {
      std::make_shared<http_session<plain_stream>>(plain_stream(std::move(s)), std::move(t), ctx)->start();
    }
  };
}

void server::add_web_listeners(std::vector<listener>& wanted, const door_factory& irc_door) {
  // A refused client (too many connections) is told so in HTTP.
  auto http_refusal = [](verdict v, const tcp::endpoint&) {
    return ::net::refusal({503, describe(v)}, false);
  };
  auto silent = [](verdict, const tcp::endpoint&) { return std::string(); };
  // /metrics shares the web listener only when told to listen at the same
  // place; otherwise it has a listener of its own, on loopback by default.
  const bool shared_metrics = cfg_.metrics_enabled && cfg_.http_enabled &&
                              cfg_.metrics_address == cfg_.host && cfg_.metrics_port == cfg_.http_port &&
                              cfg_.http_port != 0;
  std::function<std::string()> metrics = cfg_.render_metrics;
  if (!metrics) metrics = [] { return std::string(); };
  site_ = std::make_unique<web_site>(cfg_.web, shared_metrics ? metrics : nullptr);
  auto context = [&](bool secure, bool websocket, const web_site* site) {
    http_context c;
    c.site = site;
    c.secure = secure;
    c.websocket = websocket;
    c.lim = &cfg_.lim;
    c.registry = &registry_;
    c.irc_door = irc_door;
    c.sessions = &http_sessions_;
    return c;
  };
  if (cfg_.http_enabled) {
    http_ctx_ = context(false, true, site_.get());
    wanted.push_back(
        {&http_acceptor_, cfg_.host, cfg_.http_port, "HTTP", http_sessions_with(http_ctx_), http_refusal});
    if (cfg_.tls.enabled()) {
      https_ctx_ = context(true, true, site_.get());
      wanted.push_back(
          {&https_acceptor_, cfg_.host, cfg_.https_port, "HTTPS", http_sessions_with(https_ctx_), silent});
    }
  }
  if (cfg_.metrics_enabled && !shared_metrics) {
    metrics_site_ = std::make_unique<web_site>(web_settings{}, metrics);
    metrics_ctx_ = context(false, false, metrics_site_.get());
    wanted.push_back({&metrics_acceptor_, cfg_.metrics_address, cfg_.metrics_port, "metrics",
                      http_sessions_with(metrics_ctx_), http_refusal});
  }
}

tcp::endpoint server::http_endpoint() const {
  return http_acceptor_->local_endpoint();
}
tcp::endpoint server::https_endpoint() const {
  return https_acceptor_->local_endpoint();
}
tcp::endpoint server::metrics_endpoint() const {
  return metrics_acceptor_ ? metrics_acceptor_->local_endpoint() : http_acceptor_->local_endpoint();
}

}  // namespace net
