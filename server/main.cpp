// chat-server: runs the chat server until SIGINT or SIGTERM; SIGHUP reloads
// what can change while clients stay connected. Exit codes: 0, or
// startup::kExitUsage (2) for a usage error, kExitFailure (1) at run time.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include <asio/post.hpp>
#include <asio/strand.hpp>

#include "account_admin.hpp"
#include "data_lock.hpp"
#include "logging.hpp"
#include "metrics/metrics.hpp"
#include "net/server.hpp"
#include "options.hpp"
#include "password_prompt.hpp"
#include "signals.hpp"
#include "store/store.hpp"
#include "version/version.hpp"

namespace {

// Connections are file descriptors: take every one the hard limit allows.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      spdlog::warn("could not raise the open-file limit");
    }
  }
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    spdlog::info("open-file limit: {}", lim.rlim_cur);
  }
}

// SIGHUP and REHASH: reads the configuration again and applies what can
// change while clients stay connected. What went wrong, or an empty string
// (the old configuration stays then).
std::string reload(int argc, char** argv, net::server& server) {
  auto loaded = startup::load(argc, argv);
  if (auto* problem = std::get_if<startup::stop>(&loaded)) {
    spdlog::error("reload failed, keeping the configuration: {}", problem->text);
    return problem->text;
  }
  auto& o = std::get<startup::options>(loaded);
  if (auto problem = server.reload_tls(o.cfg.tls); !problem.empty()) {
    spdlog::error("reload failed, keeping the configuration: TLS: {}", problem);
    return "TLS: " + problem;
  }
  const auto opers = o.reloadable.opers.size();
  startup::warn_plain_passwords(o.reloadable);
  server.reload(std::move(o.reloadable));
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  spdlog::info("configuration reloaded: MOTD, password, {} operators, log level {}", opers, o.log_level);
  return {};
}

// The store, or null: memory only (--no-store), or a database that cannot
// be opened, which is logged and leaves the chat running without accounts
// and history rather than not at all. In a cluster (--cluster) accounts and
// history live in the cluster's Redis, so that every node sees the same.
std::shared_ptr<store::store> open_store(const startup::options& o) {
  if (o.no_store) {
    spdlog::info("store: off (--no-store): no accounts, no history");
    return nullptr;
  }
  if (!o.cluster_url.empty()) {
    store::redis_options ro;
    ro.url = o.cluster_url;
    ro.max_age = o.history_max_age_ms;
    ro.max_per_target = o.history_max_per_target;
    ro.retention_interval = std::chrono::milliseconds(o.store_retention_interval_ms);
    auto opened = store::store::open_redis(ro);
    if (!opened) {
      spdlog::error("store: {}: running without accounts and history", opened.error());
      return nullptr;
    }
    spdlog::info("store: accounts and history in the cluster's Redis ({}), not in {}", (*opened)->where(),
                 o.data_dir);
    return std::shared_ptr<store::store>(std::move(*opened));
  }
  // Held for the life of the process: one server per data directory.
  static std::optional<startup::data_lock> held;
  auto lock = startup::data_lock::take(o.data_dir);
  if (!lock) {
    spdlog::error("store: {}: running without accounts and history", lock.error());
    return nullptr;
  }
  held.emplace(std::move(*lock));
  store::options so;
  so.dir = o.data_dir;
  so.max_age = o.history_max_age_ms;
  so.max_per_target = o.history_max_per_target;
  so.max_bytes = o.store_max_mb * 1024 * 1024;
  so.retention_interval = std::chrono::milliseconds(o.store_retention_interval_ms);
  auto opened = store::store::open(so);
  if (!opened) {
    spdlog::error("store: {}: running without accounts and history", opened.error());
    return nullptr;
  }
  spdlog::info("store: {}", (*opened)->file().string());
  return std::shared_ptr<store::store>(std::move(*opened));
}

}  // namespace

int main(int argc, char** argv) {
  if (startup::is_account_command(argc, argv)) return startup::run_account_command(argc, argv);
  auto loaded = startup::load(argc, argv);
  if (auto* stopped = std::get_if<startup::stop>(&loaded)) {
    std::fputs(stopped->code == 0 ? stopped->text.c_str() : ("chat-server: " + stopped->text + "\n").c_str(),
               stopped->code == 0 ? stdout : stderr);
    return stopped->code;
  }
  auto& o = std::get<startup::options>(loaded);
  if (o.hash_password) return startup::print_password_hash();
  if (o.check_config) {
    std::printf("chat-server: configuration OK\n");
    return 0;
  }

  startup::set_up_logging(o.log_format, o.log_level);
  spdlog::info("chat-server {}", chat::version());
  startup::warn_plain_passwords(o.reloadable);
  o.cfg.irc.version = "chat-" + std::string(chat::version_number());

  try {
    // Before any thread starts, so that every thread inherits the mask and
    // only the watcher below ever takes these signals.
    const auto handled = server_signals::block({SIGINT, SIGTERM, SIGHUP});
    raise_fd_limit();
    std::function<std::string()> rehash;
    std::function<void()> die;
    o.cfg.irc.rehash = [&rehash] { return rehash(); };
    o.cfg.irc.die = [&die] { die(); };
    o.cfg.irc.live->set(o.reloadable);
    o.cfg.render_metrics = [] { return metrics::render(chat::version()); };
    o.cfg.irc.store = open_store(o);
    net::server server(o.cfg);
    server.start();

    // Signals are handled on this strand, off the watcher's thread; an
    // operator's REHASH runs on its own session's strand.
    auto control = asio::make_strand(server.context());
    rehash = [argc, argv, &server] { return reload(argc, argv, server); };
    die = [&server] { server.shutdown(); };
    const server_signals::watcher signals(handled, [&](int signo) {
      asio::post(control, [&, signo] {
        if (signo == SIGHUP) {
          spdlog::info("received SIGHUP");
          reload(argc, argv, server);
        } else {
          spdlog::info("received signal {}", signo);
          server.shutdown();
        }
      });
    });
    spdlog::info("running on {} threads, at most {} connections", server.threads(), server.max_connections());
    server.run();
    if (o.cfg.irc.store) {
      // What the rooms handed over is on disk before the process ends.
      o.cfg.irc.store->close();
      spdlog::info("store: flushed and closed");
    }
    spdlog::info("stopped");
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return startup::kExitFailure;
  }
}
