#include "chat/room.hpp"

#include <algorithm>

#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include "protocol/limits.hpp"
#include "protocol/nick.hpp"

namespace chat {

room::room(const asio::io_context::executor_type& ex, std::string name, bool persistent,
           std::function<void(const room*)> on_empty)
    : strand_(asio::make_strand(ex)),
      name_(std::move(name)),
      persistent_(persistent),
      on_empty_(std::move(on_empty)),
      created_at_(std::time(nullptr)) {
  summary_.name = name_;
}

void room::join(actor who, std::string key) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), key = std::move(key)]() mutable {
    if (self->closed_) {
      self->reply_error(who, error_code::room_closed);
      return;
    }
    if (self->find(who.m.get()) != self->members_.end()) {
      return;
    }
    const bool invited = self->take_invite(who.m.get());
    if (self->is_banned(who.source) && !invited) {
      self->reply_error(who, error_code::banned);
      return;
    }
    if (self->invite_only_ && !invited) {
      self->reply_error(who, error_code::invite_only);
      return;
    }
    if (!self->key_.empty() && key != self->key_ && !invited) {
      self->reply_error(who, error_code::bad_key);
      return;
    }
    if (self->limit_ > 0 && self->members_.size() >= self->limit_ && !invited) {
      self->reply_error(who, error_code::room_full);
      return;
    }
    // The first member becomes operator. Some cannot act as one (seed
    // users), so in the lobby the first member who can becomes operator
    // while none is.
    const bool opless =
        std::none_of(self->members_.begin(), self->members_.end(), [](const entry& e) { return e.op; });
    const bool first = (self->members_.empty() || (self->persistent_ && opless)) && who.may_operate;
    self->members_.push_back(entry{who.m, who.nick, first, false});
    self->publish_summary();

    auto ev = new_event(event_kind::joined, self->name_, who.nick, who.m.get());
    ev->source = who.source;
    self->fan_out(ev);

    auto state = new_event(event_kind::channel_state, self->name_, who.nick, who.m.get());
    state->state = self->state(first);
    // Names and prefixes only, as for NAMES: no member's details are asked
    // for (a join into a room of n members would otherwise cost n lookups).
    state->roster.reserve(self->members_.size());
    for (const auto& e : self->members_)
      state->roster.push_back(roster_entry{e.nick, {}, {}, {}, e.op, e.voice, false});
    who.m->deliver(state);
  });
}

void room::part(actor who, std::string reason) {
  asio::post(strand_,
             [self = shared_from_this(), who = std::move(who), reason = std::move(reason)]() mutable {
               auto it = self->find(who.m.get());
               if (it == self->members_.end()) {
                 self->reply_error(who, error_code::not_on_room);
                 return;
               }
               auto ev = new_event(event_kind::left, self->name_, it->nick, who.m.get());
               ev->source = who.source;
               ev->text = std::move(reason);
               self->fan_out(ev);  // the leaver included: IRC clients expect their own PART
               self->remove(it);
             });
}

void room::leave(const member* m, std::string source, std::string reason, bool announce) {
  asio::post(strand_, [self = shared_from_this(), m, source = std::move(source), reason = std::move(reason),
                       announce]() mutable {
    auto it = self->find(m);
    if (it == self->members_.end()) {
      return;
    }
    auto ev = new_event(event_kind::left, self->name_, it->nick, m);
    ev->source = std::move(source);
    ev->text = std::move(reason);
    self->remove(it);
    if (announce) self->fan_out(ev);
  });
}

void room::quit(const member* m, event_ptr quit) {
  asio::post(strand_, [self = shared_from_this(), m, quit = std::move(quit)] {
    auto it = self->find(m);
    if (it == self->members_.end()) {
      return;
    }
    self->remove(it);
    if (quit) self->fan_out(quit);
  });
}

void room::rename(const member* m, event_ptr nick_changed) {
  asio::post(strand_, [self = shared_from_this(), m, ev = std::move(nick_changed)] {
    auto it = self->find(m);
    if (it == self->members_.end()) {
      return;
    }
    it->nick = ev->target;
    it->ban_checked = 0;  // a new nick!user@host: check the bans again
    for (const auto& e : self->members_) {
      if (e.m.get() != m) e.m->deliver(ev);
    }
  });
}

void room::say(actor who, event_ptr said) {
  // dispatch, not post: when the room's strand is free, the message fans out
  // now, inside the sender's read, and joins the writes of this round rather
  // than of the next. (Order is kept: a strand with work queued queues this.)
  asio::dispatch(strand_, [self = shared_from_this(), who = std::move(who), said = std::move(said)] {
    auto it = self->find(who.m.get());
    const bool here = it != self->members_.end();
    const bool privileged = here && (it->op || it->voice);
    const bool banned =
        !privileged && (here ? self->is_banned(*it, who.source) : self->is_banned(who.source));
    if ((!here && self->no_external_) || (self->moderated_ && !privileged) || banned) {
      if (said->message != message_kind::notice) self->reply_error(who, error_code::cannot_send);
      return;
    }
    // Backpressure: members this message left backlogged make the sender
    // wait until they have read it (a sender must not outrun its readers).
    std::vector<std::weak_ptr<member>> backlogged;
    for (const auto& e : self->members_) {
      if (e.m->deliver(said) == delivery::backlogged && e.m != who.m) backlogged.emplace_back(e.m);
    }
    if (!backlogged.empty()) who.m->wait_for(std::move(backlogged));
  });
}

void room::who(actor who) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who)] {
    auto ev = new_event(event_kind::who_reply, self->name_, who.nick, who.m.get());
    ev->roster.reserve(self->members_.size());
    for (const auto& e : self->members_) ev->roster.push_back(self->roster_of(e));
    who.m->deliver(ev);
  });
}

void room::names(actor who) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who)] {
    auto ev = new_event(event_kind::names_reply, self->name_, who.nick, who.m.get());
    ev->roster.reserve(self->members_.size());
    for (const auto& e : self->members_) {
      ev->roster.push_back(roster_entry{e.nick, {}, {}, {}, e.op, e.voice, false});
    }
    who.m->deliver(ev);
  });
}

void room::topic(actor who, std::optional<std::string> text) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), text = std::move(text)]() mutable {
    auto it = self->find(who.m.get());
    if (!text) {
      auto ev = new_event(event_kind::channel_state, self->name_, who.nick, who.m.get());
      ev->state = self->state(it != self->members_.end() && it->op);
      ev->query = state_query::topic;
      who.m->deliver(ev);
      return;
    }
    if (it == self->members_.end()) {
      self->reply_error(who, error_code::not_on_room);
      return;
    }
    if (self->topic_lock_ && !it->op) {
      self->reply_error(who, error_code::chanop_needed);
      return;
    }
    self->topic_ = *text;
    self->topic_by_ = who.source;
    self->topic_at_ = std::time(nullptr);
    self->publish_summary();
    auto ev = new_event(event_kind::topic_changed, self->name_, who.nick, who.m.get());
    ev->source = who.source;
    ev->text = std::move(*text);
    self->fan_out(ev);
  });
}

void room::mode(actor who, std::vector<mode_change> changes) {
  asio::post(strand_,
             [self = shared_from_this(), who = std::move(who), changes = std::move(changes)]() mutable {
               auto it = self->find(who.m.get());
               const bool op = it != self->members_.end() && it->op;
               if (changes.empty()) {
                 auto ev = new_event(event_kind::channel_state, self->name_, who.nick, who.m.get());
                 ev->state = self->state(op);
                 ev->query = state_query::modes;
                 who.m->deliver(ev);
                 return;
               }
               if (changes.size() == 1 && changes.front().mode == 'b' && changes.front().arg.empty()) {
                 auto ev = new_event(event_kind::ban_list, self->name_, who.nick, who.m.get());
                 ev->args = self->bans_;
                 who.m->deliver(ev);
                 return;
               }
               if (!op) {
                 self->reply_error(
                     who, it == self->members_.end() ? error_code::not_on_room : error_code::chanop_needed);
                 return;
               }
               self->apply_modes(who, changes);
             });
}

void room::apply_modes(actor& who, const std::vector<mode_change>& changes) {
  std::string applied;
  std::vector<std::string> args;
  bool last_add = true;
  bool any = false;
  auto record = [&](const mode_change& c, std::string arg = {}) {
    if (!any || c.add != last_add) applied += c.add ? '+' : '-';
    applied += c.mode;
    if (!arg.empty()) args.push_back(std::move(arg));
    last_add = c.add;
    any = true;
  };
  for (const auto& c : changes) {
    switch (c.mode) {
      case 'o':
      case 'v': {
        auto target = find_nick(c.arg);
        if (target == members_.end()) {
          reply_error(who, error_code::user_not_on_room, c.arg);
          break;
        }
        bool& flag = c.mode == 'o' ? target->op : target->voice;
        if (flag != c.add) {
          flag = c.add;
          record(c, target->nick);
        }
        break;
      }
      case 't':
      case 'n':
      case 'm':
      case 'i': {
        bool& flag = c.mode == 't'   ? topic_lock_
                     : c.mode == 'n' ? no_external_
                     : c.mode == 'm' ? moderated_
                                     : invite_only_;
        if (flag != c.add) {
          flag = c.add;
          record(c);
        }
        break;
      }
      case 'k':
        if (c.add && !c.arg.empty() && c.arg != key_) {
          key_ = c.arg;
          record(c, c.arg);
        } else if (!c.add && !key_.empty()) {
          key_.clear();
          record(c, "*");
        }
        break;
      case 'l':
        if (c.add) {
          std::size_t limit = 0;
          for (const char d : c.arg) {
            if (d < '0' || d > '9' || limit > 1'000'000) {
              limit = 0;
              break;
            }
            limit = limit * 10 + static_cast<std::size_t>(d - '0');
          }
          if (limit > 0 && limit != limit_) {
            limit_ = limit;
            record(c, std::to_string(limit));
          }
        } else if (limit_ != 0) {
          limit_ = 0;
          record(c);
        }
        break;
      case 'b':
        if (c.arg.empty()) break;
        if (c.add) {
          if (std::find(bans_.begin(), bans_.end(), c.arg) != bans_.end()) break;
          if (bans_.size() >= protocol::kMaxListEntries) {
            reply_error(who, error_code::list_full, "b");
            break;
          }
          bans_.push_back(c.arg);
          ++bans_version_;
          record(c, c.arg);
        } else if (auto b = std::find(bans_.begin(), bans_.end(), c.arg); b != bans_.end()) {
          bans_.erase(b);
          ++bans_version_;
          record(c, c.arg);
        }
        break;
      default:
        reply_error(who, error_code::unknown_mode, std::string(1, c.mode));
        break;
    }
  }
  if (!any) {
    return;
  }
  auto ev = new_event(event_kind::mode_changed, name_, who.nick, who.m.get());
  ev->source = who.source;
  ev->text = std::move(applied);
  ev->args = std::move(args);
  fan_out(ev);
}

void room::kick(actor who, std::string target, std::string reason) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), target = std::move(target),
                       reason = std::move(reason)]() mutable {
    auto it = self->find(who.m.get());
    if (it == self->members_.end()) {
      self->reply_error(who, error_code::not_on_room);
      return;
    }
    if (!it->op) {
      self->reply_error(who, error_code::chanop_needed);
      return;
    }
    auto victim = self->find_nick(target);
    if (victim == self->members_.end()) {
      self->reply_error(who, error_code::user_not_on_room, std::move(target));
      return;
    }
    auto ev = new_event(event_kind::kicked, self->name_, who.nick, who.m.get());
    ev->source = who.source;
    ev->target = victim->nick;
    ev->text = std::move(reason);
    self->fan_out(ev);  // the victim included
    self->remove(victim);
  });
}

void room::invite(actor who, std::shared_ptr<member> target, std::string target_nick) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), target = std::move(target),
                       target_nick = std::move(target_nick)]() mutable {
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
    who.m->deliver(ev);
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

bool room::is_banned(std::string_view source) const {
  return std::any_of(bans_.begin(), bans_.end(),
                     [&](const std::string& mask) { return protocol::match_mask(mask, source); });
}

bool room::is_banned(entry& e, std::string_view source) const {
  if (e.ban_checked != bans_version_) {
    e.banned = is_banned(source);
    e.ban_checked = bans_version_;
  }
  return e.banned;
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
  // Keep the member alive until after the erase: its destructor may run
  // here, and must not see itself still listed.
  auto departing = std::move(it->m);
  members_.erase(it);
  publish_summary();
  if (members_.empty() && !persistent_ && !closed_) {
    closed_ = true;
    if (on_empty_) on_empty_(this);
  }
}

std::shared_ptr<const room_state> room::state(bool for_operator) const {
  auto s = std::make_shared<room_state>();
  s->topic = topic_;
  s->topic_by = topic_by_;
  s->topic_at = topic_at_;
  s->created_at = created_at_;
  s->modes = "+";
  if (invite_only_) s->modes += 'i';
  if (!key_.empty()) s->modes += 'k';
  if (limit_ > 0) s->modes += 'l';
  if (moderated_) s->modes += 'm';
  if (no_external_) s->modes += 'n';
  if (topic_lock_) s->modes += 't';
  if (!key_.empty()) s->mode_args.push_back(for_operator ? key_ : "*");
  if (limit_ > 0) s->mode_args.push_back(std::to_string(limit_));
  return s;
}

roster_entry room::roster_of(const entry& e) const {
  auto info = e.m->info();
  return roster_entry{e.nick,  std::move(info.user), std::move(info.host), std::move(info.realname), e.op,
                      e.voice, !info.away.empty()};
}

void room::publish_summary() {
  const std::lock_guard lock(summary_mutex_);
  summary_.members = members_.size();
  summary_.topic = topic_;
}

}  // namespace chat
