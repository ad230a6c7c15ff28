// PRIVMSG, NOTICE and TAGMSG: to channels (through the room, which checks
// +n, +m and bans) and to users (straight to the recipient's door).
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "door/irc_door.hpp"
#include "protocol/limits.hpp"
#include "protocol/lists.hpp"
#include "protocol/utf8.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

namespace {

// CTCP ACTION ("/me waves"): "\x01ACTION waves\x01", the closing \x01
// optional as clients send it.
constexpr std::string_view kActionOpen =
    "\x01"
    "ACTION ";

// The kind of a PRIVMSG's text, and the text without its CTCP wrapping.
std::pair<chat::message_kind, std::string_view> classify(std::string_view verb, std::string_view text) {
  if (verb == "NOTICE") return {chat::message_kind::notice, text};
  if (verb == "TAGMSG") return {chat::message_kind::tagmsg, {}};
  if (text.starts_with(kActionOpen)) {
    text.remove_prefix(kActionOpen.size());
    if (text.ends_with('\x01')) text.remove_suffix(1);
    return {chat::message_kind::action, text};
  }
  return {chat::message_kind::privmsg, text};
}

}  // namespace

void irc_door::cmd_message(const message& m) {
  std::array<std::string_view, protocol::kIrcMaxParams> params;
  const std::size_t count = std::min(m.params.size(), params.size());
  std::copy_n(m.params.begin(), count, params.begin());
  send_message(m.command, std::span(params.data(), count), m.tags);
}

void irc_door::send_message(std::string_view verb, std::span<const std::string_view> params,
                            std::span<const irc::tag> tags) {
  const bool notice = verb == "NOTICE";
  const bool tagmsg = verb == "TAGMSG";
  if (params.empty()) {
    if (!notice) reply(numeric::err_norecipient, {fmt::format("No recipient given ({})", verb)});
    return;
  }
  if (!tagmsg && (params.size() < 2 || params[1].empty())) {
    if (!notice) reply(numeric::err_notexttosend, {"No text to send"});
    return;
  }
  // UTF-8: handle_line checked it.
  const auto [kind, text] = classify(verb, tagmsg ? std::string_view() : params[1]);
  std::vector<chat::client_tag> client_tags;
  for (const auto& t : tags) {
    if (t.key.starts_with('+')) client_tags.push_back(chat::client_tag{t.key, t.value});
  }
  if (tagmsg && client_tags.empty()) return;

  // Up to TARGMAX targets, without a vector for the usual one.
  std::array<std::string_view, protocol::kMaxTargets> targets;
  std::size_t count = 0;
  std::string_view ignored;
  protocol::for_each_item(params[0], ',', [&](std::string_view item) {
    if (count == targets.size()) {
      ignored = item;
      return false;
    }
    targets[count++] = item;
    return true;
  });
  if (!ignored.empty() && !notice) too_many_targets(verb, ignored);
  if (count > 1) spend_extra(count - 1);
  if (!tagmsg) last_message_.store(std::time(nullptr), std::memory_order_relaxed);
  for (const auto to : std::span(targets.data(), count)) {
    auto ev = chat::new_event(chat::event_kind::said, {}, nick_, this);
    ev->source = source();
    ev->account = account_;  // written on this strand: no lock to read it here
    ev->message = kind;
    ev->tags = client_tags;
    ev->from_bot = bot_;
    // One message stays one message: cut the text (between characters) so
    // that the line relayed with our full source still fits.
    const std::array<std::string_view, 1> middle{to};
    std::size_t room = irc::room_for_last({{}, ev->source, verb}, middle);
    if (kind == chat::message_kind::action)
      room = room > kActionOpen.size() + 1 ? room - kActionOpen.size() - 1 : 0;
    ev->text = text.substr(0, text.size() <= room ? text.size() : protocol::utf8_prefix(text, room));
    // STATUSMSG: "@#chan" to its operators, "+#chan" to them and the voiced.
    std::string_view channel = to;
    if ((to.starts_with('@') || to.starts_with('+')) && to.size() > 1 && to[1] == '#') {
      ev->status = to[0];
      channel.remove_prefix(1);
    }
    if (channel.starts_with('#')) {
      auto r = hub_.find_room(channel);
      if (!r) {
        if (!notice) reply(numeric::err_nosuchchannel, {channel, "No such channel"});
        continue;
      }
      metrics::message_in(metrics::door_kind::irc);
      touch(r)->say(as_actor(), std::move(ev));  // the room fills in its name
      continue;
    }
    if (kind == chat::message_kind::privmsg && to_service(to, text)) continue;
    auto peer = hub_.directory().find(to);
    if (!peer) {
      if (!notice) reply(numeric::err_nosuchnick, {to, "No such nick/channel"});
      continue;
    }
    ev->kind = chat::event_kind::private_message;
    ev->target = peer->nick();
    if (const auto away = notice || tagmsg ? std::string() : peer->away(); !away.empty()) {
      reply(numeric::rpl_away, {ev->target, away});
    }
    metrics::message_in(metrics::door_kind::irc);
    chat::event_ptr shared = std::move(ev);
    const auto sent = peer->deliver(shared);
    if (sent != chat::delivery::dropped && hub_.history()) hub_.history()->told(*shared, peer->account());
    if (sent != chat::delivery::dropped && peer.get() != this) metrics::delivered(1);
    if (sent == chat::delivery::backlogged && peer.get() != this) {
      wait_for({std::weak_ptr<chat::member>(peer)});  // backpressure, as for a room
    }
    if (caps_.has(cap::echo_message) && peer.get() != this) deliver(shared);
  }
}

}  // namespace door
