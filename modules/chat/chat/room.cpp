// A room's membership, messages and queries (modes and lists: room_modes.cpp).
#include "chat/room.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>

#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include "metrics/metrics.hpp"
#include "protocol/nick.hpp"

namespace chat {

room::room(const asio::io_context::executor_type& ex, std::string name, bool persistent,
           std::function<void(const room*)> on_empty, std::shared_ptr<recorder> history, saved_rooms* saved,
           std::optional<saved_room> restored)
    : strand_(asio::make_strand(ex)),
      name_(std::move(name)),
      persistent_(persistent),
      on_empty_(std::move(on_empty)),
      history_(std::move(history)),
      created_at_(std::time(nullptr)),
      saved_(saved) {
  summary_.name = name_;
  summary_.created_at = created_at_;
  if (restored) apply(*restored);  // nobody else sees the room yet
}

void room::part(actor who, std::string reason) {
  asio::post(strand_,
             [self = shared_from_this(), who = std::move(who), reason = std::move(reason)]() mutable {
               self->flush_joins();
               auto it = self->find(who.m.get());
               if (it == self->members_.end()) {
                 self->reply_error(who, error_code::not_on_room);
                 return;
               }
               auto ev = new_event(event_kind::left, self->name_, it->nick, who.m.get());
               ev->relayed = who.relayed;
               ev->source = who.source;
               ev->text = std::move(reason);
               self->fan_out(ev);  // the leaver included: IRC clients expect their own PART
               self->remember(*ev);
               self->remove(it);
             });
}

void room::leave(const member* m, std::string source, std::string reason, bool announce) {
  asio::post(strand_, [self = shared_from_this(), m, source = std::move(source), reason = std::move(reason),
                       announce]() mutable {
    self->flush_joins();
    auto it = self->find(m);
    if (it == self->members_.end()) {
      return;
    }
    auto ev = new_event(event_kind::left, self->name_, it->nick, m);
    ev->source = std::move(source);
    ev->text = std::move(reason);
    self->remove(it);
    if (announce) {
      self->fan_out(ev);
      self->remember(*ev);
    }
  });
}

void room::quit(const member* m, event_ptr quit) {
  asio::post(strand_, [self = shared_from_this(), m, quit = std::move(quit)] {
    self->flush_joins();
    auto it = self->find(m);
    if (it == self->members_.end()) {
      return;
    }
    self->remove(it);
    if (quit) {
      self->fan_out(quit);
      self->remember(*quit);
    }
  });
}

void room::rename(const member* m, event_ptr nick_changed) {
  asio::post(strand_, [self = shared_from_this(), m, ev = std::move(nick_changed)] {
    self->flush_joins();
    auto it = self->find(m);
    if (it == self->members_.end()) {
      return;
    }
    it->nick = ev->target;
    it->checked = 0;  // a new nick!user@host: match the lists again
    for (const auto& e : self->members_) {
      if (e.m.get() != m) e.m->deliver(ev);
    }
    self->remember(*ev);
  });
}

void room::relay(const member* m, event_ptr ev) {
  asio::post(strand_, [self = shared_from_this(), m, ev = std::move(ev)] {
    self->flush_joins();
    auto it = self->find(m);
    if (it == self->members_.end()) {
      return;
    }
    if (ev->attribute == attribute::host) it->checked = 0;
    for (const auto& e : self->members_) {
      if (e.m.get() != m) e.m->deliver(ev);
    }
  });
}

void room::say(actor who, std::shared_ptr<event> said) {
  // dispatch, not post: when the room's strand is free, the message fans out
  // now, inside the sender's read, and joins the writes of this round rather
  // than of the next. (Order is kept: a strand with work queued queues this.)
  asio::dispatch(strand_, [self = shared_from_this(), who = std::move(who), said = std::move(said)] {
    self->flush_joins();
    said->room = self->name_;  // as it is now: a RENAME may have come first
    auto it = self->find(who.m.get());
    const bool here = it != self->members_.end();
    const bool privileged = here && (it->op || it->voice);
    bool banned = false;
    if (!privileged) {
      if (here) {
        self->check(*it, who.source);
        banned = it->banned || it->quieted;
      } else {
        banned = self->is_banned(who.source) || self->is_quieted(who.source);
      }
    }
    if (!who.relayed && ((!here && self->no_external_) || (self->moderated_ && !privileged) || banned)) {
      if (said->message != message_kind::notice) self->reply_error(who, error_code::cannot_send);
      return;
    }
    // Backpressure: members this message left backlogged make the sender
    // wait until they have read it (a sender must not outrun its readers).
    // Made const once: deliver() takes an event_ptr, and converting at each
    // call would copy the pointer (two atomic operations) per member.
    const event_ptr out = said;
    const char status = out->status;
    std::vector<std::weak_ptr<member>> backlogged;
    // Metrics: one pair of clock readings per message, not per member.
    const auto started = std::chrono::steady_clock::now();
    std::uint64_t reached = 0;
    for (const auto& e : self->members_) {
      // STATUSMSG: to operators (@), or operators and voiced members (+).
      if (status == '@' && !e.op) continue;
      if (status == '+' && !e.op && !e.voice) continue;
      const delivery d = e.m->deliver(out);
      if (e.m == who.m || d == delivery::dropped) continue;
      ++reached;
      if (d == delivery::backlogged) backlogged.emplace_back(e.m);
    }
    metrics::fanout_time(std::chrono::steady_clock::now() - started);
    metrics::delivered(reached);
    if (self->history_ && status == 0) self->history_->said(*out);  // not STATUSMSG: only some saw it
    if (!backlogged.empty()) who.m->wait_for(std::move(backlogged));
  });
}

void room::who(actor who) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who)] {
    self->flush_joins();
    auto ev = new_event(event_kind::who_reply, self->name_, who.nick, who.m.get());
    ev->text = who.context;
    const bool member = self->find(who.m.get()) != self->members_.end();
    if (member || !self->secret_) {
      ev->roster.reserve(self->members_.size());
      for (const auto& e : self->members_) {
        auto shown = self->roster_of(e);
        // Invisible members are seen by those who share the room only.
        if (member || !shown.invisible) ev->roster.push_back(std::move(shown));
      }
    }
    who.m->deliver(ev);
  });
}

void room::names(actor who) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who)] {
    self->flush_joins();
    auto ev = new_event(event_kind::names_reply, self->name_, who.nick, who.m.get());
    if (self->secret_) ev->state = self->state(false);  // 353 says '@' for a secret room
    const bool member = self->find(who.m.get()) != self->members_.end();
    if (member || !self->secret_) {
      ev->roster.reserve(self->members_.size());
      for (const auto& e : self->members_) {
        // Details only where they are needed: user@host asked for, or an
        // outsider who must not see invisible members.
        if (who.hosts_in_names || !member) {
          auto shown = self->roster_of(e);
          if (member || !shown.invisible) ev->roster.push_back(std::move(shown));
        } else {
          ev->roster.push_back(names_entry(e));
        }
      }
    }
    who.m->deliver(ev);
  });
}

void room::topic(actor who, std::optional<std::string> text) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), text = std::move(text)]() mutable {
    self->flush_joins();
    auto it = self->find(who.m.get());
    if (!text) {
      auto ev = new_event(event_kind::channel_state, self->name_, who.nick, who.m.get());
      ev->state = self->state(it != self->members_.end() && it->op);
      ev->query = state_query::topic;
      who.m->deliver(ev);
      return;
    }
    if (!who.relayed && it == self->members_.end()) {
      self->reply_error(who, error_code::not_on_room);
      return;
    }
    if (!who.relayed && self->topic_lock_ && !it->op) {
      self->reply_error(who, error_code::chanop_needed);
      return;
    }
    self->topic_ = *text;
    self->topic_by_ = who.source;
    self->topic_at_ = std::time(nullptr);
    self->publish_summary();
    self->keep();
    auto ev = new_event(event_kind::topic_changed, self->name_, who.nick, who.m.get());
    ev->relayed = who.relayed;
    ev->source = who.source;
    ev->text = std::move(*text);
    ev->state = self->state(true);  // for a cluster's late nodes
    self->fan_out(ev);
    self->remember(*ev);
  });
}

void room::kick(actor who, std::string target, std::string reason) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), target = std::move(target),
                       reason = std::move(reason)]() mutable {
    self->flush_joins();
    auto it = self->find(who.m.get());
    if (!who.relayed && it == self->members_.end()) {
      self->reply_error(who, error_code::not_on_room);
      return;
    }
    if (!who.relayed && !it->op) {
      self->reply_error(who, error_code::chanop_needed);
      return;
    }
    auto victim = self->find_nick(target);
    if (victim == self->members_.end()) {
      self->reply_error(who, error_code::user_not_on_room, std::move(target));
      return;
    }
    auto ev = new_event(event_kind::kicked, self->name_, who.nick, who.m.get());
    ev->relayed = who.relayed;
    ev->source = who.source;
    ev->target = victim->nick;
    ev->text = std::move(reason);
    self->fan_out(ev);  // the victim included
    self->remember(*ev);
    self->remove(victim);
  });
}

void room::invite(actor who, std::shared_ptr<member> target, std::string target_nick) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), target = std::move(target),
                       target_nick = std::move(target_nick)]() mutable {
    self->flush_joins();
    auto it = self->find(who.m.get());
    if (it == self->members_.end()) {
      self->reply_error(who, error_code::not_on_room);
      return;
    }
    if (self->invite_only_ && !it->op) {
      self->reply_error(who, error_code::chanop_needed);
      return;
    }
    if (self->find(target.get()) != self->members_.end()) {
      self->reply_error(who, error_code::already_on_room, std::move(target_nick));
      return;
    }
    if (!std::any_of(self->invited_.begin(), self->invited_.end(),
                     [&](const std::weak_ptr<member>& w) { return w.lock() == target; })) {
      self->invited_.push_back(target);
    }
    auto ev = new_event(event_kind::invited, self->name_, who.nick, who.m.get());
    ev->source = who.source;
    ev->target = std::move(target_nick);
    target->deliver(ev);
    // The inviter (who gets 341) and the other members (invite-notify).
    self->fan_out(ev);
  });
}

void room::rename_to(actor who, std::string to, std::string reason,
                     std::function<bool(const std::string& from, const std::string& to)> claim) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), to = std::move(to),
                       reason = std::move(reason), claim = std::move(claim)]() mutable {
    self->flush_joins();
    auto it = self->find(who.m.get());
    if (it == self->members_.end()) return self->reply_error(who, error_code::not_on_room);
    if (!it->op) return self->reply_error(who, error_code::chanop_needed);
    if (self->persistent_ || self->closed_ || self->registered_) {
      return self->reply_error(who, error_code::cannot_rename, to);
    }
    if (!claim(self->name_, to)) return self->reply_error(who, error_code::name_taken, to);
    auto ev = new_event(event_kind::renamed, to, who.nick, who.m.get());
    ev->source = who.source;
    ev->target = self->name_;
    ev->text = std::move(reason);
    self->name_ = std::move(to);
    {
      const std::lock_guard lock(self->summary_mutex_);
      self->summary_.name = self->name_;
    }
    // For members whose client has no words for RENAME: a PART and a JOIN,
    // with the topic and names.
    ev->state = self->state(false);
    for (const auto& e : self->members_) ev->roster.push_back(names_entry(e));
    self->fan_out(ev);
  });
}

std::string room::name() const {
  const std::lock_guard lock(summary_mutex_);
  return summary_.name;
}

void room::fence(std::function<void()> done) {
  asio::post(strand_, [self = shared_from_this(), done = std::move(done)] {
    self->flush_joins();
    done();
  });
}

void room::snapshot(std::function<void(std::vector<std::string>)> done) {
  asio::post(strand_, [self = shared_from_this(), done = std::move(done)] {
    std::vector<std::string> nicks;
    nicks.reserve(self->members_.size());
    for (const auto& e : self->members_) nicks.push_back(e.nick);
    done(std::move(nicks));
  });
}

room_summary room::summary() const {
  const std::lock_guard lock(summary_mutex_);
  return summary_;
}

void room::remember(const event& ev) const {
  if (history_) history_->happened(ev, name_);
}

void room::fan_out(const event_ptr& ev) const {
  for (const auto& e : members_) {
    e.m->deliver(ev);
  }
}

void room::reply_error(const actor& who, error_code code, std::string about) const {
  who.m->deliver(make_error(code, who.nick, std::move(about), who.m.get(), name_));
}

room::iterator room::find(const member* m) {
  return std::find_if(members_.begin(), members_.end(), [&](const entry& e) { return e.m.get() == m; });
}

room::iterator room::find_nick(std::string_view nick) {
  return std::find_if(members_.begin(), members_.end(),
                      [&](const entry& e) { return protocol::fold_equal{}(e.nick, nick); });
}

bool room::take_invite(const member* m) {
  bool found = false;
  std::erase_if(invited_, [&](const std::weak_ptr<member>& w) {
    auto alive = w.lock();
    if (alive.get() == m) found = true;
    return !alive || alive.get() == m;  // also forget members who are gone
  });
  return found;
}

void room::remove(iterator it) {
  flush_joins();  // the handlers did already; pending_from_ must stay right
  // Keep the member alive until after the erase: its destructor may run
  // here, and must not see itself still listed.
  auto departing = std::move(it->m);
  members_.erase(it);
  publish_summary();
  close_if_empty();
}

void room::close_if_empty() {
  if (members_.empty() && !persistent_ && !closed_) {
    closed_ = true;
    if (on_empty_) on_empty_(this);
  }
}

roster_entry room::names_entry(const entry& e) {
  roster_entry r;
  r.nick = e.nick;
  r.op = e.op;
  r.voice = e.voice;
  return r;
}

roster_entry room::roster_of(const entry& e) const {
  auto info = e.m->details();
  auto r = names_entry(e);
  r.user = std::move(info.user);
  r.host = std::move(info.host);
  r.realname = std::move(info.realname);
  r.account = std::move(info.account);
  r.away = !info.away.empty();
  r.oper = info.oper;
  r.bot = info.bot;
  r.invisible = info.invisible;
  r.idle = info.idle;
  return r;
}

void room::publish_summary() {
  const std::lock_guard lock(summary_mutex_);
  summary_.members = members_.size();
  summary_.topic = topic_;
  summary_.topic_at = topic_at_;
  summary_.secret = secret_;
}

}  // namespace chat
