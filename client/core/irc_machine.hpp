// The client's side of IRC, sans I/O: registration (CAP, PASS, NICK, USER,
// choosing another nick when one is refused), rooms joined and rejoined after
// a reconnect, typed commands turned into IRC lines, and server lines turned
// into display lines. Works with any RFC 1459/2812 server.
#pragma once

#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/completion.hpp"
#include "core/effects.hpp"
#include "core/input.hpp"
#include "core/text.hpp"
#include "protocol/irc.hpp"

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

// A room's name ('#' or '&' first), as opposed to a nick.
inline bool is_room(std::string_view target) {
  return !target.empty() && (target.front() == '#' || target.front() == '&');
}

struct irc_options {
  std::string nick;
  std::string room = "#lobby";  // joined after registration
  std::string user = "chat";    // the USER name
  std::string realname = "chat-client";
  std::string password;                                                    // sent as PASS when not empty
  std::string version = "chat-client";                                     // the CTCP VERSION answer
  std::function<std::time_t()> clock = [] { return std::time(nullptr); };  // CTCP TIME, and its rate
};

class irc_machine {
 public:
  irc_machine(irc_options options, style look);

  // A new connection is up: registration lines. Rooms joined so far are
  // rejoined once the server welcomes us.
  effects connected();
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
  // The input prompt for the current state ("#lobby> ", "Username: ").
  [[nodiscard]] std::string prompt() const;
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
  bool echo_ = false;                   // echo-message enabled: the server shows our own messages
  std::set<std::string> offered_caps_;  // collected over a multi-line CAP LS
  std::vector<std::string> queued_;     // typed before registration
  std::vector<std::string> rooms_;      // joined, in order; rejoined after a reconnect
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
  // the prompt until it becomes current: folded name -> count, and whether
  // one named us.
  struct unread {
    std::size_t lines = 0;
    bool mention = false;
  };
  std::map<std::string, unread> unread_;
  std::vector<std::string> queries_;
  bool away_ = false;
  void note_unread(effects& out, std::string_view where, bool mention);
  void make_current(effects& out, const std::string& where);
  std::set<std::string> ignored_;  // folded nicks whose messages are not shown
  std::time_t ctcp_window_ = 0;    // when the current CTCP window began
  int ctcp_replies_ = 0;           // replies sent in it
};

}  // namespace client
