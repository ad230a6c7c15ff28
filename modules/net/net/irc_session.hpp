// A client of the IRC listener (RFC 1459/2812 with modern conventions and a
// few IRCv3 capabilities). Shares rooms and the nick namespace with the seed
// listener.
//
// Guarded by its connection's strand. deliver() and info() are the entries
// from other threads: deliver() touches only the outbox and the mutex-guarded
// fields below; info() only the mutex-guarded fields.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chat/hub.hpp"
#include "chat/member.hpp"
#include "net/connection.hpp"
#include "net/small_mutex.hpp"
#include "protocol/irc.hpp"

namespace net {

// How often an idle IRC client is pinged, and how long it has to answer.
inline constexpr std::chrono::milliseconds kDefaultPingInterval{120'000};
inline constexpr std::chrono::milliseconds kDefaultPingTimeout{60'000};
// Time from connecting to finishing registration (NICK, USER, CAP END).
inline constexpr std::chrono::milliseconds kDefaultRegistrationTimeout{30'000};

// An IRC operator's name and password (OPER), from the configuration.
struct oper_credential {
  std::string name;
  std::string password;
  friend bool operator==(const oper_credential&, const oper_credential&) = default;
};

// What a reload (SIGHUP, or an operator's REHASH) may change while sessions
// run. Sessions take a snapshot when they need it.
struct irc_reloadable {
  std::vector<std::string> motd;  // empty: 422 ERR_NOMOTD
  std::string password;           // empty: no PASS needed
  std::vector<oper_credential> opers;
};

// Guarded by its mutex: read by sessions on any strand, replaced by reloads.
class live_settings {
 public:
  std::shared_ptr<const irc_reloadable> get() const {
    const std::lock_guard lock(mutex_);
    return current_;
  }
  void set(irc_reloadable next) {
    auto fresh = std::make_shared<const irc_reloadable>(std::move(next));
    const std::lock_guard lock(mutex_);
    current_ = std::move(fresh);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const irc_reloadable> current_ = std::make_shared<const irc_reloadable>();
};

// What every IRC session of a server shares. Immutable while sessions run,
// but for `live`.
struct irc_settings {
  std::string server_name = "chat.server";
  std::string network = "ChatNet";
  std::string version = "chat-0.1.0";
  // Initial values of what `live` holds; server::start() copies them there.
  std::vector<std::string> motd;  // empty: 422 ERR_NOMOTD
  std::string password;           // empty: no PASS needed
  std::vector<oper_credential> opers;
  std::shared_ptr<live_settings> live = std::make_shared<live_settings>();
  // Operator commands that reach beyond the sessions, provided by the
  // program: REHASH returns an empty string or what went wrong; DIE stops
  // the server gracefully. Either may be empty (the command is refused).
  std::function<std::string()> rehash;
  std::function<void()> die;
  std::chrono::milliseconds ping_interval = kDefaultPingInterval;
  std::chrono::milliseconds ping_timeout = kDefaultPingTimeout;
  std::chrono::milliseconds registration_timeout = kDefaultRegistrationTimeout;
  std::size_t max_rooms_per_user = protocol::kMaxRoomsPerUser;
  std::string created;  // human-readable start time for 003
};

// Counts for LUSERS, read from the server.
struct server_counts {
  std::function<std::size_t()> connections;
};

class irc_session final : public connection, public chat::member {
 public:
  irc_session(stream_socket socket, chat::hub& hub, const irc_settings& settings, const server_counts& counts,
              const limits& lim, connection_registry* registry);

  void deliver(const chat::event_ptr& ev) override;
  chat::member_info info() const override;
  std::string nick() const override;
  std::string away() const override;

 private:
  using message = protocol::irc::message;

  void on_start() override;
  void on_bytes(std::string_view bytes) override;
  void on_stop() override;
  void on_watchdog() override;
  void on_shutdown() override;
  void on_excess_flood() override;
  [[nodiscard]] std::size_t pending_input() const override { return decoder_.buffered(); }

  void handle(const message& m);
  void handle_registration(const message& m);
  void try_finish_registration();
  void handle_cap(const message& m);

  void cmd_nick(const message& m);
  void cmd_join(const message& m);
  void cmd_part(const message& m);
  void cmd_message(const message& m);  // PRIVMSG, NOTICE, TAGMSG
  // The same from views; `command` is uppercase.
  void cmd_message(std::string_view command, std::span<const std::string_view> params,
                   std::span<const protocol::irc::tag> tags);
  void cmd_names(const message& m);
  void cmd_who(const message& m);
  void cmd_whois(const message& m);
  void cmd_topic(const message& m);
  void cmd_list(const message& m);
  void cmd_away(const message& m);
  void cmd_ison(const message& m);
  void cmd_userhost(const message& m);
  void cmd_lusers();
  void cmd_motd();
  void cmd_mode(const message& m);
  void cmd_kick(const message& m);
  void cmd_invite(const message& m);
  void cmd_quit(const message& m);
  void cmd_oper(const message& m);
  void cmd_kill(const message& m);
  void cmd_wallops(const message& m);
  void cmd_rehash();
  void cmd_die();
  // False (after 481) unless this user is an IRC operator.
  bool require_oper();
  // The operator `by` disconnects this session (from any thread).
  void killed(const std::string& by, const std::string& reason);

  void join_room(const std::string& name, const std::string& key);
  // Parts every room (JOIN 0), or quits them all and frees the nick.
  void leave_everything(std::string_view reason);

  // Rendering. The source of server replies is the server name.
  void send_line(std::string line);  // adds CRLF
  void numeric(std::string_view code, std::initializer_list<std::string_view> params);
  void deliver_error(const chat::event& ev);
  void render_state(const chat::event& ev);
  // WHO replies (352) for a who_reply unless `as_names`; else NAMES (353).
  void render_roster(const chat::event& ev, bool as_names = false);
  std::string tag_prefix(const chat::event& ev) const;
  std::string source() const;  // nick!user@host
  chat::actor as_actor();
  std::shared_ptr<irc_session> self();
  bool seen_before(const chat::event_ptr& ev);

  chat::hub& hub_;
  const irc_settings& settings_;
  const server_counts& counts_;
  protocol::irc::line_decoder decoder_;
  std::string host_;

  // Registration state; guarded by the strand.
  bool pass_ok_;
  bool cap_negotiating_ = false;
  bool registered_ = false;
  bool quitting_ = false;
  std::string user_;
  std::string realname_;
  std::chrono::steady_clock::time_point last_input_;
  bool ping_sent_ = false;

  // Read by deliver() and info() on other threads; guarded by info_mutex_.
  mutable small_mutex info_mutex_;
  std::string nick_;  // also the claimed nick before registration
  std::string away_;
  std::map<std::string, std::shared_ptr<chat::room>> rooms_;  // folded name -> room (joined or joining)
  // Capabilities: written on the strand, read by deliver() anywhere.
  std::atomic<bool> echo_message_{false};
  std::atomic<bool> server_time_{false};
  std::atomic<bool> message_tags_{false};
  std::atomic<bool> multi_prefix_{false};
  // User modes: written on the strand, read by deliver() anywhere.
  std::atomic<bool> oper_{false};                 // +o, by OPER only
  std::atomic<bool> wallops_{false};              // +w, receives WALLOPS
  std::array<std::uint64_t, 8> recent_shared_{};  // ids of quit/nick events already shown
  std::uint8_t recent_next_ = 0;
};

}  // namespace net
