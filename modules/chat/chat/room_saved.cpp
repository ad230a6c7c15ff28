// A room's registration (ChanServ): registering and dropping through the
// recorder, the state a registered room keeps (topic, setter and time, the
// flags i, m, n, s and t), and the map of saved rooms it keeps up to date.
//
// Every report to the recorder leaves from the room's strand, so one room's
// reports reach the store in order. While a registration or a drop is on its
// way, changes only mark the room dirty; the answer sends the state as it is
// then, so that a change made meanwhile cannot land before the registration
// nor revive a dropped room.
#include <asio/post.hpp>

#include "chat/room.hpp"
#include "protocol/nick.hpp"

namespace chat {

void room::register_to(actor who, std::string founder, std::int64_t at_ms, registration_done done) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), founder = std::move(founder), at_ms,
                       done = std::move(done)]() mutable {
    auto it = self->find(who.m.get());
    if (it == self->members_.end()) return done(registration_answer::not_on_room, {});
    if (!it->op) return done(registration_answer::not_operator, {});
    if (self->registered_) return done(registration_answer::already_registered, self->registered_->founder);
    if (!self->history_) return done(registration_answer::failed, "nothing is kept on this server");
    const auto serial = ++self->registrations_;
    self->registered_ = registration_state{std::move(founder), at_ms, pending::registering, false, serial};
    const auto s = self->saved_state();
    if (self->saved_ && !self->saved_->claim(s)) {
      // The map knows it and this room does not: another incarnation's, on
      // its way out. Its owner keeps it.
      self->registered_.reset();
      auto other = self->saved_->find(s.name);
      return done(registration_answer::already_registered, other ? other->founder : std::string());
    }
    self->history_->room_changed(s, [self, serial, done = std::move(done)](bool ok, std::string why) mutable {
      asio::post(self->strand_, [self, serial, ok, why = std::move(why), done = std::move(done)]() mutable {
        self->registered(serial, ok);
        done(ok ? registration_answer::done : registration_answer::failed, std::move(why));
      });
    });
  });
}

void room::registered(std::uint64_t serial, bool ok) {
  if (!registered_ || registered_->serial != serial || registered_->doing != pending::registering) return;
  if (!ok) {
    if (saved_) saved_->erase(name_);
    registered_.reset();
    return close_if_empty();
  }
  registered_->doing = pending::none;
  if (std::exchange(registered_->dirty, false)) keep();
}

void room::drop_registration(std::string account, registration_done done) {
  asio::post(strand_, [self = shared_from_this(), account = std::move(account), done = std::move(done)] {
    if (self->closed_) return done(registration_answer::room_closed, {});
    if (!self->registered_) {
      done(registration_answer::not_registered, {});
      return self->close_if_empty();
    }
    if (!self->is_founder(account)) {
      done(registration_answer::not_founder, self->registered_->founder);
      return self->close_if_empty();
    }
    if (self->registered_->doing != pending::none) return done(registration_answer::busy, {});
    if (self->saved_) self->saved_->erase(self->name_);
    if (!self->history_) {
      self->registered_.reset();
      done(registration_answer::done, {});
      return self->close_if_empty();
    }
    self->registered_->doing = pending::dropping;
    const auto serial = self->registered_->serial;
    self->history_->room_dropped(self->name_, [self, serial, done](bool ok, std::string why) {
      asio::post(self->strand_, [self, serial, ok, why = std::move(why), done] {
        self->dropped(serial, ok);
        done(ok ? registration_answer::done : registration_answer::failed, why);
        self->close_if_empty();
      });
    });
  });
}

void room::dropped(std::uint64_t serial, bool ok) {
  if (!registered_ || registered_->serial != serial || registered_->doing != pending::dropping) return;
  if (ok) {
    registered_.reset();
    return;
  }
  // Still registered. Back into the map, unless the room closed meanwhile
  // (a later incarnation started unregistered; the stored row is replaced
  // by whoever registers the name next).
  registered_->doing = pending::none;
  if (closed_) return;
  if (saved_) saved_->claim(saved_state());
  if (std::exchange(registered_->dirty, false)) keep();
}

void room::forget_registration() {
  asio::post(strand_, [self = shared_from_this()] {
    self->registered_.reset();
    self->close_if_empty();
  });
}

void room::restore(saved_room s) {
  asio::post(strand_, [self = shared_from_this(), s = std::move(s)] { self->apply(s); });
}

void room::apply(const saved_room& s) {
  topic_ = s.topic;
  topic_by_ = s.topic_by;
  topic_at_ = static_cast<std::time_t>(s.topic_at_ms / 1000);
  // Every kept flag is set or cleared: "+n" means -t.
  // "+nt", then " +H <count>:<age>" if the room replays its history.
  const auto space = s.modes.find(' ');
  const std::string_view flags = std::string_view(s.modes).substr(0, space);
  auto has = [&](char c) { return flags.find(c) != std::string_view::npos; };
  replay_.reset();
  if (space != std::string::npos && std::string_view(s.modes).substr(space).starts_with(" +H ")) {
    replay_ = parse_replay(std::string_view(s.modes).substr(space + 4));
  }
  invite_only_ = has('i');
  moderated_ = has('m');
  no_external_ = has('n');
  secret_ = has('s');
  topic_lock_ = has('t');
  // The room exists, for clients (329), since it was registered.
  if (s.registered_ms > 0) created_at_ = static_cast<std::time_t>(s.registered_ms / 1000);
  registered_ = registration_state{s.founder, s.registered_ms, pending::none, false, ++registrations_};
  {
    const std::lock_guard lock(summary_mutex_);
    summary_.created_at = created_at_;
  }
  publish_summary();
}

saved_room room::saved_state() const {
  saved_room s;
  s.name = name_;
  if (registered_) {
    s.founder = registered_->founder;
    s.registered_ms = registered_->at_ms;
  }
  s.topic = topic_;
  s.topic_by = topic_by_;
  s.topic_at_ms = static_cast<std::int64_t>(topic_at_) * 1000;
  s.modes = saved_modes();
  return s;
}

void room::keep() {
  if (!registered_) return;
  const auto s = saved_state();
  if (saved_ && registered_->doing != pending::dropping) saved_->update(s);
  if (registered_->doing != pending::none) {
    registered_->dirty = true;
    return;
  }
  if (history_) history_->room_changed(s, {});
}

bool room::is_founder(std::string_view account) const {
  return registered_ && !account.empty() && protocol::fold_equal{}(account, registered_->founder);
}

std::string room::saved_modes() const {
  std::string m = "+";
  if (invite_only_) m += 'i';
  if (moderated_) m += 'm';
  if (no_external_) m += 'n';
  if (secret_) m += 's';
  if (topic_lock_) m += 't';
  if (replay_) m += " +H " + format_replay(*replay_);
  return m;
}

}  // namespace chat
