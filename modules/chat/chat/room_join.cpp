// A room's arrivals: JOIN's checks, the newcomer's state, and the join
// notices the members already there get in batches, one per turn of the
// room's strand (chat::kMaxJoinBatch at most).
#include <algorithm>
#include <utility>

#include <asio/post.hpp>

#include "chat/room.hpp"

namespace chat {

void room::join(actor who, std::string key) {
  asio::post(strand_, [self = shared_from_this(), who = std::move(who), key = std::move(key)]() mutable {
    if (self->closed_) {
      self->reply_error(who, error_code::room_closed);
      return;
    }
    if (self->find(who.m.get()) != self->members_.end()) {
      return;
    }
    // A joiner from another node passed that node's checks already.
    if (who.relayed) {
      const bool op = who.relayed_op;
      self->admit(std::move(who), op);
      return;
    }
    const bool invited = self->take_invite(who.m.get());
    if (self->is_banned(who.source) && !invited) {
      self->reply_error(who, error_code::banned);
      return;
    }
    // +I: an invite exception lets in without an invitation.
    if (self->invite_only_ && !invited && !self->matches(kInvex, who.source)) {
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
    // while none is. A registered room's operator is its founder instead,
    // whenever they come, and nobody else by arriving first.
    // (Looked for only in a persistent room: a scan of every member per join.)
    const auto opless = [&] {
      return std::none_of(self->members_.begin(), self->members_.end(), [](const entry& e) { return e.op; });
    };
    const bool first =
        who.may_operate && (self->registered_ ? self->is_founder(who.account)
                                              : self->members_.empty() || (self->persistent_ && opless()));
    self->admit(std::move(who), first);
  });
}

void room::admit(actor who, bool op) {
  members_.push_back(entry{who.m, who.nick, op, false});
  publish_summary();

  auto ev = new_event(event_kind::joined, name_, who.nick, who.m.get());
  ev->relayed = who.relayed;
  // The room as the joiner finds it: its own node keeps it for late nodes
  // of a cluster (the one room_state is also the newcomer's, below).
  std::shared_ptr<const room_state> now;
  if (!who.relayed) {
    now = state(op);
    ev->state = op || key_.empty() ? now : state(true);
  }
  if (op) ev->status = '@';  // for the cluster: the joiner came in as operator
  ev->source = who.source;
  ev->text = std::move(who.realname);
  ev->account = std::move(who.account);
  if (!who.away.empty()) ev->args.push_back(std::move(who.away));
  const event_ptr joined = ev;
  who.m->deliver(joined);
  // The others see it with the rest of this turn's joins: one delivery per
  // member per batch, however many joined.
  if (members_.size() > 1) {
    if (pending_joins_.empty()) pending_from_ = members_.size() - 1;
    pending_joins_.push_back(joined);
    if (pending_joins_.size() >= kMaxJoinBatch) {
      flush_joins();
    } else if (!flush_posted_) {
      flush_posted_ = true;
      asio::post(strand_, [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush_joins();
      });
    }
  }
  remember(*joined);
  // A joiner from another node is shown the room by its own node.
  if (who.relayed) return;

  auto state = new_event(event_kind::channel_state, name_, who.nick, who.m.get());
  state->state = std::move(now);
  // Names and prefixes only, as for NAMES: no member's details are asked
  // for (a join into a room of n members would otherwise cost n lookups),
  // unless the newcomer asked for user@host in names.
  state->roster.reserve(members_.size());
  for (const auto& e : members_) {
    if (who.hosts_in_names) {
      state->roster.push_back(roster_of(e));
    } else {
      // In place: a join storm builds millions of these.
      auto& r = state->roster.emplace_back();
      r.nick = e.nick;
      r.op = e.op;
      r.voice = e.voice;
    }
  }
  who.m->deliver(state);
}

void room::flush_joins() {
  if (pending_joins_.empty()) return;
  const auto joins = std::make_shared<const std::vector<event_ptr>>(std::exchange(pending_joins_, {}));
  // The joiners are the last members (nobody left meanwhile), but never
  // index past the list.
  const std::size_t first = std::min(pending_from_, members_.size());
  const std::size_t end = std::min(members_.size(), first + joins->size());
  // Those who were here before see all of them: one event, rendered once
  // per format.
  auto all = new_event(event_kind::joins, name_, {}, nullptr);
  all->batch = joins;
  const event_ptr shown = all;
  for (std::size_t i = 0; i < first; ++i) members_[i].m->deliver(shown);
  // Each joiner sees those who came after it.
  for (std::size_t i = first; i + 1 < end; ++i) {
    auto later = new_event(event_kind::joins, name_, {}, nullptr);
    later->batch = joins;
    later->batch_from = i - first + 1;
    members_[i].m->deliver(later);
  }
}

}  // namespace chat
