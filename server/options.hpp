// chat-server's options: the command line, and the configuration file it
// names (config_file.hpp), with the command line winning. Parsing happens at
// start and again at each reload (SIGHUP, REHASH).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "door/irc_settings.hpp"
#include "net/server.hpp"
#include "store/store.hpp"

namespace startup {

// Exit codes: a usage error (an unknown flag, a bad value, a configuration
// file that does not parse) and a failure at run time (a port in use).
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 1;

// Everything the command line and the configuration file say.
struct options {
  net::server_config cfg;
  std::string config_file;
  std::string log_level = "info";
  std::string log_format = "text";
  long long login_timeout_ms = door::kDefaultLoginTimeout.count();
  long long registration_timeout_ms = door::kDefaultRegistrationTimeout.count();
  long long ping_interval_ms = door::kDefaultPingInterval.count();
  long long ping_timeout_ms = door::kDefaultPingTimeout.count();
  bool no_seed = false;
  bool no_irc = false;
  bool no_http = false;
  long long http_request_timeout_ms = net::kHttpRequestTimeout.count();
  bool no_metrics = false;
  std::string motd_file;
  std::string password_file;
  std::vector<std::string> opers;  // "name:password" or "name:$argon2id$..."
  // What SIGHUP and REHASH may change: handed to the server's live settings.
  door::irc_reloadable reloadable;
  bool check_config = false;
  bool hash_password = false;
  // The store (accounts, history, registered channels): a SQLite file in
  // data_dir, unless no_store.
  std::string data_dir = "chat-data";
  bool no_store = false;
  std::string history_max_age = "0";  // "0": for ever; else 90d, 12h, 30m, 45s
  std::size_t history_max_per_target = 0;
  std::size_t seed_replay = 0;
  std::uint64_t store_max_mb = 0;
  long long nick_grace_ms = door::kDefaultNickGrace.count();
  long long store_retention_interval_ms = store::kRetentionInterval.count();
  std::chrono::milliseconds history_max_age_ms{0};  // parsed from history_max_age
  // A cluster's Redis (redis:// or rediss://): empty, a server on its own.
  std::string cluster_url;
  std::string node_name;  // empty: the server name
};

// "0", or a number with a unit (s, m, h, d) as milliseconds; nullopt if not.
std::optional<std::chrono::milliseconds> parse_age(std::string_view text);

// Parsing stopped before options: --help or --version (code 0, text for
// stdout), or a usage error (kExitUsage, a message for stderr).
struct stop {
  int code = 0;
  std::string text;
};

// Parses the command line and the configuration file it names afresh.
std::variant<options, stop> load(int argc, char** argv);

// Logs a warning for each operator whose password is stored in clear.
void warn_plain_passwords(const door::irc_reloadable& settings);

}  // namespace startup
