#include "net/server.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include <asio/detached.hpp>
#include <asio/post.hpp>

#include "net/log.hpp"
#include "net/seed_session.hpp"

namespace net {

namespace {

std::size_t pick_threads(std::size_t requested) {
  if (requested > 0) {
    return requested;
  }
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

tcp::acceptor bind_acceptor(asio::io_context& io, const std::string& host, std::uint16_t port) {
  const tcp::endpoint ep(asio::ip::make_address(host), port);
  tcp::acceptor acceptor(io);
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen(kListenBacklog);
  return acceptor;
}

}  // namespace

server::server(server_config cfg)
    : cfg_(std::move(cfg)),
      threads_(pick_threads(cfg_.threads)),
      io_(static_cast<int>(threads_)),
      hub_(io_.get_executor()) {}

server::~server() = default;

void server::start() {
  seed_acceptor_ = std::make_unique<tcp::acceptor>(bind_acceptor(io_, cfg_.host, cfg_.seed_port));
  spdlog::info("seed-compatible listener on {}", describe(seed_acceptor_->local_endpoint()));
  asio::co_spawn(io_, accept_loop(*seed_acceptor_), [](std::exception_ptr e) {
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

awaitable<void> server::accept_loop(tcp::acceptor& acceptor) {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      // Typically EMFILE/ENFILE: sleep briefly instead of spinning on the
      // error while every descriptor is taken.
      spdlog::warn("accept: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_nothrow);
      continue;
    }
    std::error_code ignored;
    // Chat lines are small and latency-bound: never wait for Nagle. The
    // writer gathers queued lines into one write instead.
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<seed_session>(std::move(socket), hub_, cfg_.lim, &registry_)->start();
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
}

void server::shutdown() {
  if (shutting_down_.exchange(true)) {
    return;
  }
  asio::post(io_, [this] {
    spdlog::info("shutting down: {} connections get {} ms to flush", registry_.size(),
                 cfg_.shutdown_grace.count());
    std::error_code ignored;
    if (seed_acceptor_) {
      seed_acceptor_->close(ignored);
    }
    registry_.for_each(
        [this](const std::shared_ptr<connection>& c) { c->request_shutdown(cfg_.shutdown_grace); });
    asio::co_spawn(io_, drain(), asio::detached);
  });
}

}  // namespace net
