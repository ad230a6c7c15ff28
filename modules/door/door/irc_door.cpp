// The IRC door's core: input, dispatch through the command table, replies,
// long replies, and the connection's lifetime (registration deadline, PING,
// goodbyes).
#include "door/irc_door.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "door/irc_sasl_state.hpp"
#include "door/log.hpp"
#include "protocol/limits.hpp"
#include "protocol/nick.hpp"
#include "protocol/utf8.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

namespace {

// The reason leave_everything() is given for JOIN 0: part, do not quit.
constexpr std::string_view kLeftAll = "Left all channels";

}  // namespace

irc_door::irc_door(link& l, chat::hub& hub, const irc_settings& settings)
    : door(l),
      hub_(hub),
      settings_(settings),
      pass_ok_(settings.live->get()->password.empty()),
      last_input_(clock::now()),
      host_(l.remote_address()) {}

std::shared_ptr<irc_door> irc_door::self_irc() {
  return std::static_pointer_cast<irc_door>(self());
}

std::string irc_door::source() const {
  std::string s;
  s.reserve(nick_.size() + user_.size() + host_.size() + 2);
  s += nick_;
  s += '!';
  s += user_;
  s += '@';
  s += host_;
  return s;
}

std::string_view irc_door::target() const noexcept {
  return nick_.empty() ? std::string_view("*") : std::string_view(nick_);
}

chat::actor irc_door::as_actor() {
  chat::actor a;
  a.m = self();
  a.nick = nick_;
  a.source = source();
  a.hosts_in_names = caps_.has(cap::userhost_in_names);
  a.account = account_;  // written on this strand
  return a;
}

chat::member_info irc_door::details() const {
  chat::member_info i;
  const std::lock_guard lock(info_mutex_);
  i.nick = nick_;
  i.away = away_;
  // user_ is set once, before the nick is published.
  i.user = user_;
  i.host = host_;
  i.realname = realname_;
  i.account = account_;
  i.oper = oper_;
  i.bot = bot_;
  i.invisible = invisible_;
  i.secure = link_.secure();
  i.signon = signon_;
  const auto last = last_message_.load(std::memory_order_relaxed);
  i.idle = last == 0 ? 0 : std::max<std::time_t>(0, std::time(nullptr) - last);
  return i;
}

chat::member_info irc_door::info() const {
  auto i = details();
  i.certfp = link_.certfp();  // fixed before the door is published (link::certfp)
  const std::lock_guard lock(info_mutex_);
  for (const auto& [key, r] : rooms_) {
    i.rooms.push_back(r.room->name());
    i.prefixes += r.op ? '@' : r.voice ? '+' : ' ';
  }
  return i;
}

std::string irc_door::nick() const {
  const std::lock_guard lock(info_mutex_);
  return nick_;
}

std::string irc_door::away() const {
  const std::lock_guard lock(info_mutex_);
  return away_;
}

// ---- Answers from elsewhere -------------------------------------------------

void irc_door::begin_wait() {
  awaiting_ = true;
  link_.hold_input(true);
}

void irc_door::end_wait() {
  awaiting_ = false;
  if (!link_.open()) return;
  // A labeled command: its answer was collected, and the label ends now.
  if (labeling() && label_->fences > 0) {
    if (--label_->fences == 0) finish_label(/*resume=*/true);
    return;
  }
  link_.hold_input(false);
  on_bytes({});  // the commands that waited
}

void irc_door::off_loop(std::function<void()> work, std::function<void()> then) {
  // Ends the wait it begins (or that the caller began): the last step of a
  // flow. Without a slow-work thread the work runs on the strand, later.
  begin_wait();
  auto job = [self = self_irc(), work = std::move(work), then = std::move(then)]() mutable {
    work();
    self->link_.post([self, then = std::move(then)] {
      if (self->link_.open()) then();
      self->end_wait();
    });
  };
  if (settings_.slow_work) {
    settings_.slow_work(std::move(job));
  } else {
    link_.post(std::move(job));
  }
}

// ---- Input ------------------------------------------------------------------

void irc_door::on_start() {
  link_.arm_deadline(settings_.registration_timeout);
}

void irc_door::on_bytes(std::string_view bytes) {
  last_input_ = link_.now();
  ping_sent_ = false;
  // A long reply on its way, a labeled command still waiting for its
  // answers, or an answer from elsewhere (a password hash, the store): what the
  // client sends meanwhile waits (and the link reads no more of it until
  // then). A long reply's next chunk comes when the queue
  // has drained (on_bytes("")).
  if (labeling() || awaiting_ || (!streams_.empty() && (!bytes.empty() || !pump_streams()))) {
    decoder_.hold(bytes);
    return;
  }
  decoder_.consume(bytes, [this](tl::expected<std::string_view, protocol::errc> line) {
    if (!line.has_value()) {
      reply(numeric::err_inputtoolong, {"Input line was too long"});
      return link_.open();
    }
    if (line->empty()) {
      return true;
    }
    return handle_line(*line);
  });
  decoder_.shrink_if_empty();
}

bool irc_door::handle_line(std::string_view line) {
  if (spdlog::should_log(spdlog::level::trace)) {
    // Checked first: formatting the arguments cost a fifth of the server's
    // CPU per message even with tracing off.
    // The command and the size only: what users say is never logged.
    const auto parsed = irc::parse_view(line);
    spdlog::trace("irc {} <- {} ({} bytes)", link_.remote_label(),
                  parsed ? sample(parsed->command, 32) : std::string("(malformed)"), line.size());
  }
  // Go on with the next line unless closing, out of flood tokens, or a long
  // reply or a labeled response has to finish first.
  auto more = [this] {
    const bool token = link_.spend_token();
    return link_.open() && token && streams_.empty() && !labeling() && !awaiting_;
  };
  // UTF8ONLY: nothing that is not UTF-8 is relayed or kept. Message text is
  // refused (FAIL below); anywhere else (reasons, topics, real names, mode
  // arguments, tags) the bad bytes become U+FFFD. NICK keeps them, to be
  // refused as an erroneous nick.
  std::string repaired;
  std::string_view text = line;
  bool bad_text = false;
  if (!protocol::is_valid_utf8(text)) {
    repaired = protocol::replace_invalid_utf8(text);
    auto probe = irc::parse_message(repaired);
    const auto cmd = probe ? std::string_view(probe->command) : std::string_view();
    if (cmd == "PRIVMSG" || cmd == "NOTICE" || cmd == "TAGMSG") {
      bad_text = true;
    } else if (cmd != "NICK") {
      text = repaired;
    }
  }
  // Fast path for the bulk of the traffic: a registered user's PRIVMSG or
  // NOTICE without tags is routed from views into the line, with no copy of
  // the parameters. Everything else is copied into a message.
  const auto v = irc::parse_view(text);
  if (!bad_text && registered_ && v.has_value() && v->tags.empty()) {
    const bool privmsg = irc::is_command(v->command, "PRIVMSG");
    if (privmsg || irc::is_command(v->command, "NOTICE")) {
      send_message(privmsg ? "PRIVMSG" : "NOTICE", v->params(), {});
      return more();
    }
  }
  const auto m = v.map(irc::to_message);
  if (!m.has_value()) {
    switch (m.error()) {
      case protocol::errc::irc_empty_line:
        break;
      case protocol::errc::irc_line_too_long:
      case protocol::errc::irc_tags_too_long:
        reply(numeric::err_inputtoolong, {"Input line was too long"});
        break;
      default:
        server_line("NOTICE",
                    {target(), fmt::format("Malformed line ignored: {}", protocol::describe(m.error()))});
        break;
    }
    return more();
  }
  // labeled-response: what this command sends goes out with its label.
  if (caps_.has(cap::labeled_response)) {
    const auto label = std::find_if(m->tags.begin(), m->tags.end(),
                                    [](const irc::tag& t) { return t.key == "label" && !t.value.empty(); });
    if (label != m->tags.end()) begin_label(label->value.substr(0, 64));
  }
  if (bad_text) {
    if (m->command != "NOTICE") {
      server_line("FAIL", {m->command, "INVALID_UTF8", "Message rejected: it is not valid UTF-8"});
    }
  } else {
    dispatch(*m);
  }
  if (labeled()) end_label();
  return more();
}

void irc_door::dispatch(const message& m) {
  const auto* c = find_command(m.command);
  if (!registered_) {
    if (c == nullptr || c->when == phase::registered) {
      return reply(numeric::err_notregistered, {"You have not registered"});
    }
  } else if (c == nullptr) {
    return reply(numeric::err_unknowncommand, {m.command, "Unknown command"});
  } else if (c->when == phase::unregistered) {
    return reply(numeric::err_alreadyregistered, {"You may not reregister"});
  }
  command_counts()[static_cast<std::size_t>(c - commands().data())].fetch_add(1, std::memory_order_relaxed);
  if (c->oper_only && !oper_) {
    return reply(numeric::err_noprivileges, {"Permission Denied- You're not an IRC operator"});
  }
  if (m.params.size() < c->min_params) {
    return reply(numeric::err_needmoreparams, {c->name, "Not enough parameters"});
  }
  in_command_ = true;
  (this->*(c->handler))(m);
  in_command_ = false;
}

// ---- Lifetime -----------------------------------------------------------------

void irc_door::on_deadline() {
  if (!registered_) {
    // The nick is free at once, not when the client finally closes.
    if (!nick_.empty()) hub_.directory().release(nick_, this);
    send_bytes(irc::closing_link(link_.remote_address(), "Registration timed out"));
    link_.note_close_reason(metrics::disconnect::login_timeout);
    link_.close_after_flush();
    return;
  }
  if (nick_grace_until_ && clock::now() >= *nick_grace_until_) force_guest_nick();
  if (!link_.open()) return;
  const auto idle = clock::now() - last_input_;
  if (ping_sent_ && idle >= settings_.ping_interval + settings_.ping_timeout) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(idle).count();
    const auto reason = fmt::format("Ping timeout: {} seconds", secs);
    spdlog::info("irc {}: {} {}", link_.remote_label(), nick_, reason);
    close_link(reason, metrics::disconnect::ping_timeout);
    return;
  }
  if (!ping_sent_ && idle >= settings_.ping_interval) {
    send_bytes(irc::encode_line({{}, {}, "PING"}, {settings_.server_name}));
    ping_sent_ = true;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.ping_timeout);
    if (nick_grace_until_) {
      wait = std::min(
          wait, std::chrono::duration_cast<std::chrono::milliseconds>(*nick_grace_until_ - clock::now()));
    }
    link_.arm_deadline(std::max(wait, std::chrono::milliseconds(1)));
    return;
  }
  auto left =
      ping_sent_ ? settings_.ping_interval + settings_.ping_timeout - idle : settings_.ping_interval - idle;
  if (nick_grace_until_) left = std::min<clock::duration>(left, *nick_grace_until_ - clock::now());
  link_.arm_deadline(
      std::max(std::chrono::duration_cast<std::chrono::milliseconds>(left), std::chrono::milliseconds(1)));
}

void irc_door::on_excess_flood() {
  close_link("Excess Flood", metrics::disconnect::flood);
}

void irc_door::on_shutdown() {
  send_bytes(irc::closing_link(link_.remote_address(), "Server is shutting down"));
  leave_everything("Server is shutting down");
}

void irc_door::on_stop() {
  if (!quitting_) leave_everything("Connection closed");
  for (const auto& n : monitored_) hub_.monitor().unwatch(n, this);
  monitored_.clear();
  if (oper_.exchange(false)) hub_.opers().fetch_sub(1, std::memory_order_relaxed);
  if (invisible_.exchange(false)) hub_.invisible().fetch_sub(1, std::memory_order_relaxed);
  std::string nick;
  std::string account;
  {
    const std::lock_guard lock(info_mutex_);
    nick = nick_;
    account = account_;
  }
  if (!account.empty()) hub_.logins().remove(account, this);
  if (!nick.empty()) {
    hub_.directory().release(nick, this, "Connection closed");
    if (registered_) spdlog::info("irc {}: {} left", link_.remote_label(), nick);
  }
}

void irc_door::close_link(std::string_view reason, metrics::disconnect why) {
  link_.note_close_reason(why);
  send_bytes(irc::closing_link(link_.remote_address(), reason));
  leave_everything(reason);
  quitting_ = true;
  link_.close_after_flush();
}

void irc_door::leave_everything(std::string_view reason) {
  const bool quitting = reason != kLeftAll;
  if (quitting && !nick_.empty()) {
    // Free the nick before any room announces the departure, so that a
    // client who saw the QUIT can take the nick at once.
    hub_.directory().release(nick_, this, reason);
    if (oper_.exchange(false)) hub_.opers().fetch_sub(1, std::memory_order_relaxed);
    if (invisible_.exchange(false)) hub_.invisible().fetch_sub(1, std::memory_order_relaxed);
    if (registered_) {
      remember_nick();
      tell_monitors(false);
    }
  }
  std::map<std::string, joined> rooms;
  {
    const std::lock_guard lock(info_mutex_);
    rooms.swap(rooms_);
  }
  if (rooms.empty()) return;
  auto ev = chat::new_event(chat::event_kind::quit, {}, nick_, this);
  ev->source = source();
  ev->text = std::string(reason);
  const bool announce = !hub_.shutting_down();
  for (const auto& [key, r] : rooms) {
    if (quitting) {
      r.room->quit(this, announce ? ev : nullptr);
    } else {
      r.room->part(as_actor(), {});
    }
  }
}

void irc_door::remember_nick() {
  const std::lock_guard lock(info_mutex_);
  hub_.whowas().record(chat::whowas_entry{nick_, user_, host_, realname_, std::time(nullptr)});
}

void irc_door::tell_monitors(bool online) {
  auto ev = chat::new_event(online ? chat::event_kind::user_online : chat::event_kind::user_offline, {},
                            nick_, this);
  ev->source = source();
  hub_.monitor().notify(ev);
}

// ---- Long replies -------------------------------------------------------------

void irc_door::start_stream(std::shared_ptr<reply_stream> s) {
  streams_.push_back(std::move(s));
  streaming_ = true;
  if (streams_.size() == 1) pump_streams();
}

bool irc_door::pump_streams() {
  while (!streams_.empty()) {
    std::string out;
    // A chunk ends past kReplyChunk by at most a line: one allocation,
    // not a string grown by doubling (a join storm streams every NAMES).
    out.reserve(kReplyChunk + protocol::kIrcMaxLine);
    const bool done = streams_.front()->fill(out, kReplyChunk);
    if (done) streams_.erase(streams_.begin());
    const auto sent = out.empty() ? chat::delivery::queued
                                  : link_.send(std::make_shared<const std::string>(std::move(out)));
    if (sent == chat::delivery::dropped) {
      streams_.clear();  // closing: nobody will read the rest
      break;
    }
    if (sent == chat::delivery::backlogged && !streams_.empty()) {
      link_.wait_until_drained();
      return false;
    }
  }
  streaming_ = false;
  return true;
}

// ---- Replies ------------------------------------------------------------------

void irc_door::send_bytes(std::string bytes) {
  if (labeling() && collect(bytes)) return;
  link_.send(std::make_shared<const std::string>(std::move(bytes)));
}

void irc_door::too_many_targets(std::string_view command, std::string_view ignored) {
  reply(numeric::err_toomanytargets,
        {ignored, fmt::format("Too many targets: {} takes {} at most", command,
                              command == "NAMES" ? std::size_t{1} : protocol::kMaxTargets)});
}

void irc_door::spend_extra(std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) (void)link_.spend_token();
}

void irc_door::reply(numeric n, std::initializer_list<std::string_view> params, irc::last_param last) {
  std::string out;
  out.reserve(128);
  irc::append_numeric(out, settings_.server_name, n, target(), params, last);
  send_bytes(std::move(out));
}

void irc_door::server_line(std::string_view verb, std::initializer_list<std::string_view> params,
                           irc::last_param last) {
  send_bytes(irc::encode_line({{}, settings_.server_name, verb}, params, last));
}

void irc_door::standard_reply(std::string_view type, std::string_view command, std::string_view code,
                              std::initializer_list<std::string_view> context, std::string_view description) {
  std::vector<std::string_view> params{command, code};
  params.insert(params.end(), context.begin(), context.end());
  params.push_back(description);
  std::string out;
  irc::append_line(out, {{}, settings_.server_name, type}, params);
  send_bytes(std::move(out));
}

}  // namespace door
