// A room's modes: flags, key and limit, the operator and voice prefixes, the
// mask lists (bans, ban exceptions, invite exceptions, quiets) with the
// cached verdicts that keep messages from being matched against every mask,
// and the state shown to a member.
#include <algorithm>
#include <charconv>

#include <asio/post.hpp>

#include "chat/room.hpp"
#include "protocol/limits.hpp"
#include "protocol/nick.hpp"

namespace chat {

void room::mode(actor who, std::vector<mode_change> changes) {
  asio::post(strand_,
             [self = shared_from_this(), who = std::move(who), changes = std::move(changes)]() mutable {
               self->flush_joins();
               auto it = self->find(who.m.get());
               const bool op = it != self->members_.end() && it->op;
               if (changes.empty()) {
                 auto ev = new_event(event_kind::channel_state, self->name_, who.nick, who.m.get());
                 ev->state = self->state(op);
                 ev->query = state_query::modes;
                 who.m->deliver(ev);
                 return;
               }
               // A lone list mode without a mask: the list.
               if (changes.size() == 1 && changes.front().arg.empty()) {
                 const auto at = kListModes.find(changes.front().mode);
                 if (at != std::string_view::npos) {
                   auto ev = new_event(event_kind::mask_list, self->name_, who.nick, who.m.get());
                   ev->text = std::string(1, changes.front().mode);
                   ev->args = self->lists_[at];
                   who.m->deliver(ev);
                   return;
                 }
               }
               if (!op && !who.relayed) {
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
  bool kept_changed = false;  // a flag a registered room keeps
  bool last_add = true;
  bool any = false;
  const mode_change* current = nullptr;
  auto record = [&](const mode_change& c, std::string arg = {}) {
    if (!any || c.add != last_add) applied += c.add ? '+' : '-';
    applied += c.mode;
    if (!arg.empty()) args.push_back(std::move(arg));
    last_add = c.add;
    any = true;
  };
  for (const auto& c : changes) {
    current = &c;
    if (change_list(who, c, [&](std::string arg) { record(*current, std::move(arg)); })) continue;
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
      case 'i':
      case 's': {
        bool& flag = c.mode == 't'   ? topic_lock_
                     : c.mode == 'n' ? no_external_
                     : c.mode == 'm' ? moderated_
                     : c.mode == 'i' ? invite_only_
                                     : secret_;
        if (flag != c.add) {
          flag = c.add;
          record(c);
          kept_changed = true;
          if (c.mode == 's') publish_summary();
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
      case 'H':
        if (c.add) {
          // The door refuses a malformed setting (696) before it gets here.
          auto r = parse_replay(c.arg);
          if (r && r != replay_) {
            replay_ = r;
            record(c, format_replay(*r));
            kept_changed = true;
          }
        } else if (replay_) {
          replay_.reset();
          record(c);
          kept_changed = true;
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
      default:
        reply_error(who, error_code::unknown_mode, std::string(1, c.mode));
        break;
    }
  }
  if (!any) {
    return;
  }
  auto ev = new_event(event_kind::mode_changed, name_, who.nick, who.m.get());
  ev->relayed = who.relayed;
  ev->source = who.source;
  ev->text = std::move(applied);
  ev->args = std::move(args);
  ev->state = state(true);  // the room's modes now, for a cluster's late nodes
  fan_out(ev);
  remember(*ev);
  if (kept_changed) keep();
}

bool room::change_list(actor& who, const mode_change& c, const std::function<void(std::string)>& record) {
  const auto at = kListModes.find(c.mode);
  if (at == std::string_view::npos) return false;
  if (c.arg.empty()) return true;
  auto& list = lists_[at];
  const auto found = std::find(list.begin(), list.end(), c.arg);
  if (c.add) {
    if (found != list.end()) return true;
    if (list.size() >= protocol::kMaxListEntries) {
      reply_error(who, error_code::list_full, std::string(1, c.mode));
      return true;
    }
    list.push_back(c.arg);
  } else {
    if (found == list.end()) return true;
    list.erase(found);
  }
  ++masks_version_;
  record(c.arg);
  return true;
}

bool room::matches(std::size_t list, std::string_view source) const {
  const auto& masks = lists_[list];
  return std::any_of(masks.begin(), masks.end(),
                     [&](const std::string& mask) { return protocol::match_mask(mask, source); });
}

bool room::is_banned(std::string_view source) const {
  return matches(kBans, source) && !matches(kExcepts, source);
}

bool room::is_quieted(std::string_view source) const {
  return matches(kQuiets, source) && !matches(kExcepts, source);
}

void room::check(entry& e, std::string_view source) const {
  if (e.checked == masks_version_) return;
  const bool excepted = matches(kExcepts, source);
  e.banned = !excepted && matches(kBans, source);
  e.quieted = !excepted && matches(kQuiets, source);
  e.checked = masks_version_;
}

void room::adopt(room_state s) {
  asio::post(strand_, [self = shared_from_this(), s = std::move(s)] {
    if (s.topic_at != 0 && s.topic_at >= self->topic_at_) {
      self->topic_ = s.topic;
      self->topic_by_ = s.topic_by;
      self->topic_at_ = s.topic_at;
    }
    if (s.modes.empty()) {
      self->publish_summary();
      return;
    }
    // The flags, then their arguments in state()'s order: H, k, l.
    auto has = [&](char c) { return s.modes.find(c) != std::string::npos; };
    std::size_t next = 0;
    auto arg = [&]() -> std::string {
      return next < s.mode_args.size() ? s.mode_args[next++] : std::string();
    };
    self->replay_.reset();
    if (has('H')) self->replay_ = parse_replay(arg());
    if (has('k')) {
      auto key = arg();
      if (key != "*" && !key.empty()) self->key_ = std::move(key);
    } else {
      self->key_.clear();
    }
    self->limit_ = 0;
    if (has('l')) {
      const auto text = arg();
      std::size_t limit = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
      if (ec == std::errc{} && end == text.data() + text.size()) self->limit_ = limit;
    }
    self->invite_only_ = has('i');
    self->moderated_ = has('m');
    self->no_external_ = has('n');
    self->secret_ = has('s');
    self->topic_lock_ = has('t');
    self->publish_summary();
  });
}

std::shared_ptr<const room_state> room::state(bool for_operator) const {
  auto s = std::make_shared<room_state>();
  s->topic = topic_;
  s->topic_by = topic_by_;
  s->topic_at = topic_at_;
  s->created_at = created_at_;
  s->modes = "+";
  if (replay_) s->modes += 'H';
  if (invite_only_) s->modes += 'i';
  if (!key_.empty()) s->modes += 'k';
  if (limit_ > 0) s->modes += 'l';
  if (moderated_) s->modes += 'm';
  if (no_external_) s->modes += 'n';
  if (secret_) s->modes += 's';
  if (topic_lock_) s->modes += 't';
  if (replay_) s->mode_args.push_back(format_replay(*replay_));
  if (!key_.empty()) s->mode_args.push_back(for_operator ? key_ : "*");
  if (limit_ > 0) s->mode_args.push_back(std::to_string(limit_));
  s->secret = secret_;
  s->replay = replay_;
  return s;
}

}  // namespace chat
