#include "chat/room.hpp"

#include <algorithm>

#include <asio/post.hpp>

namespace chat {

room::room(const asio::any_io_executor& ex, std::string name)
    : strand_(asio::make_strand(ex)), name_(std::move(name)) {}

void room::join(std::shared_ptr<member> m, std::string nick) {
  asio::post(strand_, [self = shared_from_this(), m = std::move(m), nick = std::move(nick)]() mutable {
    const auto present =
        std::any_of(self->members_.begin(), self->members_.end(), [&](const entry& e) { return e.m == m; });
    if (present) {
      return;
    }
    const member* origin = m.get();
    self->members_.push_back(entry{std::move(m), nick});
    self->fan_out(make_event(event_kind::joined, self->name_, std::move(nick), {}, origin));
  });
}

void room::leave(const member* m, std::string reason) {
  asio::post(strand_, [self = shared_from_this(), m, reason = std::move(reason)]() mutable {
    auto it = std::find_if(self->members_.begin(), self->members_.end(),
                           [&](const entry& e) { return e.m.get() == m; });
    if (it == self->members_.end()) {
      return;
    }
    auto nick = std::move(it->nick);
    // Keep the departing member alive until after the erase: its destructor
    // may run here, and must not see itself still listed.
    auto departing = std::move(it->m);
    self->members_.erase(it);
    self->fan_out(make_event(event_kind::left, self->name_, std::move(nick), std::move(reason), m));
  });
}

void room::publish(event_ptr ev) {
  asio::post(strand_, [self = shared_from_this(), ev = std::move(ev)] { self->fan_out(ev); });
}

void room::who(std::shared_ptr<member> requester, std::string requester_nick) {
  asio::post(strand_, [self = shared_from_this(), requester = std::move(requester),
                       nick = std::move(requester_nick)]() mutable {
    auto ev = std::make_shared<event>();
    ev->kind = event_kind::who_reply;
    ev->room = self->name_;
    ev->from = std::move(nick);
    ev->origin = requester.get();
    ev->names.reserve(self->members_.size());
    for (const auto& e : self->members_) {
      ev->names.push_back(e.nick);
    }
    requester->deliver(ev);
  });
}

void room::snapshot(std::function<void(std::vector<std::string>)> done) {
  asio::post(strand_, [self = shared_from_this(), done = std::move(done)] {
    std::vector<std::string> nicks;
    nicks.reserve(self->members_.size());
    for (const auto& e : self->members_) {
      nicks.push_back(e.nick);
    }
    done(std::move(nicks));
  });
}

void room::fan_out(const event_ptr& ev) const {
  for (const auto& e : members_) {
    e.m->deliver(ev);
  }
}

}  // namespace chat
