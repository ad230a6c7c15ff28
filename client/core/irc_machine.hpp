// The client's side of IRC, sans I/O: registration (CAP, PASS, NICK, USER,
// choosing another nick when one is refused, a SASL login), rooms joined and
// rejoined after a reconnect, the history of a room fetched on joining it
// (draft/chathistory), typed commands turned into IRC lines, and server
// lines turned into display lines. Works with any RFC 1459/2812 server.
#pragma once

#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/completion.hpp"
#include "core/effects.hpp"
#include "core/input.hpp"
#include "core/sasl_client.hpp"
#include "core/status.hpp"
#include "core/text.hpp"
#include "protocol/irc.hpp"
#include "protocol/sasl.hpp"

namespace client {

// Room for the prefix ":nick!user@host " that a server adds when it relays a
// PRIVMSG: long text is split so that the relayed lines fit in 512 bytes.
inline constexpr std::size_t kRelayPrefixBudget = 100;

// CTCP VERSION, PING and TIME are answered at most this many times in each
// window: a CTCP flood must not make us flood the server (and be dropped).
inline constexpr int kMaxCtcpReplies = 3;
inline constexpr std::time_t kCtcpWindowSeconds = 10;

// Private conversations kept as places to switch to: past this, the oldest
// with nothing unread makes room, so that a stream of strangers (or of nick
// changes) cannot grow the client or its prompt without bound.
inline constexpr std::size_t kMaxQueries = 32;

// Names kept for one room (its NAMES reply, its members for Tab), and rooms
// kept from one LIST: a server that never ends a list cannot grow the
// client without bound.
inline constexpr std::size_t kMaxNames = 100'000;

// History lines asked for on joining a room, unless told otherwise.
inline constexpr int kDefaultHistoryLines = 50;
// Message ids remembered to show each message once (history that overlaps
// what was seen live, or a reconnect's AFTER that overlaps the last one).
inline constexpr std::size_t kMaxSeenMsgids = 4096;  // also the conversations whose last msgid is kept
// Live lines held back for a conversation while its history is on the
// way, so the history comes first; past this they are shown at once.
inline constexpr std::size_t kMaxHeldLines = 1000;
// BATCHes open at once: a server that never closes them cannot grow us.
inline constexpr std::size_t kMaxOpenBatches = 32;
// A reconnect's history comes in pages of history_lines: a full page asks
// for the next one, up to this many, so that a long absence leaves no gap
// (and a server that always fills its pages cannot keep us asking).
inline constexpr int kMaxHistoryPages = 20;
// Nicks tried on a reconnect while our own is still taken, most likely by
// the lost connection (a killed cluster node holds its users until its lease
// lapses): alice_, alice__, ...; past these, the user is asked.
inline constexpr int kMaxReconnectNickTries = 3;

// A room's name ('#' or '&' first), as opposed to a nick.
inline bool is_room(std::string_view target) {
  return !target.empty() && (target.front() == '#' || target.front() == '&');
}

struct irc_options {
  std::string nick;
  std::vector<std::string> rooms = {"#lobby"};  // joined after registration, in order; the last is current
  std::string user = "chat";                    // the USER name
  std::string realname = "chat-client";
  std::string password;  // sent as PASS when not empty
  // A SASL login (SCRAM-SHA-256 when the server offers it, else PLAIN over
  // TLS only) when both are set. The password is never shown.
  std::string account;
  std::string account_password;
  bool tls = false;  // the connection is encrypted: PLAIN may send the password
  // Lines of history asked for on joining a room or opening a query
  // (draft/chathistory), at most what the server's CHATHISTORY= allows; 0: none.
  int history_lines = kDefaultHistoryLines;
  std::function<std::string()> nonce = random_nonce;                       // SCRAM's client nonce
  std::string version = "chat-client";                                     // the CTCP VERSION answer
  std::function<std::time_t()> clock = [] { return std::time(nullptr); };  // CTCP TIME, and its rate
};

class irc_machine {
 public:
  irc_machine(irc_options options, style look);

  // A new connection is up: registration lines. Rooms joined so far are
  // rejoined once the server welcomes us.
  effects connected();
  // The connection is gone: lines held for a history that will not come now.
  effects disconnected();
  // One line from the server, without its line ending.
  effects on_line(std::string_view line);
  // One line the user typed. Before registration completes, lines wait (the
  // first one answers a nick prompt if there is one).
  effects on_input(std::string_view line);
  // Standard input ended: leave as !logout does.
  effects on_end_of_input();

  [[nodiscard]] bool registered() const noexcept { return registered_; }
  [[nodiscard]] bool quitting() const noexcept { return quitting_; }
  [[nodiscard]] bool awaiting_nick() const noexcept { return awaiting_nick_; }
  [[nodiscard]] const std::string& nick() const noexcept { return nick_; }
  [[nodiscard]] const std::string& current_room() const noexcept { return current_; }
  [[nodiscard]] const std::vector<std::string>& rooms() const noexcept { return rooms_; }
  // The account the server says we are logged in as (900); "" for a guest.
  [[nodiscard]] const std::string& account() const noexcept { return logged_in_as_; }
  // The input prompt for the current state ("#lobby> ", "Username: ").
  [[nodiscard]] std::string prompt() const;
  // The status line: the current place, our nick, away, unread lines.
  [[nodiscard]] client::status status() const;
  // What Tab may complete: the others in the current room, the rooms joined.
  [[nodiscard]] completion_sources completions() const;

 private:
  effects command(const struct command& c);
  // Server replies shown as people read them (WHOIS, AWAY, TOPIC, modes,
  // bans, invitations: irc_replies.cpp); false if `m` is none of them.
  bool reply(const protocol::irc::message& m, effects& out);
  // A CTCP request (VERSION, PING, TIME) from `from`: answered within the
  // rate; anything else is dropped, never shown raw.
  void ctcp(effects& out, std::string_view from, std::string_view request);
  effects registration_refused(std::string_view reason);
  // CAP LS is complete: REQ what we use (irc_login.cpp).
  void request_caps(effects& out);
  void caps_acknowledged(effects& out, std::string_view caps);
  // CAP END, once per connection (after a SASL login, or at once).
  void end_caps(effects& out);
  void start_login(effects& out);
  void authenticate(effects& out, std::string_view chunk);
  // 900-908; false if `m` is none of them.
  bool login_reply(const protocol::irc::message& m, effects& out);
  void login_over(effects& out, std::string_view failure);
  [[nodiscard]] bool has_cap(std::string_view cap) const { return enabled_caps_.contains(std::string(cap)); }
  // PRIVMSG and NOTICE: live, or from a chathistory batch (`history`: no
  // CTCP answers, no highlight, no unread count; shown at `when`).
  void message_line(const protocol::irc::message& m, effects& out, bool history, std::time_t when);
  // History (irc_history.cpp): ask for a conversation's (after its last
  // message seen, if known), take the lines of a batch, end a batch.
  void request_history(effects& out, const std::string& target);
  bool batch_line(const protocol::irc::message& m, effects& out);
  // JOIN, PART, QUIT, KICK, NICK from `from`; and 353/366 (NAMES):
  // irc_members.cpp. False if `m` is none of them.
  bool membership_line(const protocol::irc::message& m, std::string_view from, effects& out);
  bool names_line(const protocol::irc::message& m, effects& out);
  void batch_command(const protocol::irc::message& m, effects& out);
  // The history of `key` (folded) is over or failed: show the live lines held meanwhile.
  void history_done(effects& out, const std::string& key);
  // The folded conversation a live line belongs to, "" if none: its room,
  // or the other side of a private message.
  [[nodiscard]] std::string conversation_of(const protocol::irc::message& m) const;
  // A msgid was shown (true) or had been already (false).
  bool first_sight(const protocol::irc::message& m);
  // A failover (irc_failover.cpp): our nick is taken while registering
  // again; true if another was tried. Then the one we want back is asked
  // for when its holder leaves (QUIT, NICK or a MONITOR 731 about `nick`).
  bool retry_nick(effects& out);
  void watch_wanted_nick(effects& out);
  void nick_gone(effects& out, std::string_view nick);
  void nick_changed_by_us(effects& out);
  void isupport(const std::vector<std::string>& params);
  void standard_reply(const protocol::irc::message& m, effects& out);
  effects welcome(const std::vector<std::string>& params);
  void say(effects& out, std::string_view target, std::string_view text, bool action);
  void send(effects& out, std::string_view line);
  [[nodiscard]] bool is_me(std::string_view nick) const;
  [[nodiscard]] bool same(std::string_view a, std::string_view b) const;
  [[nodiscard]] std::string where(std::string_view room) const;  // "" for the current room
  void forget_room(std::string_view room);

  irc_options options_;
  style look_;
  std::string nick_;
  bool registered_ = false;
  bool quitting_ = false;
  bool awaiting_nick_ = false;
  bool echo_ = false;  // echo-message enabled: the server shows our own messages
  std::map<std::string, std::string> offered_caps_;  // name -> value, collected over a multi-line CAP LS
  std::set<std::string> enabled_caps_;               // ACKed
  bool caps_ended_ = false;                          // CAP END sent in this connection
  // The SASL exchange of this connection.
  enum class login : std::uint8_t {
    none,         // not asked for, or over
    requested,    // sasl in the CAP REQ
    mechanism,    // AUTHENTICATE <mechanism> sent, waiting for "+"
    scram_first,  // client-first sent
    scram_final,  // client-final sent, waiting for the server's signature
    verified,     // the server proved it knows the credential (or PLAIN sent)
  };
  login login_ = login::none;
  bool scram_ = false;  // the mechanism is SCRAM-SHA-256, not PLAIN
  std::unique_ptr<scram_client> scram_client_;
  protocol::sasl::assembler sasl_in_;  // the server's AUTHENTICATE chunks
  std::string logged_in_as_;
  // History.
  std::size_t history_limit_ = 0;  // ISUPPORT CHATHISTORY=; 0: none said
  bool monitor_ = false;           // ISUPPORT MONITOR: the server says when a nick goes offline
  // Failover.
  bool ever_registered_ = false;  // a connection before this one got a welcome
  std::string wanted_nick_;       // ours, held by a lost connection: taken back when free; "" if none
  int nick_tries_ = 0;            // other nicks tried in this connection
  bool monitoring_ = false;       // MONITOR + wanted_nick_ sent in this connection
  struct open_batch {
    std::string type;
    std::string target;
    std::size_t lines = 0;     // shown
    std::size_t messages = 0;  // received, shown or not (a page is full at the limit)
    std::string last_msgid;    // of the newest message received
  };
  // The history asked for a conversation, until its last batch ends.
  struct history_request {
    std::size_t limit = 0;
    bool after = false;    // AFTER a msgid (what was missed), not LATEST
    bool by_time = false;  // AFTER a timestamp: the msgid was unknown to this server
    int pages = 1;
    std::size_t shown = 0;  // lines shown by the pages so far
  };
  std::map<std::string, history_request> asked_;  // folded conversation -> its request
  // A history batch of `key` ended: true if another page (or the by-time
  // retry) was asked for, and the held lines keep waiting.
  bool more_history(effects& out, const std::string& key, const open_batch& batch);
  std::map<std::string, open_batch> batches_;  // by reference
  std::map<std::string, effects> held_;        // folded conversation -> lines waiting for its history
  std::set<std::string> live_since_request_;   // folded: a live msgid came after the request
  // Folded conversation -> the newest msgid seen in it (kept over reconnects).
  std::map<std::string, std::string> last_msgid_;
  std::map<std::string, std::string> last_time_;  // the same message's server-time, as the server wrote it
  std::set<std::string> seen_;                    // msgids shown, at most kMaxSeenMsgids
  std::deque<std::string> seen_order_;            // the same, oldest first
  bool queries_fetched_ = false;                  // this connection asked for the queries' history
  std::vector<std::string> queued_;               // typed before registration
  std::vector<std::string> rooms_;                // joined, in order; rejoined after a reconnect
  std::string current_;
  std::string previous_;  // the current room before a !join, until the server answers
  std::map<std::string, std::vector<std::string>> names_;  // folded room -> names so far (353)
  std::map<std::string, int> who_asked_;                   // folded room -> !who requests pending
  std::vector<std::string> listing_;                       // 322 lines of a !rooms request
  // Who is in each room, as far as JOIN, PART, KICK, QUIT, NICK and NAMES
  // tell: folded room -> nicks as shown (at most kMaxNames each).
  std::map<std::string, std::vector<std::string>> members_;
  void add_member(std::string_view room, std::string_view nick);
  void remove_member(std::string_view room, std::string_view nick);
  // Where lines typed may go: the rooms joined, then the private
  // conversations (queries, and whoever wrote to us), in order.
  [[nodiscard]] std::vector<std::string> conversations() const;
  // Lines that arrived elsewhere than the current conversation, shown in
  // the status line until it becomes current: folded name -> count, and whether
  // one named us.
  struct unread {
    std::size_t lines = 0;
    bool mention = false;
  };
  std::map<std::string, unread> unread_;
  std::vector<std::string> queries_;
  bool away_ = false;
  void note_unread(effects& out, std::string_view where, bool mention);
  // The prompt or the status may have changed: both go in `out`.
  void changed(effects& out) const;
  void make_current(effects& out, const std::string& where);
  std::set<std::string> ignored_;  // folded nicks whose messages are not shown
  std::time_t ctcp_window_ = 0;    // when the current CTCP window began
  int ctcp_replies_ = 0;           // replies sent in it
};

}  // namespace client
