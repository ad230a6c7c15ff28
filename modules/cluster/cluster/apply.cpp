// What other nodes publish, applied to this node's rooms and directory
// through remote_user stand-ins. On the node's strand.
#include <spdlog/spdlog.h>

#include <chrono>
#include <type_traits>
#include <utility>

#include "chat/room.hpp"
#include "cluster/node.hpp"

namespace cluster {

namespace pc = protocol::cluster;

namespace {

chat::message_kind kind_of(pc::text_kind k) {
  switch (k) {
    case pc::text_kind::notice:
      return chat::message_kind::notice;
    case pc::text_kind::tagmsg:
      return chat::message_kind::tagmsg;
    case pc::text_kind::action:
      return chat::message_kind::action;
    default:
      return chat::message_kind::privmsg;
  }
}

// A message event as its node made it: the same id and time everywhere.
std::shared_ptr<chat::event> text_event(chat::event_kind kind, const pc::text& t) {
  auto ev = chat::new_event(kind, {}, t.from, nullptr);
  if (auto id = chat::parse_message_id(t.msgid)) ev->id = *id;
  ev->at = std::chrono::system_clock::time_point(std::chrono::milliseconds(t.at_ms));
  ev->message = kind_of(t.kind);
  ev->source = t.source;
  ev->account = t.account;
  ev->from_bot = t.bot;
  ev->text = t.body;
  for (const auto& [k, v] : t.tags) ev->tags.push_back(chat::client_tag{k, v});
  ev->relayed = true;
  return ev;
}

// "+o-v" and its arguments back into changes, as the door reads a MODE line.
std::vector<chat::mode_change> changes_of(const pc::modes_set& s) {
  std::vector<chat::mode_change> out;
  bool add = true;
  std::size_t next = 0;
  for (const char c : s.changes) {
    if (c == '+' || c == '-') {
      add = c == '+';
      continue;
    }
    chat::mode_change change{add, c, {}};
    const bool list = chat::kListModes.find(c) != std::string_view::npos;
    const bool takes_arg = c == 'o' || c == 'v' || list || c == 'k' || ((c == 'l' || c == 'H') && add);
    if (takes_arg && next < s.args.size()) change.arg = s.args[next++];
    out.push_back(std::move(change));
  }
  return out;
}

}  // namespace

std::shared_ptr<remote_user> node::stub(std::string_view nick) const {
  auto it = stubs_.find(nick);
  return it == stubs_.end() ? nullptr : it->second;
}

chat::actor node::stub_actor(const std::shared_ptr<remote_user>& u) const {
  chat::actor a(u, u->nick(), u->source());
  a.relayed = true;
  const auto d = u->details();
  a.realname = d.realname;
  a.account = d.account;
  a.away = d.away;
  return a;
}

chat::actor node::stand_in(std::string_view nick) const {
  if (auto u = stub(nick)) return stub_actor(u);
  // Someone already gone: a member of no room, which rooms never find.
  pc::user_on gone;
  gone.nick = std::string(nick);
  gone.user = "gone";
  gone.host = "gone";
  chat::actor a(std::make_shared<remote_user>(std::move(gone), nullptr), std::string(nick),
                std::string(nick));
  a.relayed = true;
  return a;
}

void node::add_user(const pc::user_on& u) {
  if (auto existing = stub(u.nick)) {
    existing->update(u);
    return;
  }
  auto self = weak_from_this();
  auto fresh = std::make_shared<remote_user>(u, [self](const chat::event& ev, const std::string& nick) {
    if (auto n = self.lock()) n->tell(ev, nick);
  });
  if (!hub_.directory().claim(u.nick, fresh, /*published=*/true)) {
    // Both nodes granted it (claims are not yet atomic across nodes): this
    // node's own user keeps it here; the other is shown in rooms only.
    spdlog::warn("cluster {}: {} of node {} holds a nick taken here", settings_.name, u.nick, u.node);
  }
  stubs_.emplace(u.nick, fresh);
  auto online = chat::new_event(chat::event_kind::user_online, {}, u.nick, nullptr);
  online->source = fresh->source();
  online->relayed = true;
  hub_.monitor().notify(online);
}

void node::drop_user(const std::string& nick, const std::string& reason) {
  auto it = stubs_.find(nick);
  if (it == stubs_.end()) return;
  auto u = it->second;
  stubs_.erase(it);
  auto quit = chat::new_event(chat::event_kind::quit, {}, u->nick(), u.get());
  quit->source = u->source();
  quit->text = reason;
  quit->relayed = true;
  for (const auto& name : u->rooms()) {
    if (auto r = hub_.find_room(name)) r->quit(u.get(), quit);
  }
  hub_.directory().release(u->nick(), u.get());
  hub_.whowas().record(chat::whowas_entry{u->nick(), u->details().user, u->details().host,
                                          u->details().realname, std::time(nullptr)});
  auto offline = chat::new_event(chat::event_kind::user_offline, {}, u->nick(), nullptr);
  offline->source = u->source();
  offline->relayed = true;
  hub_.monitor().notify(offline);
}

void node::drop_node_users(const std::string& node_name, const std::string& reason) {
  std::vector<std::string> gone;
  for (const auto& [nick, u] : stubs_) {
    if (u->node() == node_name) gone.push_back(nick);
  }
  for (const auto& nick : gone) drop_user(nick, reason);
}

void node::deliver_told(const pc::told& t) {
  auto to = hub_.directory().find(t.target);
  if (!to || dynamic_cast<const remote_user*>(to.get()) != nullptr) return;  // not ours
  auto ev = text_event(chat::event_kind::private_message, t.t);
  ev->target = to->nick();
  const chat::event_ptr shared = std::move(ev);
  if (to->deliver(shared) != chat::delivery::dropped && hub_.history()) {
    hub_.history()->told(*shared, to->account());
  }
}

void node::adopt(const pc::message& m) {
  chat::room_state st;
  std::string room;
  if (const auto* t = std::get_if<pc::topic_set>(&m)) {
    room = t->room;
    st.topic = t->topic;
    st.topic_by = t->by;
    st.topic_at = static_cast<std::time_t>(t->at);
  } else if (const auto* s = std::get_if<pc::modes_set>(&m)) {
    if (!s->changes.starts_with('+')) return;  // not a snapshot of the modes
    room = s->room;
    st.modes = s->changes;
    st.mode_args = s->args;
  } else {
    return;
  }
  if (auto r = hub_.find_room(room)) r->adopt(std::move(st));
}

void node::apply(const pc::message& m) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, pc::hello>) {
          auto& known = nodes_[v.node];
          if (known.epoch != 0 && known.epoch != v.epoch) {
            drop_node_users(v.node, settings_.server_name + " " + v.node);
          }
          const bool fresh = known.epoch != v.epoch;
          known.epoch = v.epoch;
          if (fresh) load_all();
        } else if constexpr (std::is_same_v<T, pc::node_gone>) {
          drop_node_users(v.node, settings_.server_name + " " + v.node);
          nodes_.erase(v.node);
        } else {
          nodes_.try_emplace(v.node);  // a node heard of before its hello: its lease is watched
          if constexpr (std::is_same_v<T, pc::user_on>) {
            add_user(v);
          } else if constexpr (std::is_same_v<T, pc::user_off>) {
            drop_user(v.nick, v.reason);
          } else if constexpr (std::is_same_v<T, pc::nick_change>) {
            auto u = stub(v.from);
            if (!u) return;
            stubs_.erase(v.from);
            hub_.directory().rename(v.from, v.to, u);
            auto ev = chat::new_event(chat::event_kind::nick_changed, {}, u->nick(), u.get());
            ev->source = u->source();
            ev->target = v.to;
            ev->relayed = true;
            u->rename(v.to);
            stubs_[v.to] = u;
            for (const auto& name : u->rooms()) {
              if (auto r = hub_.find_room(name)) r->rename(u.get(), ev);
            }
          } else if constexpr (std::is_same_v<T, pc::joined>) {
            auto u = stub(v.nick);
            if (!u) return;
            auto a = stub_actor(u);
            a.relayed_op = v.op;
            u->add_room(v.room);
            hub_.room_named(v.room)->join(std::move(a));
          } else if constexpr (std::is_same_v<T, pc::parted>) {
            auto u = stub(v.nick);
            if (!u) return;
            u->remove_room(v.room);
            if (auto r = hub_.find_room(v.room)) r->part(stub_actor(u), v.reason);
          } else if constexpr (std::is_same_v<T, pc::kicked>) {
            auto r = hub_.find_room(v.room);
            if (!r) return;
            if (auto target = stub(v.target)) target->remove_room(v.room);
            r->kick(stand_in(v.by), v.target, v.reason);
            // One of ours kicked: it is in that room no more.
            for (auto& [key, local] : locals_) {
              if (!protocol::fold_equal{}(local.nick, v.target)) continue;
              if (local.rooms.erase(v.room) == 0) continue;
              std::vector<std::string> hdel{
                  "HDEL", state_key(settings_.name),
                  "j:" + protocol::fold_nick(v.room) + " " + protocol::fold_nick(local.nick)};
              room_left(v.room, hdel);
              if (client_->is_up()) send_script(std::move(hdel));
            }
          } else if constexpr (std::is_same_v<T, pc::said>) {
            auto r = hub_.find_room(v.room);
            auto u = stub(v.t.from);
            if (!r || !u) return;
            auto ev = text_event(chat::event_kind::said, v.t);
            ev->status = v.status;
            r->say(stub_actor(u), std::move(ev));
          } else if constexpr (std::is_same_v<T, pc::told>) {
            deliver_told(v);
          } else if constexpr (std::is_same_v<T, pc::kill>) {
            auto to = hub_.directory().find(v.target);
            if (!to || dynamic_cast<const remote_user*>(to.get()) != nullptr) return;  // not ours
            auto ev = chat::new_event(chat::event_kind::killed, {}, v.by, nullptr);
            ev->text = v.reason;
            ev->relayed = true;
            to->deliver(ev);
          } else if constexpr (std::is_same_v<T, pc::topic_set>) {
            auto r = hub_.find_room(v.room);
            if (!r) return;
            chat::actor a = stand_in(v.by.substr(0, v.by.find('!')));
            a.source = v.by;
            r->topic(std::move(a), v.topic);
          } else if constexpr (std::is_same_v<T, pc::modes_set>) {
            auto r = hub_.find_room(v.room);
            if (!r) return;
            r->mode(stand_in(v.by), changes_of(v));
          }
        }
      },
      m);
}

}  // namespace cluster
