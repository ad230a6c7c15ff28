// History through the store (archive.hpp).
#include "door/archive.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "protocol/irc_reply.hpp"
#include "protocol/nick.hpp"

namespace door {

namespace {

std::int64_t millis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Client-only tags as IRC writes them, "+a=b;+c".
std::string tag_section(const std::vector<chat::client_tag>& tags) {
  std::string out;
  for (const auto& t : tags) protocol::irc::append_tag(out, t.key, t.value);
  return out;
}

store::line line_of(const chat::event& ev, std::string target, std::string to) {
  store::line l;
  l.target = std::move(target);
  l.msgid = ev.id.to_string();
  l.at_ms = millis(ev.at);
  l.kind = line_kind_of(ev.message);
  l.source = ev.source;
  l.account = ev.account;
  l.to = std::move(to);
  l.text = ev.text;
  l.tags = tag_section(ev.tags);
  return l;
}

}  // namespace

std::string history_identity(std::string_view account, std::string_view nick) {
  return protocol::fold_nick(account.empty() ? nick : account);
}

std::string history_key(std::string_view target, std::string_view reader, std::string_view target_account) {
  if (target.starts_with('#')) return protocol::fold_nick(target);
  return store::private_key(reader, history_identity(target_account, target));
}

store::line_kind line_kind_of(chat::message_kind k) noexcept {
  switch (k) {
    case chat::message_kind::notice:
      return store::line_kind::notice;
    case chat::message_kind::action:
      return store::line_kind::action;
    case chat::message_kind::tagmsg:
      return store::line_kind::tagmsg;
    case chat::message_kind::privmsg:
      break;
  }
  return store::line_kind::privmsg;
}

chat::message_kind message_kind_of(store::line_kind k) noexcept {
  switch (k) {
    case store::line_kind::notice:
      return chat::message_kind::notice;
    case store::line_kind::action:
      return chat::message_kind::action;
    case store::line_kind::tagmsg:
      return chat::message_kind::tagmsg;
    case store::line_kind::privmsg:
    case store::line_kind::join:  // events: no message kind
    case store::line_kind::part:
    case store::line_kind::quit:
    case store::line_kind::nick:
    case store::line_kind::topic:
    case store::line_kind::kick:
      break;
  }
  return chat::message_kind::privmsg;
}

store::channel channel_of(const chat::saved_room& r) {
  return store::channel{r.name, r.founder, r.registered_ms, r.topic, r.topic_by, r.topic_at_ms, r.modes};
}

chat::saved_room saved_room_of(const store::channel& c) {
  return chat::saved_room{c.name, c.founder, c.registered_ms, c.topic, c.topic_by, c.topic_at_ms, c.modes};
}

tl::expected<std::size_t, std::string> restore_channels(store::store& s, chat::hub& hub) {
  auto all = store::wait<std::vector<store::channel>>([&](auto done) { s.list_channels(std::move(done)); });
  if (!all) return tl::make_unexpected(std::string(store::describe(all.error())));
  std::vector<chat::saved_room> rooms;
  rooms.reserve(all->size());
  for (const auto& c : *all) rooms.push_back(saved_room_of(c));
  hub.restore(rooms);
  return rooms.size();
}

namespace {

// What the store answered, as the recorder tells it; failures are logged
// here, since nobody may be there to hear them.
store::callback<void> answer(std::string what, std::string name, chat::recorder::kept done) {
  return [what = std::move(what), name = std::move(name), done = std::move(done)](store::result<void> r) {
    std::string why;
    if (!r) {
      why = std::string(store::describe(r.error()));
      spdlog::warn("store: could not {} the channel {}: {}", what, name, why);
    }
    if (done) done(r.has_value(), std::move(why));
  };
}

}  // namespace

void archive::room_changed(const chat::saved_room& r, kept done) {
  store_->save_channel(channel_of(r), answer("save", r.name, std::move(done)));
}

void archive::room_dropped(const std::string& name, kept done) {
  store_->drop_channel(name, answer("drop", name, std::move(done)));
}

void archive::said(const chat::event& ev) {
  store_->append(line_of(ev, protocol::fold_nick(ev.room), ev.room));
}

void archive::happened(const chat::event& ev, const std::string& room) {
  using chat::event_kind;
  store::line l;
  l.target = protocol::fold_nick(room);
  l.msgid = ev.id.to_string();
  l.at_ms = millis(ev.at);
  l.source = ev.source.empty() ? ev.from : ev.source;
  l.account = ev.account;
  l.to = room;
  l.text = ev.text;
  switch (ev.kind) {
    case event_kind::joined:
      l.kind = store::line_kind::join;
      break;
    case event_kind::left:
      l.kind = store::line_kind::part;
      break;
    case event_kind::quit:
      l.kind = store::line_kind::quit;
      break;
    case event_kind::nick_changed:
      l.kind = store::line_kind::nick;
      l.text = ev.target;
      break;
    case event_kind::topic_changed:
      l.kind = store::line_kind::topic;
      break;
    case event_kind::kicked:
      l.kind = store::line_kind::kick;
      l.text = ev.target + " " + ev.text;
      break;
    default:
      return;  // not an event that is played back
  }
  store_->append(std::move(l));
}

void archive::told(const chat::event& ev, const std::string& target_account) {
  // Kept only where someone can read it later: only account holders read
  // private history (a nick alone can change hands).
  if (ev.account.empty() && target_account.empty()) return;
  auto key =
      store::private_key(history_identity(ev.account, ev.from), history_identity(target_account, ev.target));
  store_->append(line_of(ev, std::move(key), ev.target));
}

}  // namespace door
