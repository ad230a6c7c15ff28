// The server: an io_context on a pool of threads, the shared chat hub, and
// the listeners (front doors) that turn accepted sockets into sessions.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>

#include "chat/hub.hpp"
#include "cluster/node.hpp"
#include "door/irc_settings.hpp"
#include "door/seed_door.hpp"
#include "net/admission.hpp"
#include "net/asio.hpp"
#include "net/flood.hpp"
#include "net/http_session.hpp"
#include "net/http_sessions.hpp"
#include "net/limits.hpp"
#include "net/registry.hpp"
#include "net/tls.hpp"
#include "net/web_site.hpp"

namespace net {

// The original's port; 0 asks the kernel for a free one.
inline constexpr std::uint16_t kDefaultSeedPort = 1234;
// The IRC port everybody expects.
inline constexpr std::uint16_t kDefaultIrcPort = 6667;
// IRC over TLS (RFC 7194).
inline constexpr std::uint16_t kDefaultIrcTlsPort = 6697;

// Pending connections the kernel may queue per listener (clamped by
// net.core.somaxconn). Connection storms such as 10,000 clients starting at
// once must not see SYNs dropped and retried a second later.
inline constexpr int kListenBacklog = 4096;

// How often the server hands heap memory it has freed back to the kernel.
// glibc keeps freed blocks inside the heap for reuse, and only trims its
// top: the transient buffers of a join storm or a burst of messages would
// otherwise stay resident for good, however few clients remain.
inline constexpr std::chrono::milliseconds kMemoryTrimInterval{1'000};

struct server_config {
  std::string host = "127.0.0.1";
  std::uint16_t seed_port = kDefaultSeedPort;
  std::uint16_t irc_port = kDefaultIrcPort;
  bool seed_enabled = true;
  bool irc_enabled = true;
  door::irc_settings irc;
  door::seed_settings seed;
  std::size_t threads = 0;  // 0: one per core
  limits lim;
  admission_limits admit;
  // TLS listeners open when a certificate is given: IRC on irc_tls_port and,
  // if set, the seed protocol on seed_tls_port.
  tls_files tls;
  std::uint16_t irc_tls_port = kDefaultIrcTlsPort;
  std::optional<std::uint16_t> seed_tls_port;
  std::chrono::milliseconds shutdown_grace = kDefaultShutdownGrace;
  // The web listener: the browser client, WebSocket upgrades, /healthz;
  // over TLS on https_port when a certificate is given.
  bool http_enabled = true;
  std::uint16_t http_port = kDefaultHttpPort;
  std::uint16_t https_port = kDefaultHttpsPort;
  web_settings web;
  // /metrics, for operators: on its own listener, on loopback unless told
  // otherwise; or on the web listener itself when given its address and
  // port.
  bool metrics_enabled = true;
  std::string metrics_address = "127.0.0.1";
  std::uint16_t metrics_port = kDefaultMetricsPort;
  std::function<std::string()> render_metrics;
  // Set: this server is a node of a cluster over Redis (cluster/node.hpp).
  std::optional<cluster::settings> cluster;
};

// Why the server could not start: a listener that cannot bind, TLS files
// that do not load. The message is for the operator, as it stands.
class start_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Guarded by: the acceptors by accept_strand_; the hub and the registry by
// their own locks and strands; run() and shutdown() may be called from any
// thread.
class server {
 public:
  explicit server(server_config cfg);
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  // Binds every listener, then starts accepting on all. Throws start_error
  // (an edge: start-up) if one cannot be bound, naming it, its address and
  // why, with none left open; or if the TLS files do not load.
  void start();

  // Where the listeners are bound (useful with port 0).
  tcp::endpoint seed_endpoint() const;
  tcp::endpoint irc_endpoint() const;
  tcp::endpoint irc_tls_endpoint() const;
  tcp::endpoint seed_tls_endpoint() const;
  tcp::endpoint http_endpoint() const;
  tcp::endpoint https_endpoint() const;
  tcp::endpoint metrics_endpoint() const;

  // Loads the certificate and key again for new TLS connections; connected
  // clients keep theirs. What went wrong (the old ones stay), or "".
  std::string reload_tls(const tls_files& files);

  // Runs the event loop on cfg.threads threads, this one included, until
  // shutdown() has finished.
  void run();

  // Replaces what can change while clients stay connected (MOTD, password,
  // operators). Thread-safe.
  void reload(door::irc_reloadable next) { cfg_.irc.live->set(std::move(next)); }

  // Stops accepting, says goodbye to every client, flushes their outboxes
  // within the grace period, then lets run() return. Thread-safe, idempotent.
  void shutdown();

  asio::io_context& context() noexcept { return io_; }
  chat::hub& hub() noexcept { return hub_; }
  std::size_t connections() const { return registry_.size(); }
  // The connection cap in force (derived from the open-file limit when the
  // configuration leaves it at 0).
  std::size_t max_connections() const noexcept { return cfg_.admit.max_connections; }
  std::size_t threads() const noexcept { return threads_; }

 private:
  using session_factory = std::function<void(stream_socket, admission::ticket)>;
  using door_factory = std::function<std::unique_ptr<door::door>(door::link&)>;
  // Makes accepted sockets connections with a door from `make_door`, over
  // TLS if `secure`.
  session_factory connections_with(door_factory make_door, bool secure);
  // The bytes that tell a refused client why, in its protocol.
  using refusal = std::function<std::string(verdict, const tcp::endpoint&)>;
  awaitable<void> accept_loop(tcp_acceptor& acceptor, session_factory make_session, refusal refuse);
  // A listener start() opens: where it goes, and what it makes of clients.
  struct listener {
    std::unique_ptr<tcp_acceptor>* acceptor;
    std::string_view host;
    std::uint16_t port;
    std::string_view what;  // "IRC", for logs and errors
    session_factory make_session;
    refusal refuse;
  };
  void accept_on(tcp_acceptor& acceptor, session_factory make_session, refusal refuse);
  // The web and metrics listeners start() opens (server_web.cpp).
  void add_web_listeners(std::vector<listener>& wanted, const door_factory& irc_door);
  // Makes accepted sockets HTTP sessions of `ctx`, over TLS if it says so.
  session_factory http_sessions_with(const http_context& ctx);
  awaitable<void> drain();
  // What the hub hands room events to: the store's archive, a cluster's
  // relay in front of it, or nothing.
  static std::shared_ptr<chat::recorder> history_of(const server_config& cfg);
  // Every kMemoryTrimInterval, on accept_strand_, until shutdown.
  void schedule_memory_trim();

  server_config cfg_;
  std::size_t threads_;
  asio::io_context io_;
  chat::hub hub_;
  std::shared_ptr<cluster::node> node_;  // cluster mode only
  connection_registry registry_;
  std::unique_ptr<tcp_acceptor> seed_acceptor_;
  std::unique_ptr<tcp_acceptor> irc_acceptor_;
  std::unique_ptr<tcp_acceptor> irc_tls_acceptor_;
  std::unique_ptr<tcp_acceptor> seed_tls_acceptor_;
  std::unique_ptr<tcp_acceptor> http_acceptor_;
  std::unique_ptr<tcp_acceptor> https_acceptor_;
  std::unique_ptr<tcp_acceptor> metrics_acceptor_;
  // What the web listeners serve, and what their sessions share: fixed
  // once start() has run.
  std::unique_ptr<web_site> site_;
  std::unique_ptr<web_site> metrics_site_;
  http_context http_ctx_;
  http_context https_ctx_;
  http_context metrics_ctx_;
  http_sessions http_sessions_;
  tls_holder tls_;
  std::shared_ptr<admission> admission_;
  // Refusals are logged at most 10 a second: a connection flood must not
  // become a log flood. Used on accept_strand_ only.
  token_bucket refusal_log_{10, 10, std::chrono::steady_clock::now()};
  // Accept errors (EMFILE) are logged once, then once every 10 s at most.
  token_bucket accept_error_log_{1, 0.1, std::chrono::steady_clock::now()};
  strand accept_strand_;  // guards the acceptors: accept loops and their closing
  timer trim_timer_;      // waits bound to accept_strand_
  std::atomic<bool> shutting_down_{false};
  // irc_settings::slow_work: operator password hashes. Last, so that it
  // stops (and drops what waits in it) before what its work refers to.
  asio::thread_pool slow_work_{1};
};

}  // namespace net
