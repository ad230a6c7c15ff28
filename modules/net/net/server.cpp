#include "net/server.hpp"

#include <fmt/chrono.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <tl/expected.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cctype>
#include <thread>

#include <asio/bind_executor.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

#include "cluster/relay.hpp"
#include "door/archive.hpp"
#include "door/irc_door.hpp"
#include "door/seed_door.hpp"
#include "net/basic_connection.hpp"
#include "net/log.hpp"
#include "net/plain_stream.hpp"
#include "net/tls_stream.hpp"
#include "protocol/irc_reply.hpp"
#include "protocol/seed.hpp"

namespace net {

namespace {

std::size_t pick_threads(std::size_t requested) {
  if (requested > 0) {
    return requested;
  }
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

// A listener bound and listening on host:port, or why not: "address already
// in use" (the system's words, in lower case, for a sentence).
tl::expected<std::unique_ptr<tcp_acceptor>, std::string> bind_acceptor(asio::io_context& io,
                                                                       const std::string& host,
                                                                       std::uint16_t port) {
  std::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  auto failed = [&ec] {
    auto why = ec.message();
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return tl::make_unexpected(why);
  };
  if (ec) return failed();
  const tcp::endpoint ep(address, port);
  auto acceptor = std::make_unique<tcp_acceptor>(io);
  if (acceptor->open(ep.protocol(), ec); ec) return failed();
  if (acceptor->set_option(asio::socket_base::reuse_address(true), ec); ec) return failed();
  if (acceptor->bind(ep, ec); ec) return failed();
  if (acceptor->listen(kListenBacklog, ec); ec) return failed();
  return acceptor;
}

}  // namespace

server::server(server_config cfg)
    : cfg_(std::move(cfg)),
      threads_(pick_threads(cfg_.threads)),
      io_(static_cast<int>(threads_)),
      hub_(io_.get_executor(), history_of(cfg_)),
      registry_(io_),
      accept_strand_(asio::make_strand(io_)),
      trim_timer_(io_.get_executor()) {}

server::~server() = default;

std::shared_ptr<chat::recorder> server::history_of(const server_config& cfg) {
  std::shared_ptr<chat::recorder> history;
  if (cfg.irc.store) history = std::make_shared<door::archive>(cfg.irc.store);
  // A cluster node passes every room event through its relay to the history
  // and, when it happened here, to the other nodes.
  if (cfg.cluster) history = std::make_shared<cluster::relay>(std::move(history));
  return history;
}

server::session_factory server::connections_with(door_factory make_door, bool secure) {
  return [this, make_door = std::move(make_door), secure](stream_socket s, admission::ticket t) {
    std::shared_ptr<connection> c;
    if (secure) {
      c = std::make_shared<basic_connection<tls_stream>>(tls_stream(std::move(s), tls_.get()), cfg_.lim,
                                                         &registry_);
    } else {
      c = std::make_shared<basic_connection<plain_stream>>(plain_stream(std::move(s)), cfg_.lim, &registry_);
    }
    c->install(make_door);
    c->hold(std::move(t));
    c->start();
  };
}

void server::start() {
  cfg_.irc.connections = [this] { return registry_.size(); };
  // A check in the pool counts as work for io_: run() does not return (and
  // the hub is not destroyed) while its answer has yet to be posted back.
  cfg_.irc.slow_work = [this](std::function<void()> work) {
    asio::post(slow_work_, [guard = asio::make_work_guard(io_), work = std::move(work)] { work(); });
  };
  cfg_.seed.slow_work = cfg_.irc.slow_work;
  cfg_.seed.store = cfg_.irc.store;
  // Registered channels before anyone can join one: each is made with what
  // it kept (topic, modes, founder).
  if (cfg_.irc.store) {
    if (auto n = door::restore_channels(*cfg_.irc.store, hub_)) {
      spdlog::info("store: {} registered channel{}", *n, *n == 1 ? "" : "s");
    } else {
      spdlog::warn("store: registered channels not restored: {}", n.error());
    }
  }
  if (cfg_.irc.created.empty()) {
    cfg_.irc.created = fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", fmt::gmtime(std::time(nullptr)));
  }
  // Past the open-file limit accept() fails (EMFILE): the client waits in
  // the backlog with no reply, and a reload cannot open its files. Refusing
  // with a reason a little earlier is kinder and keeps kReservedDescriptors
  // for everything else, so the cap never goes above the limit less them.
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    const auto files = static_cast<std::size_t>(lim.rlim_cur);
    const std::size_t cap = files > 2 * kReservedDescriptors ? files - kReservedDescriptors : files / 2;
    if (cfg_.admit.max_connections == 0) {
      cfg_.admit.max_connections = cap;
    } else if (cfg_.admit.max_connections > cap) {
      spdlog::warn("--max-connections {} is above the open-file limit ({}) less {} in reserve: using {}",
                   cfg_.admit.max_connections, files, kReservedDescriptors, cap);
      cfg_.admit.max_connections = cap;
    }
  }
  admission_ = std::make_shared<admission>(cfg_.admit);
  if (cfg_.cluster) {
    node_ = cluster::node::create(io_, hub_, *cfg_.cluster);
    hub_.directory().set_presence(std::dynamic_pointer_cast<cluster::relay>(hub_.history()));
    hub_.set_claims(node_);
    node_->start();
  }
  auto seed_door = [this](door::link& l) { return std::make_unique<door::seed_door>(l, hub_, cfg_.seed); };
  auto irc_door = [this](door::link& l) { return std::make_unique<door::irc_door>(l, hub_, cfg_.irc); };
  auto seed_factory = [&](bool secure) { return connections_with(seed_door, secure); };
  auto irc_factory = [&](bool secure) { return connections_with(irc_door, secure); };
  // Refusals go out in clear text, even on TLS listeners: the handshake has
  // not happened; a TLS client sees the connection close.
  auto seed_refusal = [](verdict v, const tcp::endpoint&) {
    return protocol::seed::encode_frame(fmt::format("Error: {}", describe(v)));
  };
  auto irc_refusal = [](verdict v, const tcp::endpoint& peer) {
    return protocol::irc::closing_link(peer.address().to_string(), describe(v));
  };
  // Every listener binds before any accepts: a port in use stops the start
  // with nothing open, rather than after half the doors have let clients in.
  std::vector<listener> wanted;
  if (cfg_.seed_enabled) {
    wanted.push_back(
        {&seed_acceptor_, cfg_.host, cfg_.seed_port, "seed-compatible", seed_factory(false), seed_refusal});
  }
  if (cfg_.irc_enabled) {
    wanted.push_back({&irc_acceptor_, cfg_.host, cfg_.irc_port, "IRC", irc_factory(false), irc_refusal});
  }
  if (cfg_.tls.enabled()) {
    auto context = make_server_context(cfg_.tls);
    if (!context) throw start_error("TLS: " + context.error());
    tls_.set(std::move(*context));
    auto silent = [](verdict, const tcp::endpoint&) { return std::string(); };
    wanted.push_back(
        {&irc_tls_acceptor_, cfg_.host, cfg_.irc_tls_port, "IRC over TLS", irc_factory(true), silent});
    if (cfg_.seed_tls_port) {
      wanted.push_back({&seed_tls_acceptor_, cfg_.host, *cfg_.seed_tls_port, "seed-compatible over TLS",
                        seed_factory(true), silent});
    }
  }
  add_web_listeners(wanted, irc_door);
  for (auto& l : wanted) {
    auto bound = bind_acceptor(io_, std::string(l.host), l.port);
    if (!bound) {
      for (auto& done : wanted) done.acceptor->reset();
      throw start_error(
          fmt::format("cannot listen on {}:{} ({}): {}", l.host, l.port, l.what, bound.error()));
    }
    *l.acceptor = std::move(*bound);
  }
  for (auto& l : wanted) {
    spdlog::info("{} listener on {}", l.what, describe((*l.acceptor)->local_endpoint()));
    accept_on(**l.acceptor, std::move(l.make_session), std::move(l.refuse));
  }
  asio::post(accept_strand_, [this] { schedule_memory_trim(); });
}

void server::schedule_memory_trim() {
  trim_timer_.expires_after(kMemoryTrimInterval);
  trim_timer_.async_wait(asio::bind_executor(accept_strand_, [this](std::error_code ec) {
    if (ec || shutting_down_) {
      return;
    }
#if defined(__GLIBC__)
    // Walks the free lists and gives whole free pages back (madvise); a
    // fraction of a millisecond with 10,000 idle clients.
    malloc_trim(0);
#endif
    schedule_memory_trim();
  }));
}

std::string server::reload_tls(const tls_files& files) {
  if (!cfg_.tls.enabled()) return {};
  auto context = make_server_context(files);
  if (!context) return context.error();
  tls_.set(std::move(*context));
  return {};
}

void server::accept_on(tcp_acceptor& acceptor, session_factory make_session, refusal refuse) {
  asio::co_spawn(accept_strand_, accept_loop(acceptor, std::move(make_session), std::move(refuse)),
                 [](const std::exception_ptr& e) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       spdlog::critical("accept loop failed: {}", ex.what());
                     }
                   }
                 });
}

tcp::endpoint server::seed_endpoint() const {
  return seed_acceptor_->local_endpoint();
}
tcp::endpoint server::irc_endpoint() const {
  return irc_acceptor_->local_endpoint();
}
tcp::endpoint server::irc_tls_endpoint() const {
  return irc_tls_acceptor_->local_endpoint();
}
tcp::endpoint server::seed_tls_endpoint() const {
  return seed_tls_acceptor_->local_endpoint();
}

awaitable<void> server::accept_loop(tcp_acceptor& acceptor, session_factory make_session, refusal refuse) {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      // Typically EMFILE/ENFILE: sleep briefly instead of spinning on the
      // error while every descriptor is taken, and log it once in a while,
      // not ten times a second for as long as it lasts.
      if (accept_error_log_.allow(std::chrono::steady_clock::now())) spdlog::warn("accept: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_nothrow);
      continue;
    }
    std::error_code ignored;
    const auto peer = socket.remote_endpoint(ignored);
    admission::ticket ticket;
    if (const auto v = admission_->admit(peer.address(), std::chrono::steady_clock::now(), ticket);
        v != verdict::admitted) {
      // Say why in a few bytes the socket surely takes, then close: a refused
      // client gets no session and no further attention.
      if (refusal_log_.allow(std::chrono::steady_clock::now())) {
        spdlog::info("refused {}: {}", describe(peer), describe(v));
      }
      const auto reason = refuse(v, peer);
      socket.non_blocking(true, ignored);
      if (!reason.empty()) socket.send(asio::buffer(reason), 0, ignored);
      socket.shutdown(stream_socket::shutdown_send, ignored);
      socket.close(ignored);
      continue;
    }
    // Chat lines are small and latency-bound: never wait for Nagle. The
    // writer gathers queued lines into one write instead.
    socket.set_option(tcp::no_delay(true), ignored);
    make_session(std::move(socket), std::move(ticket));
  }
}

void server::run() {
  std::vector<std::thread> pool;
  pool.reserve(threads_ - 1);
  for (std::size_t i = 1; i < threads_; ++i) {
    pool.emplace_back([this] { io_.run(); });
  }
  io_.run();
  for (auto& t : pool) {
    t.join();
  }
}

awaitable<void> server::drain() {
  // Connections close themselves within the grace period; this waits for
  // them and is the backstop for anything that would outlive it.
  const auto deadline =
      std::chrono::steady_clock::now() + cfg_.shutdown_grace + std::chrono::milliseconds(500);
  asio::steady_timer tick(io_);
  while (registry_.size() > 0 && std::chrono::steady_clock::now() < deadline) {
    tick.expires_after(std::chrono::milliseconds(10));
    co_await tick.async_wait(use_nothrow);
  }
  if (registry_.size() > 0) {
    spdlog::warn("shutdown: {} connections did not close in time", registry_.size());
    io_.stop();
  }
  // Last: the other nodes have heard of every user who left.
  if (node_) node_->stop();
}

void server::shutdown() {
  if (shutting_down_.exchange(true)) {
    return;
  }
  hub_.begin_shutdown();
  // On the acceptors' strand: closing an acceptor races with its pending
  // accept otherwise.
  asio::post(accept_strand_, [this] {
    spdlog::info("shutting down: {} connections get {} ms to flush", registry_.size(),
                 cfg_.shutdown_grace.count());
    trim_timer_.cancel();
    std::error_code ignored;
    for (auto* acceptor :
         {seed_acceptor_.get(), irc_acceptor_.get(), irc_tls_acceptor_.get(), seed_tls_acceptor_.get(),
          http_acceptor_.get(), https_acceptor_.get(), metrics_acceptor_.get()}) {
      if (acceptor != nullptr) acceptor->close(ignored);
    }
    http_sessions_.close_all();
    registry_.for_each(
        [this](const std::shared_ptr<connection>& c) { c->request_shutdown(cfg_.shutdown_grace); });
    asio::co_spawn(io_, drain(), asio::detached);
  });
}

}  // namespace net
