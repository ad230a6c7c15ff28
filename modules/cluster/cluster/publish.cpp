// What happens on this node, published for the others: its users' comings,
// nick changes and goings, their rooms' events and their private messages
// to users of other nodes. Called on room and door strands: each turns the
// event into a message there and posts it to the node's strand, in order.
#include <chrono>
#include <utility>

#include <asio/post.hpp>

#include "cluster/node.hpp"

namespace cluster {

namespace pc = protocol::cluster;

namespace {

std::int64_t millis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

pc::text_kind kind_of(chat::message_kind k) {
  switch (k) {
    case chat::message_kind::notice:
      return pc::text_kind::notice;
    case chat::message_kind::tagmsg:
      return pc::text_kind::tagmsg;
    case chat::message_kind::action:
      return pc::text_kind::action;
    default:
      return pc::text_kind::privmsg;
  }
}

pc::text text_of(const chat::event& ev) {
  pc::text t;
  t.kind = kind_of(ev.message);
  t.msgid = ev.id.to_string();
  t.at_ms = millis(ev.at);
  t.from = ev.from;
  t.source = ev.source.empty() ? ev.from : ev.source;
  t.account = ev.account;
  t.bot = ev.from_bot;
  t.body = ev.text;
  for (const auto& tag : ev.tags) t.tags.emplace_back(tag.key, tag.value);
  return t;
}

}  // namespace

void node::room_state_now(const std::string& room, const chat::room_state& st,
                          std::vector<std::pair<std::string, std::string>>& set) {
  auto it = local_rooms_.find(room);
  if (it == local_rooms_.end()) return;
  const auto folded = protocol::fold_nick(room);
  const auto& me = settings_.name;
  // A topic never set (time 0) is not written; a topic cleared is.
  if (st.topic_at != 0) {
    it->second.topic = pc::encode_message(pc::topic_set{me, room, st.topic_by.empty() ? me : st.topic_by,
                                                        st.topic, static_cast<std::int64_t>(st.topic_at)});
    set.emplace_back("t:" + folded, it->second.topic);
  }
  it->second.modes = pc::encode_message(pc::modes_set{me, room, me, st.modes, st.mode_args});
  set.emplace_back("m:" + folded, it->second.modes);
}

void node::room_entered(const std::string& room, const chat::room_state* st,
                        std::vector<std::pair<std::string, std::string>>& set) {
  if (++local_rooms_[room].users == 1 && st != nullptr) room_state_now(room, *st, set);
}

void node::room_left(const std::string& room, std::vector<std::string>& del) {
  auto it = local_rooms_.find(room);
  if (it == local_rooms_.end() || --it->second.users > 0) return;
  local_rooms_.erase(it);
  const auto folded = protocol::fold_nick(room);
  del.push_back("t:" + folded);
  del.push_back("m:" + folded);
}

void node::room_state_seen(std::shared_ptr<const chat::room_state> st, std::string room) {
  asio::post(strand_, [self = shared_from_this(), st = std::move(st), room = std::move(room)] {
    std::vector<std::pair<std::string, std::string>> set;
    self->room_state_now(room, *st, set);
    if (set.empty() || !self->client_->is_up()) return;
    std::vector<std::string> args{"HSET", self->state_key(self->settings_.name)};
    for (auto& [k, v] : set) {
      args.push_back(std::move(k));
      args.push_back(std::move(v));
    }
    self->send_script(std::move(args));
  });
}

void node::user_online(const std::shared_ptr<chat::member>& m, std::string nick) {
  auto on = user_on_of(*m, std::move(nick));
  asio::post(strand_, [self = shared_from_this(), key = m.get(), on = std::move(on)]() mutable {
    const auto folded = protocol::fold_nick(on.nick);
    self->locals_[key] = local_user{on.nick, {}};
    auto frame = pc::encode_message(on);
    self->publish(self->users_channel(), on, {{"u:" + folded, std::move(frame)}});
  });
}

void node::user_renamed(const chat::member* m, std::string from, std::string to) {
  asio::post(strand_, [self = shared_from_this(), m, from = std::move(from), to = std::move(to)] {
    auto it = self->locals_.find(m);
    if (it == self->locals_.end()) return;
    auto& local = it->second;
    local.nick = to;
    const auto old_key = protocol::fold_nick(from);
    const auto new_key = protocol::fold_nick(to);
    std::vector<std::string> del{"u:" + old_key};
    std::vector<std::pair<std::string, std::string>> set;
    if (auto member = self->hub_.directory().find(to)) {
      set.emplace_back("u:" + new_key, pc::encode_message(self->user_on_of(*member, to)));
    }
    for (const auto& r : local.rooms) {
      del.push_back("j:" + protocol::fold_nick(r) + " " + old_key);
      set.emplace_back("j:" + protocol::fold_nick(r) + " " + new_key,
                       pc::encode_message(pc::joined{self->settings_.name, r, to, false}));
    }
    self->publish(self->users_channel(), pc::nick_change{self->settings_.name, from, to}, std::move(set),
                  std::move(del));
    self->release_claim(from);
    self->retry_directory(from);
  });
}

void node::user_offline(const chat::member* m, std::string nick, std::string reason) {
  asio::post(strand_, [self = shared_from_this(), m, nick = std::move(nick), reason = std::move(reason)] {
    auto it = self->locals_.find(m);
    if (it == self->locals_.end()) return;
    const auto folded = protocol::fold_nick(nick);
    std::vector<std::string> del{"u:" + folded};
    for (const auto& r : it->second.rooms) {
      del.push_back("j:" + protocol::fold_nick(r) + " " + folded);
      self->room_left(r, del);
    }
    self->locals_.erase(it);
    self->publish(self->users_channel(), pc::user_off{self->settings_.name, nick, reason}, {},
                  std::move(del));
    self->release_claim(nick);
    self->retry_directory(nick);
  });
}

void node::room_event(const chat::event& ev, const std::string& room) {
  using chat::event_kind;
  const auto& me = settings_.name;
  std::optional<pc::message> m;
  switch (ev.kind) {
    case event_kind::said:
      m = pc::said{me, room, ev.status, text_of(ev)};
      break;
    case event_kind::joined:
      m = pc::joined{me, room, ev.from, ev.status == '@'};
      break;
    case event_kind::left:
      m = pc::parted{me, room, ev.from, ev.text};
      break;
    case event_kind::kicked:
      m = pc::kicked{me, room, ev.from, ev.target, ev.text};
      break;
    case event_kind::topic_changed:
      m = pc::topic_set{me, room, ev.source.empty() ? ev.from : ev.source, ev.text, std::time(nullptr)};
      break;
    case event_kind::mode_changed:
      m = pc::modes_set{me, room, ev.from, ev.text, ev.args};
      break;
    default:
      return;
  }
  const chat::member* origin = ev.origin;
  asio::post(strand_, [self = shared_from_this(), m = std::move(*m), room, origin, st = ev.state]() mutable {
    std::vector<std::pair<std::string, std::string>> set;
    std::vector<std::string> del;
    // This node's users' rooms, in its state hash.
    const auto room_key = protocol::fold_nick(room);
    if (auto* j = std::get_if<pc::joined>(&m)) {
      if (auto it = self->locals_.find(origin); it != self->locals_.end()) {
        if (it->second.rooms.insert(room).second) self->room_entered(room, st.get(), set);
        set.emplace_back("j:" + room_key + " " + protocol::fold_nick(j->nick), pc::encode_message(m));
      }
    } else if (auto* p = std::get_if<pc::parted>(&m)) {
      if (auto it = self->locals_.find(origin); it != self->locals_.end()) {
        if (it->second.rooms.erase(room) > 0) self->room_left(room, del);
        del.push_back("j:" + room_key + " " + protocol::fold_nick(p->nick));
      }
    } else if (auto* k = std::get_if<pc::kicked>(&m)) {
      for (auto& [key, local] : self->locals_) {
        if (protocol::fold_equal{}(local.nick, k->target) && local.rooms.erase(room) > 0) {
          del.push_back("j:" + room_key + " " + protocol::fold_nick(k->target));
          self->room_left(room, del);
        }
      }
    } else if (st && (std::holds_alternative<pc::topic_set>(m) || std::holds_alternative<pc::modes_set>(m))) {
      self->room_state_now(room, *st, set);
    }
    self->publish(self->room_channel(room), m, std::move(set), std::move(del));
  });
}

void node::tell(const chat::event& ev, std::string target) {
  if (ev.kind == chat::event_kind::killed) {
    pc::kill k{settings_.name, std::move(target), ev.from, ev.text};
    asio::post(strand_,
               [self = shared_from_this(), k = std::move(k)] { self->publish(self->users_channel(), k); });
    return;
  }
  pc::told t{settings_.name, std::move(target), text_of(ev)};
  asio::post(strand_,
             [self = shared_from_this(), t = std::move(t)] { self->publish(self->users_channel(), t); });
}

}  // namespace cluster
