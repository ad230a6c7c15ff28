// The IRC front door (RFC 1459/2812 with modern conventions and IRCv3
// capabilities), as a state machine without sockets: lines in, through the
// command table; replies and rendered events out, through its link. Shares
// rooms and the nick namespace with the seed door.
//
// Runs on its connection's strand. deliver() and info() are the entries from
// other threads: deliver() touches only the link's send and the fields under
// info_mutex_ and the atomics; info() only the fields under info_mutex_.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chat/hub.hpp"
#include "chat/small_mutex.hpp"
#include "door/irc_caps.hpp"
#include "door/irc_settings.hpp"
#include "door/irc_stream.hpp"
#include "door/link.hpp"
#include "door/services.hpp"
#include "protocol/irc.hpp"
#include "protocol/irc_numeric.hpp"
#include "protocol/irc_reply.hpp"
#include "store/store.hpp"

namespace door {

// Nicks one client may MONITOR (ISUPPORT MONITOR=); past it 734.
inline constexpr std::size_t kMaxMonitor = 100;
// Longest channel key (+k, ISUPPORT KEYLEN); longer, or with spaces: 525.
inline constexpr std::size_t kMaxKeyLength = 32;
// Flood tokens a failed OPER costs beyond its own line: password guessing is
// slowed to the flood rate over this many.
inline constexpr std::size_t kOperFailureTokens = 10;

class irc_door final : public door {
 public:
  using message = protocol::irc::message;
  using numeric = protocol::irc::numeric;

  irc_door(link& l, chat::hub& hub, const irc_settings& settings);
  ~irc_door() override;  // irc_sasl.cpp, where sasl_state is complete
  irc_door(const irc_door&) = delete;
  irc_door& operator=(const irc_door&) = delete;

  // door
  void on_start() override;
  void on_bytes(std::string_view bytes) override;
  void on_deadline() override;
  void on_shutdown() override;
  void on_excess_flood() override;
  void on_stop() override;
  [[nodiscard]] std::size_t pending_input() const override { return decoder_.buffered(); }
  [[nodiscard]] metrics::door_kind kind() const noexcept override { return metrics::door_kind::irc; }

  // chat::member
  chat::delivery deliver(const chat::event_ptr& ev) override;
  chat::member_info info() const override;
  chat::member_info details() const override;
  std::string nick() const override;
  std::string away() const override;
  std::string account() const override;

  // When a command may run.
  enum class phase : std::uint8_t {
    any,           // before and after registration
    registered,    // after: 451 ERR_NOTREGISTERED before
    unregistered,  // before: 462 ERR_ALREADYREGISTERED after
  };

  // One row of the command table: dispatch checks the phase (451, 462),
  // operator status (481) and the parameter count (461) before the handler
  // runs. Handlers with their own reply for missing parameters (PRIVMSG's
  // 411, NICK's 431) ask for 0. `help` is what HELP says of it.
  struct command_spec {
    std::string_view name;  // uppercase
    std::size_t min_params;
    phase when;
    bool oper_only;
    void (irc_door::*handler)(const message&);
    std::string_view help;
  };
  // Every command this door knows, sorted by name (irc_commands.cpp).
  static std::span<const command_spec> commands() noexcept;
  // The row for `name` (uppercase), or null.
  static const command_spec* find_command(std::string_view name) noexcept;
  // How often each command ran, since the start (STATS m): by the
  // command's place in commands().
  static std::span<std::atomic<std::uint64_t>> command_counts() noexcept;

 private:
  // A room this user is in (or joining), and its prefixes there.
  struct joined {
    std::shared_ptr<chat::room> room;
    bool op = false;
    bool voice = false;
    // draft/read-marker: the join reply says this read marker (none: '*').
    bool marker_due = false;
    std::optional<std::int64_t> marker;
  };
  // A JOIN's read markers, one per name of the list (read-marker).
  using join_markers = std::vector<std::optional<std::int64_t>>;

  // ---- Input and dispatch (irc_door.cpp)
  // False to stop handling input (closing, flood control, a long reply or
  // a labeled response still open).
  bool handle_line(std::string_view line);
  void dispatch(const message& m);

  // ---- Registration, CAP and connection commands (irc_registration.cpp)
  void cmd_cap(const message& m);
  void cmd_pass(const message& m);
  void cmd_nick(const message& m);
  // Grants `wanted` (the network agreed, if there is one): registration or a change of nick.
  void take_nick(const std::string& wanted);
  void cmd_user(const message& m);
  void cmd_ping(const message& m);
  void cmd_pong(const message& m);
  void cmd_quit(const message& m);
  void try_finish_registration();
  void welcome();
  void isupport();

  // ---- Channels (irc_channel.cpp)
  void cmd_join(const message& m);
  void cmd_part(const message& m);
  void cmd_topic(const message& m);
  void cmd_names(const message& m);
  void cmd_list(const message& m);
  void cmd_mode(const message& m);
  void cmd_kick(const message& m);
  void cmd_invite(const message& m);
  void cmd_rename(const message& m);
  // The JOIN list `names` with `keys`; with `markers` (read-marker), each
  // join reply says its name's.
  void join_all(const std::string& names, const std::string& keys, const join_markers* markers);
  void join_room(const std::string& name, const std::string& key,
                 std::optional<std::optional<std::int64_t>> marker = std::nullopt);
  // A room this door touched in the command being handled (labeled-response
  // waits for its answers), returned as it is.
  const std::shared_ptr<chat::room>& touch(const std::shared_ptr<chat::room>& r);

  // ---- Messages (irc_message.cpp): PRIVMSG, NOTICE and TAGMSG
  void cmd_message(const message& m);
  // The same from views into the line; `verb` is uppercase.
  void send_message(std::string_view verb, std::span<const std::string_view> params,
                    std::span<const protocol::irc::tag> tags);

  // ---- Users (irc_user.cpp): AWAY, SETNAME, user modes, ISON, USERHOST,
  // MONITOR, CHGHOST
  void cmd_away(const message& m);
  void cmd_setname(const message& m);
  void cmd_ison(const message& m);
  void cmd_userhost(const message& m);
  void cmd_monitor(const message& m);
  void cmd_chghost(const message& m);
  void user_mode(const message& m);
  // Tells this user's rooms (and who MONITORs it) that `what` changed.
  void announce(chat::attribute what, std::string text);
  // The user modes as "+iow".
  std::string user_modes() const;

  // ---- Queries about users (irc_who.cpp): WHO (and WHOX), WHOIS, WHOWAS
  void cmd_who(const message& m);
  void cmd_whois(const message& m);
  void cmd_whowas(const message& m);
  // True if this user shares a room with `rooms` (another user's).
  bool shares_room(const std::vector<std::string>& rooms) const;

  // ---- The server (irc_server.cpp): LUSERS, MOTD, TIME, VERSION, INFO,
  // ADMIN, LINKS, STATS, HELP
  void cmd_lusers(const message& m);
  void cmd_motd(const message& m);
  void cmd_time(const message& m);
  void cmd_version(const message& m);
  void cmd_info(const message& m);
  void cmd_admin(const message& m);
  void cmd_links(const message& m);
  void cmd_stats(const message& m);
  void cmd_help(const message& m);

  // ---- Operators (irc_oper.cpp)
  void cmd_oper(const message& m);
  void oper_answer(bool ok, std::string_view name);
  void cmd_kill(const message& m);
  void cmd_wallops(const message& m);
  void cmd_rehash(const message& m);
  void cmd_die(const message& m);
  // The operator `by` disconnects this door (from any thread).
  void killed(const std::string& by, const std::string& reason);

  // ---- Accounts (irc_sasl.cpp: SASL; irc_account.cpp: REGISTER, VERIFY,
  // NickServ and ChanServ, nick ownership; irc_cert.cpp: NickServ CERT)
  // True if this server offers `c` (those that need the store, only with it).
  [[nodiscard]] bool offered(cap c) const noexcept;
  void cmd_authenticate(const message& m);
  void sasl_message(std::string data);  // a whole SASL message, decoded
  void sasl_plain(const std::string& data);
  void sasl_scram_first(const std::string& data);
  void sasl_scram_final(const std::string& data);
  void sasl_external(const std::string& authzid);
  // Ends the exchange: 906 when `say`.
  void sasl_abort(bool say);
  // 904, and flood tokens; `why` goes to the log, `tell` (if any) to the
  // client. Password mechanisms tell nothing: no account probing.
  void sasl_failed(std::string_view why, std::string_view tell = {});
  // Logged in as `name` (900, account-notify); `sasl`: also 903.
  void log_in(std::string name, bool sasl);
  void log_out();
  void cmd_register(const message& m);
  void cmd_verify(const message& m);
  void register_account(std::string name, std::string email, std::string password,
                        std::function<void(bool ok, std::string_view code, std::string_view why)> answer);
  // A line to NickServ or ChanServ; true if `to` is one of them.
  bool to_service(std::string_view to, std::string_view text);
  void nickserv(std::string_view text);
  // NickServ CERT (irc_cert.cpp); `words` from CERT on.
  void nickserv_cert(std::span<const std::string_view> words);
  void chanserv(std::string_view text);
  // ChanServ DROP of `name` through its room; a room that closed meanwhile
  // is looked up again, `tries` times in all.
  void chanserv_drop(std::string name, int tries);
  // A room's answer to ChanServ, brought to this door's strand where `f`
  // runs (if the connection is still open).
  chat::registration_done answer_here(std::function<void(chat::registration_answer, std::string)> f);
  void service_notice(std::string_view service, std::string_view text);
  // The nick is now `nick_`: if an account owns it and it is not ours, say
  // so and start the grace period.
  void check_nick_owner();
  // Renames the user to a free GuestNNNNN and says why in a notice (default: the nick belongs to an account).
  void force_guest_nick(std::string why = {});
  // Another node held `nick` first (cluster): the user is given a guest nick, if it still has that one.
  void lost_nick(const std::string& nick);

  // ---- History (irc_history.cpp): CHATHISTORY
  void cmd_chathistory(const message& m);
  void send_history(std::string_view target, const std::vector<store::line>& lines);
  // History lines as this client reads them (a chathistory batch if it can).
  std::vector<std::string> render_history(std::string_view target, const std::vector<store::line>& lines);
  // One event line of a channel's history (event-playback) with `tags`.
  std::string render_event_line(const std::string& tags, const store::line& l) const;
  // +H: the last lines of `room` said before `joined_ms`, within its age,
  // for a newcomer without CHATHISTORY. On the strand.
  void replay_history(const std::string& room, chat::replay_setting r, std::int64_t joined_ms);
  void send_targets(const std::vector<store::target_entry>& targets);
  // The history key of `target` for this user; empty if it may not read it.
  std::string readable_key(std::string_view target) const;

  // ---- Read markers (irc_marker.cpp): IRCv3 draft/read-marker, MARKREAD
  void cmd_markread(const message& m);
  // True if this client's joins say read markers (the cap, an account, a
  // store).
  [[nodiscard]] bool wants_markers() const;
  // JOIN for such a client: the markers are read first, then join_all.
  void join_with_markers(std::string names, std::string keys);
  // "MARKREAD <target> timestamp=...|*" from this server.
  std::string marker_line(std::string_view target, std::optional<std::int64_t> at_ms) const;

  // ---- Answers from elsewhere (the store, the slow-work thread): input
  // waits from begin_wait until end_wait, so commands keep their order and a
  // labeled command's label waits for the answer too.
  void begin_wait();
  void end_wait();
  // A store callback that brings its result back to this door's strand,
  // where `f(result)` runs (if the connection is still open).
  template <class T, class F>
  store::callback<T> back_here(F f) {
    return [self = self_irc(), f = std::move(f)](store::result<T> r) mutable {
      auto* d = self.get();
      d->link_.post([self = std::move(self), f = std::move(f), r = std::move(r)]() mutable {
        if (self->link_.open()) f(std::move(r));
      });
    };
  }
  // Runs `work` on the slow-work thread (or here without one), then
  // `then` back on the strand.
  void off_loop(std::function<void()> work, std::function<void()> then);

  // ---- Rendering events (irc_render.cpp, irc_render_users.cpp)
  chat::delivery render_said(const chat::event_ptr& ev, bool mine);
  // A joiner's JOIN line as this client sees it (extended-join, tags), and
  // a room's batch of them (chat::event_kind::joins).
  std::string join_line(const chat::event& ev) const;
  chat::delivery render_joins(const chat::event& ev);
  // WHO or NAMES of a roster: at once when small, else as a stream (posted
  // to this door's strand; deliver() may run on a room's).
  void render_roster(const chat::event_ptr& ev, bool as_names);
  void render_state(const chat::event_ptr& evp);
  void render_error(const chat::event& ev);
  void render_mask_list(const chat::event& ev);
  void render_attribute(const chat::event& ev);
  void render_presence(const chat::event& ev);
  void render_mode_change(const chat::event& ev);
  void render_renamed(const chat::event& ev);
  // The tag section (without '@') this client gets for `ev`.
  std::string tags_for(const chat::event& ev) const;
  // The render key of this client's current format.
  chat::render_key format() const noexcept;

  // ---- Long replies (irc_door.cpp, irc_stream.hpp)
  // Queues `s` behind any stream already running, and pumps.
  void start_stream(std::shared_ptr<reply_stream> s);
  // Sends chunks until the queue is backlogged or no stream is left; with
  // one left, asks the link to wait for the queue to drain. True when none
  // is left.
  bool pump_streams();

  // ---- Labeled responses (irc_label.cpp, IRCv3 labeled-response)
  // A command with a `label` tag begins: what it sends is collected.
  void begin_label(std::string label);
  // The handler has run: waits for the rooms it touched to answer, then
  // sends the collected lines with the label (one line, a batch, or ACK).
  void end_label();
  // The rooms touched since the label's end was reached (by a command that
  // waited for the store, then went on) are waited for too.
  void fence_touched();
  // True while a labeled command's answers are being collected.
  [[nodiscard]] bool labeling() const noexcept { return labeling_.load(std::memory_order_acquire); }
  // A labeled command is being handled (on the strand).
  [[nodiscard]] bool labeled() const noexcept { return label_ && !label_->label.empty(); }
  // Collects `bytes` (whole lines) for the open label; false if none is open.
  bool collect(const std::string& bytes);
  // `resume`: handle the input that waited (not from inside the decoder).
  void finish_label(bool resume);
  // A long answer to the labeled command, to be streamed rather than
  // collected: `lines` with the label on the first, or in a
  // labeled-response batch; the label is then answered.
  std::vector<std::string> label_stream(std::vector<std::string> lines);

  // ---- Replies and lifetime (irc_door.cpp)
  // ":server <n> <nick> params... :last"
  void reply(numeric n, std::initializer_list<std::string_view> params,
             protocol::irc::last_param last = protocol::irc::last_param::trailing);
  // One line from this server, e.g. NOTICE or PONG.
  void server_line(std::string_view verb, std::initializer_list<std::string_view> params,
                   protocol::irc::last_param last = protocol::irc::last_param::trailing);
  // A standard reply (IRCv3): FAIL, WARN or NOTE.
  void standard_reply(std::string_view type, std::string_view command, std::string_view code,
                      std::initializer_list<std::string_view> context, std::string_view description);
  void send_bytes(std::string bytes);
  // 407 for a list of targets longer than TARGMAX allows `command`; the
  // first ignored target is named.
  void too_many_targets(std::string_view command, std::string_view ignored);
  // Work beyond one command's worth (each extra target of a list): `n` more
  // flood tokens. Flood control then holds the next command back.
  void spend_extra(std::size_t n);
  // Says ERROR :Closing Link, leaves every room with `reason`, and closes,
  // counting the disconnect as `why`.
  void close_link(std::string_view reason, metrics::disconnect why);
  // Parts every room (JOIN 0), or quits them all and frees the nick.
  void leave_everything(std::string_view reason);
  // Remembers the current nick for WHOWAS (it is going away).
  void remember_nick();
  // This user's presence for those who MONITOR its nick.
  void tell_monitors(bool online);
  std::string source() const;                // nick!user@host
  std::string_view target() const noexcept;  // the nick, or "*" before one is set
  chat::actor as_actor();
  std::shared_ptr<irc_door> self_irc();

  chat::hub& hub_;
  const irc_settings& settings_;
  protocol::irc::line_decoder decoder_;

  // Guarded by the strand.
  bool pass_ok_;
  bool cap_negotiating_ = false;
  bool cap_302_ = false;  // CAP LS 302 seen: values, multi-line lists, cap-notify
  bool registered_ = false;
  bool quitting_ = false;
  std::string user_;
  std::vector<std::shared_ptr<reply_stream>> streams_;  // long replies, oldest first
  std::vector<std::string> monitored_;                  // MONITOR list, as given
  clock::time_point last_input_;
  std::time_t signon_ = 0;
  bool ping_sent_ = false;
  // Labeled responses: made at the first labeled command and kept (deliver()
  // may read it from a room's strand), so that the clients that never label
  // do not pay for it in every connection.
  struct label_state {
    std::string label;                                 // the open label; empty: none
    std::vector<std::shared_ptr<chat::room>> touched;  // rooms the command reached
    std::size_t fences = 0;                            // of them, those yet to answer
    std::string collected;                             // the answers so far; guarded by info_mutex_
    bool streamed = false;                             // the answer went out labeled as a stream
  };
  std::unique_ptr<label_state> label_;
  bool in_command_ = false;
  bool awaiting_ = false;  // an answer from elsewhere is pending (begin_wait): input waits
  // SASL: the exchange under way, if any (irc_sasl.cpp).
  struct sasl_state;
  std::unique_ptr<sasl_state> sasl_;
  // When a registered nick that is not this user's must change (the grace
  // period); empty: none.
  std::optional<clock::time_point> nick_grace_until_;
  std::size_t guest_serial_ = 0;

  // Read by deliver() and info() on other threads; guarded by info_mutex_.
  mutable chat::small_mutex info_mutex_;
  std::string nick_;  // also the claimed nick before registration
  std::string away_;
  std::string realname_;
  std::string host_;                     // the address, unless an operator changed it (CHGHOST)
  std::string account_;                  // logged in as; empty: not
  std::map<std::string, joined> rooms_;  // folded name -> room (joined or joining)

  // Capabilities and user modes: written on the strand, read by deliver()
  // anywhere.
  cap_set caps_;
  std::atomic<bool> labeling_{false};         // a labeled command is open: its answers are collected
  std::atomic<bool> streaming_{false};        // streams_ is not empty: replies from rooms queue behind
  std::atomic<bool> oper_{false};             // +o, by OPER only
  std::atomic<bool> wallops_{false};          // +w, receives WALLOPS
  std::atomic<bool> invisible_{false};        // +i
  std::atomic<bool> bot_{false};              // +B
  std::atomic<std::time_t> last_message_{0};  // for WHOIS idle time
};

}  // namespace door
