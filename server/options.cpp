#include "options.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>

#include "chat/replay.hpp"
#include "config/cli.hpp"
#include "door/secret.hpp"
#include "protocol/limits.hpp"
#include "version/version.hpp"

namespace startup {

namespace {

constexpr const char* kDescription =
    "Chat server: IRC, and a drop-in replacement for the seed Python chatroom server, on shared rooms.";

// Options that a configuration file cannot set: they are about this run of
// the program, not the server.
constexpr std::string_view kCommandLineOnly[] = {"help", "version", "config", "check-config",
                                                 "hash-password"};

// The lines of a text file, without line ends; nullopt if it cannot be read.
std::optional<std::vector<std::string>> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

void define_options(CLI::App& app, options& o) {
  auto& cfg = o.cfg;
  app.set_version_flag("--version", "chat-server " + std::string(chat::version()));
  app.add_option("--config", o.config_file,
                 "Read options from this TOML file (long option names as keys, tables to group them); flags "
                 "given on the command line win. SIGHUP reloads it")
      ->check(CLI::ExistingFile);
  app.add_flag("--hash-password", o.hash_password,
               "Read a password on standard input, print its argon2id hash for --oper NAME:HASH, and exit");
  app.add_flag("--check-config", o.check_config,
               "Check the flags and the configuration file, say what is wrong or OK, and exit");
  app.add_option("--host", cfg.host, "Address to listen on")->capture_default_str();
  app.add_option("--port,--seed-port", cfg.seed_port,
                 "Port of the seed-compatible listener (0: any free port)")
      ->capture_default_str();
  app.add_option("--irc-port", cfg.irc_port, "Port of the IRC listener (0: any free port)")
      ->capture_default_str();
  app.add_flag("--no-seed", o.no_seed, "Do not open the seed-compatible listener");
  app.add_flag("--no-irc", o.no_irc, "Do not open the IRC listener");
  app.add_option("--server-name", cfg.irc.server_name, "Server name shown to IRC clients")
      ->capture_default_str();
  app.add_option("--network", cfg.irc.network, "Network name shown to IRC clients")->capture_default_str();
  app.add_option("--admin-location", cfg.irc.admin_location, "Where the server is, for ADMIN (257)")
      ->capture_default_str();
  app.add_option("--admin-institution", cfg.irc.admin_institution, "Who runs the server, for ADMIN (258)");
  app.add_option("--admin-email", cfg.irc.admin_email, "How to reach its administrator, for ADMIN (259)");
  app.add_option("--motd-file", o.motd_file, "Message of the day for IRC clients (reloaded by SIGHUP)")
      ->check(CLI::ExistingFile);
  app.add_option(
         "--password-file", o.password_file,
         "File whose first line is the IRC server password (PASS); none by default (reloaded by SIGHUP)")
      ->check(CLI::ExistingFile);
  app.add_option(
      "--oper", o.opers,
      "An IRC operator as NAME:HASH (from --hash-password) or NAME:PASSWORD, for OPER NAME PASSWORD; repeat "
      "for more (reloaded by SIGHUP)");
  app.add_option("--tls-cert", cfg.tls.cert_file,
                 "Certificate chain (PEM) for the TLS listeners; with --tls-key, opens IRC over TLS "
                 "(reloaded by SIGHUP)")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", cfg.tls.key_file, "Private key (PEM) of --tls-cert (reloaded by SIGHUP)")
      ->check(CLI::ExistingFile);
  app.add_option("--irc-tls-port", cfg.irc_tls_port, "Port of the IRC listener over TLS (0: any free port)")
      ->capture_default_str();
  app.add_option("--seed-tls-port", cfg.seed_tls_port,
                 "Port of a seed-compatible listener over TLS (none unless given; 0: any free port)");
  app.add_option(
         "--http-port", cfg.http_port,
         "Port of the web listener: the browser client, IRC over WebSocket, /healthz (0: any free port)")
      ->capture_default_str();
  app.add_flag("--no-http", o.no_http, "Do not open the web listener");
  app.add_option("--https-port", cfg.https_port,
                 "Port of the web listener over TLS, with --tls-cert (0: any free port)")
      ->capture_default_str();
  app.add_option(
      "--http-origin", cfg.web.origins,
      "An origin (scheme://host[:port]) whose pages may open IRC over WebSocket, besides the server's own "
      "page; repeat for more, * for any");
  app.add_option("--web-root", cfg.web.web_root,
                 "Serve the browser client from this directory instead of the copy built into the server")
      ->check(CLI::ExistingDirectory);
  app.add_option("--http-request-timeout-ms", o.http_request_timeout_ms,
                 "Time a web client has to send a whole request head (408 after)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  app.add_option("--metrics-address", cfg.metrics_address,
                 "Address of the metrics listener (GET /metrics, Prometheus text format)")
      ->capture_default_str();
  app.add_option("--metrics-port", cfg.metrics_port,
                 "Port of the metrics listener (0: any free port; the address and port of the web listener: "
                 "served there)")
      ->capture_default_str();
  app.add_flag("--no-metrics", o.no_metrics, "Do not serve /metrics");
  app.add_option("--threads", cfg.threads, "Event-loop threads (0: one per core)")->capture_default_str();
  app.add_option("--max-outbox", cfg.lim.outbox_bytes,
                 "Bytes queued for one slow client before it is disconnected")
      ->capture_default_str();
  app.add_option("--flood-burst", cfg.lim.flood_burst,
                 "Commands a client may send at once before flood control")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--flood-rate", cfg.lim.flood_rate,
                 "Commands per second a client may send after its burst; more wait (0: no flood control)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-recvq", cfg.lim.recvq_bytes,
                 "Bytes a throttled client may have waiting before it is disconnected (Excess Flood)")
      ->capture_default_str();
  app.add_option("--max-connections", cfg.admit.max_connections,
                 "Connections open at once (0: the open-file limit less a reserve)")
      ->capture_default_str();
  app.add_option("--max-connections-per-ip", cfg.admit.max_per_address,
                 "Connections open at once from one address (0: no cap)")
      ->capture_default_str();
  app.add_option("--connect-burst", cfg.admit.connect_burst, "New connections one address may open at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--connect-rate", cfg.admit.connect_rate,
                 "New connections per second one address may open after its burst (0: no cap)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--login-timeout-ms", o.login_timeout_ms, "Time a new client has to send its username")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--registration-timeout-ms", o.registration_timeout_ms,
                 "Time a new IRC client has to finish registering (NICK, USER, CAP END)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--ping-interval-ms", o.ping_interval_ms, "Idle time after which an IRC client is pinged")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--ping-timeout-ms", o.ping_timeout_ms, "Time a pinged IRC client has to answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-rooms-per-user", cfg.irc.max_rooms_per_user,
                 "Channels one IRC user may be in (CHANLIMIT)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--log-format", o.log_format, "text, or json: one JSON object a line, for log shippers")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--data-dir", o.data_dir,
                 "Where accounts and history are kept (created at start; one SQLite file, chat.db)")
      ->capture_default_str();
  app.add_flag("--no-store", o.no_store, "Keep nothing on disk: no accounts, no history (as before 0.2)");
  app.add_option(
      "--cluster", o.cluster_url,
      "Be a node of the cluster whose Redis is at this URL: redis://[user:password@]host[:port][/db], "
      "or rediss:// for TLS");
  app.add_option("--node-name", o.node_name,
                 "This node's name in the cluster, unique among its nodes (default: the server name)");
  app.add_option("--history-max-age", o.history_max_age,
                 "Forget history older than this: 0 (never), or e.g. 90d, 12h, 30m, 45s")
      ->capture_default_str();
  app.add_option("--history-max-per-target", o.history_max_per_target,
                 "Keep at most this many lines per channel or conversation (0: no limit)")
      ->capture_default_str();
  app.add_option("--store-max-mb", o.store_max_mb,
                 "The most the database may grow to, in MiB; past it history is dropped, as on a full disk "
                 "(0: no limit)")
      ->capture_default_str();
  app.add_option("--store-retention-interval-ms", o.store_retention_interval_ms,
                 "How often history past --history-max-age or --history-max-per-target is deleted")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option(
         "--seed-replay", o.seed_replay,
         "Lines of the lobby's history a seed-door user is shown on logging in (0 keeps the original's "
         "bytes; at most 100)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, chat::kMaxReplayLines));
  app.add_option("--nick-grace-ms", o.nick_grace_ms,
                 "Time someone may use a registered nick without logging in before it is changed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", o.log_level,
                 "trace, debug, info, warn, error, critical or off (reloaded by SIGHUP)")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
}

// Reads the files the options name and checks what CLI11 cannot: what is
// wrong, or nothing.
std::optional<std::string> complete(options& o) {
  auto& cfg = o.cfg;
  cfg.seed.login_timeout = std::chrono::milliseconds(o.login_timeout_ms);
  cfg.irc.registration_timeout = std::chrono::milliseconds(o.registration_timeout_ms);
  cfg.irc.ping_interval = std::chrono::milliseconds(o.ping_interval_ms);
  cfg.irc.ping_timeout = std::chrono::milliseconds(o.ping_timeout_ms);
  cfg.seed_enabled = !o.no_seed;
  cfg.irc_enabled = !o.no_irc;
  cfg.http_enabled = !o.no_http;
  cfg.web.request_timeout = std::chrono::milliseconds(o.http_request_timeout_ms);
  cfg.metrics_enabled = !o.no_metrics;
  cfg.irc.nick_grace = std::chrono::milliseconds(o.nick_grace_ms);
  cfg.seed.replay = o.seed_replay;
  if (auto age = parse_age(o.history_max_age)) {
    o.history_max_age_ms = *age;
  } else {
    return "--history-max-age " + o.history_max_age + ": expected 0, or a number and s, m, h or d (e.g. 90d)";
  }
  if (!o.no_store && o.data_dir.empty()) return "--data-dir: empty (use --no-store to keep nothing)";
  if (!o.cluster_url.empty()) {
    auto where = redis::parse_url(o.cluster_url);
    if (!where) return "--cluster " + o.cluster_url + ": " + where.error();
    cluster::settings c;
    c.redis = std::move(*where);
    c.name = o.node_name.empty() ? cfg.irc.server_name : o.node_name;
    c.server_name = cfg.irc.server_name;
    if (!cluster::valid_node_name(c.name)) {
      return "--node-name " + c.name + ": letters, digits, '-', '_' and '.' only, at most " +
             std::to_string(cluster::kMaxNodeName) + " bytes";
    }
    cfg.cluster = std::move(c);
  } else if (!o.node_name.empty()) {
    return "--node-name: only with --cluster";
  }
  // Both appear in IRC lines: the server name as every reply's source, the
  // network in 001 and ISUPPORT. Nothing that would end or split a prefix.
  const auto name_ok = [](const std::string& v, std::size_t max, std::string_view extra) {
    return !v.empty() && v.size() <= max && std::all_of(v.begin(), v.end(), [&](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
             c == '.' || extra.find(c) != std::string_view::npos;
    });
  };
  if (!name_ok(cfg.irc.server_name, protocol::kMaxServerNameLength, "")) {
    return "--server-name " + cfg.irc.server_name + ": letters, digits, '-' and '.' only, at most " +
           std::to_string(protocol::kMaxServerNameLength) + " bytes (it is the source of every IRC reply)";
  }
  if (!name_ok(cfg.irc.network, protocol::kMaxServerNameLength, "_")) {
    return "--network " + cfg.irc.network + ": letters, digits, '-', '_' and '.' only, at most " +
           std::to_string(protocol::kMaxServerNameLength) + " bytes";
  }
  std::error_code ec;
  (void)asio::ip::make_address(cfg.host, ec);
  if (ec) return "--host " + cfg.host + ": not an IP address";
  if (!cfg.seed_enabled && !cfg.irc_enabled && !cfg.http_enabled && !cfg.tls.enabled()) {
    return "--no-seed, --no-irc and --no-http leave nothing to listen on";
  }
  if (ec = {}, (void)asio::ip::make_address(cfg.metrics_address, ec); ec) {
    return "--metrics-address " + cfg.metrics_address + ": not an IP address";
  }
  if (cfg.seed_enabled && cfg.irc_enabled && cfg.seed_port != 0 && cfg.seed_port == cfg.irc_port) {
    return "the seed and IRC listeners cannot share port " + std::to_string(cfg.seed_port);
  }
  if (cfg.tls.cert_file.empty() != cfg.tls.key_file.empty()) return "--tls-cert and --tls-key go together";
  if (cfg.tls.enabled()) {
    if (auto context = net::make_server_context(cfg.tls); !context) return "TLS: " + context.error();
  }
  if (cfg.seed_tls_port && !cfg.tls.enabled()) return "--seed-tls-port needs --tls-cert and --tls-key";
  if (!o.motd_file.empty()) {
    auto lines = read_lines(o.motd_file);
    if (!lines) return "--motd-file " + o.motd_file + ": cannot be read";
    o.reloadable.motd = std::move(*lines);
  }
  if (!o.password_file.empty()) {
    auto lines = read_lines(o.password_file);
    if (!lines) return "--password-file " + o.password_file + ": cannot be read";
    if (lines->empty() || lines->front().empty()) return "--password-file " + o.password_file + ": empty";
    o.reloadable.password = lines->front();
  }
  for (const auto& entry : o.opers) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size()) {
      return "--oper " + entry.substr(0, std::min(colon, entry.size())) + ": expected NAME:PASSWORD";
    }
    auto password = entry.substr(colon + 1);
    if (password.starts_with('$') && !door::is_password_hash(password)) {
      return "--oper " + entry.substr(0, colon) + ": not an argon2id hash (make one with --hash-password)";
    }
    o.reloadable.opers.push_back({entry.substr(0, colon), std::move(password)});
  }
  return std::nullopt;
}

// Parses `words` (without the program name) into `o`; the stop if it fails.
std::optional<stop> parse_words(const std::vector<std::string>& words, options& o) {
  CLI::App app{kDescription, "chat-server"};
  define_options(app, o);
  try {
    config::parse(app, words);
  } catch (const CLI::Success& e) {
    std::ostringstream out;
    std::ostringstream err;
    app.exit(e, out, err);
    return stop{0, out.str()};
  } catch (const CLI::ParseError& e) {
    return stop{kExitUsage, e.what()};
  }
  return std::nullopt;
}

// A fresh app over scratch options, for config::file_words.
std::shared_ptr<CLI::App> scratch_app() {
  struct scratch {
    options o;
    CLI::App app{kDescription, "chat-server"};
  };
  auto held = std::make_shared<scratch>();
  define_options(held->app, held->o);
  return {held, &held->app};
}

}  // namespace

std::variant<options, stop> load(int argc, char** argv) {
  const std::vector<std::string> given(argv + 1, argv + argc);
  options first;
  if (auto problem = parse_words(given, first)) return *problem;
  std::vector<std::string> words;
  if (!first.config_file.empty()) {
    auto from_file = config::file_words(first.config_file, given, scratch_app, kCommandLineOnly);
    if (!from_file) return stop{kExitUsage, from_file.error()};
    words = std::move(*from_file);
  }
  words.insert(words.end(), given.begin(), given.end());
  options o;
  if (auto problem = parse_words(words, o)) return *problem;
  if (auto problem = complete(o)) return stop{kExitUsage, *problem};
  return o;
}

std::optional<std::chrono::milliseconds> parse_age(std::string_view text) {
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.size() < 2) return std::nullopt;
  std::int64_t n = 0;
  const auto digits = text.substr(0, text.size() - 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n <= 0 || n > 100'000'000)
    return std::nullopt;
  switch (text.back()) {
    case 's':
      return std::chrono::seconds(n);
    case 'm':
      return std::chrono::minutes(n);
    case 'h':
      return std::chrono::hours(n);
    case 'd':
      return std::chrono::hours(24 * n);
    default:
      return std::nullopt;
  }
}

void warn_plain_passwords(const door::irc_reloadable& settings) {
  for (const auto& o : settings.opers) {
    if (!door::is_password_hash(o.password)) {
      spdlog::warn("operator {} has a plain password: store its hash instead (chat-server --hash-password)",
                   o.name);
    }
  }
}

}  // namespace startup
