// How the IRC door shows chat events: relayed messages, joins and parts,
// room replies (WHO, NAMES, topic, modes, bans) and the room's refusals.
// Rendering a broadcast happens once per format (render key): every member
// with the same capabilities queues the same buffer.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "door/irc_door.hpp"
#include "door/render_keys.hpp"
#include "protocol/limits.hpp"
#include "protocol/nick.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::last_param;
using irc::numeric;

namespace {

// The format bits of an IRC render key.
constexpr std::uint8_t kServerTime = 1;
constexpr std::uint8_t kMessageTags = 2;

std::string_view command_of(chat::message_kind kind) noexcept {
  switch (kind) {
    case chat::message_kind::notice:
      return "NOTICE";
    case chat::message_kind::tagmsg:
      return "TAGMSG";
    case chat::message_kind::privmsg:
    case chat::message_kind::action:
      break;
  }
  return "PRIVMSG";
}

}  // namespace

chat::render_key irc_door::format() const noexcept {
  const std::uint8_t bits = (server_time_ ? kServerTime : 0U) | (message_tags_ ? kMessageTags : 0U);
  return chat::make_render_key(kIrcDoor, bits);
}

std::string irc_door::tags_for(const chat::event& ev) const {
  std::string tags;
  if (server_time_) irc::append_tag(tags, "time", irc::format_server_time(ev.at));
  if (message_tags_) {
    for (const auto& t : ev.tags) irc::append_tag(tags, t.key, t.value);
  }
  return tags;
}

chat::delivery irc_door::deliver(const chat::event_ptr& ev) {
  using chat::event_kind;
  const bool mine = ev->origin == this;
  // One rendering per format, shared by every recipient that renders alike.
  auto cached = [&](auto render) { return ev->rendered.get(format(), render); };
  // head of a line relayed from `ev`'s source, with this client's tags
  auto relay = [&](std::string_view command, std::initializer_list<std::string_view> params,
                   last_param last = last_param::trailing) {
    const auto tags = tags_for(*ev);
    return irc::encode_line({tags, ev->source, command}, params, last);
  };
  switch (ev->kind) {
    case event_kind::said:
    case event_kind::private_message:
      return render_said(ev, mine);
    // Other users' comings and goings may wait a little (kDeferredFlushDelay):
    // a join storm in a big channel then costs each member a few writes.
    case event_kind::joined:
      link_.send(cached([&] { return relay("JOIN", {ev->room}, last_param::plain); }), /*may_wait=*/!mine);
      return chat::delivery::queued;
    case event_kind::left:
      if (mine) {
        // Forget the room before the client can see the PART: a JOIN it sends
        // on seeing it must find the slot free (CHANLIMIT).
        const std::lock_guard lock(info_mutex_);
        rooms_.erase(protocol::fold_nick(ev->room));
      }
      link_.send(cached([&] {
                   return ev->text.empty() ? relay("PART", {ev->room}, last_param::plain)
                                           : relay("PART", {ev->room, ev->text});
                 }),
                 /*may_wait=*/!mine);
      return chat::delivery::queued;
    case event_kind::quit:  // shared by several rooms: never cached, shown once
      if (chat::first_delivery(*ev, this)) {
        link_.send(std::make_shared<const std::string>(relay("QUIT", {ev->text})), /*may_wait=*/true);
      }
      return chat::delivery::queued;
    case event_kind::nick_changed:  // shared by several rooms: never cached, shown once
      if (chat::first_delivery(*ev, this)) {
        link_.send(std::make_shared<const std::string>(relay("NICK", {ev->target})), /*may_wait=*/!mine);
      }
      return chat::delivery::queued;
    case event_kind::kicked: {
      {
        // As for PART: the room is forgotten before the client sees the KICK.
        const std::lock_guard lock(info_mutex_);
        if (protocol::fold_equal{}(ev->target, nick_)) rooms_.erase(protocol::fold_nick(ev->room));
      }
      link_.send(cached([&] { return relay("KICK", {ev->room, ev->target, ev->text}); }));
      return chat::delivery::queued;
    }
    case event_kind::topic_changed:
      link_.send(cached([&] { return relay("TOPIC", {ev->room, ev->text}); }));
      return chat::delivery::queued;
    case event_kind::mode_changed:
      link_.send(cached([&] {
        std::vector<std::string_view> params{ev->room, ev->text};
        params.insert(params.end(), ev->args.begin(), ev->args.end());
        std::string out;
        irc::append_line(out, {tags_for(*ev), ev->source, "MODE"}, params, last_param::plain);
        return out;
      }));
      return chat::delivery::queued;
    case event_kind::invited:
      if (mine) {
        // The confirmation runs on the room's strand: the nick is read under
        // the lock.
        send_bytes(irc::encode_numeric(settings_.server_name, numeric::rpl_inviting, nick(),
                                       {ev->target, ev->room}, last_param::plain));
      } else {
        send_bytes(irc::encode_line({{}, ev->source, "INVITE"}, {ev->target, ev->room}, last_param::plain));
      }
      return chat::delivery::queued;
    case event_kind::who_reply:
      render_roster(ev, /*as_names=*/false);
      return chat::delivery::queued;
    case event_kind::names_reply:
      render_roster(ev, /*as_names=*/true);
      return chat::delivery::queued;
    case event_kind::channel_state:
      render_state(ev);
      return chat::delivery::queued;
    case event_kind::ban_list: {
      std::string out;
      for (const auto& mask : ev->args) {
        irc::append_numeric(out, settings_.server_name, numeric::rpl_banlist, ev->from, {ev->room, mask},
                            last_param::plain);
      }
      irc::append_numeric(out, settings_.server_name, numeric::rpl_endofbanlist, ev->from,
                          {ev->room, "End of channel ban list"});
      send_bytes(std::move(out));
      return chat::delivery::queued;
    }
    case event_kind::notice:
      server_line("NOTICE", {"*", ev->text});
      return chat::delivery::queued;
    case event_kind::killed:
      killed(ev->from, ev->text);
      return chat::delivery::queued;
    case event_kind::wallops:
      if (oper_ || wallops_) {
        link_.send(cached([&] { return irc::encode_line({{}, ev->source, "WALLOPS"}, {ev->text}); }));
      }
      return chat::delivery::queued;
    case event_kind::error:
      render_error(*ev);
      return chat::delivery::queued;
  }
  return chat::delivery::queued;
}

chat::delivery irc_door::render_said(const chat::event_ptr& ev, bool mine) {
  using chat::message_kind;
  // A private message reaches its sender only when sent to themself
  // (send_message never echoes those twice): that one is delivered, as
  // every IRC server does.
  if (mine && !echo_message_ && ev->kind == chat::event_kind::said) return chat::delivery::queued;
  if (ev->message == message_kind::tagmsg && !message_tags_) return chat::delivery::queued;
  const std::string& to = ev->kind == chat::event_kind::said ? ev->room : ev->target;
  return link_.send(ev->rendered.get(format(), [&] {
    const auto tags = tags_for(*ev);
    const std::string_view source = ev->source.empty() ? ev->from : ev->source;
    const auto command = command_of(ev->message);
    std::string out;
    if (ev->message == message_kind::tagmsg) {
      irc::append_line(out, {tags, source, command}, {to}, last_param::plain);
      return out;
    }
    const std::array<std::string_view, 1> middle{to};
    if (ev->message == message_kind::action) {
      const std::string text =
          "\x01"
          "ACTION " +
          ev->text + "\x01";
      irc::append_line(out, {tags, source, command}, {to, text});
      return out;
    }
    // Text from IRC fits one line (send_message cut it); text from the seed
    // protocol may be long or hold newlines, and becomes several lines of at
    // most 512 bytes, cut between characters.
    irc::append_text_lines(out, {tags, source, command}, middle, ev->text, protocol::kMaxLinesPerMessage);
    return out;
  }));
}

void irc_door::render_roster(const chat::event_ptr& ev, bool as_names) {
  auto stream = roster_stream(ev, settings_.server_name, as_names, multi_prefix_);
  if (ev->roster.size() <= kStreamRoster && !streaming_) {
    // Small (the usual case): the whole reply at once, from here.
    std::string out;
    while (!stream->fill(out, std::numeric_limits<std::size_t>::max())) {
    }
    send_bytes(std::move(out));
    return;
  }
  // Big, or behind a stream: chunk by chunk, on this door's strand.
  link_.post([self = self_irc(), stream = std::shared_ptr<reply_stream>(std::move(stream))] {
    if (self->link_.open()) self->start_stream(stream);
  });
}

void irc_door::render_state(const chat::event_ptr& evp) {
  const auto& ev = *evp;
  const auto& srv = settings_.server_name;
  const auto& st = *ev.state;
  std::string out;
  if (ev.query == chat::state_query::modes) {
    std::vector<std::string_view> params{ev.room, st.modes};
    params.insert(params.end(), st.mode_args.begin(), st.mode_args.end());
    irc::append_numeric(out, srv, numeric::rpl_channelmodeis, ev.from, params, last_param::plain);
    irc::append_numeric(out, srv, numeric::rpl_creationtime, ev.from,
                        {ev.room, std::to_string(st.created_at)}, last_param::plain);
    send_bytes(std::move(out));
    return;
  }
  if (st.topic.empty()) {
    if (ev.query == chat::state_query::topic) {
      irc::append_numeric(out, srv, numeric::rpl_notopic, ev.from, {ev.room, "No topic is set"});
    }
  } else {
    irc::append_numeric(out, srv, numeric::rpl_topic, ev.from, {ev.room, st.topic});
    irc::append_numeric(out, srv, numeric::rpl_topicwhotime, ev.from,
                        {ev.room, st.topic_by, std::to_string(st.topic_at)}, last_param::plain);
  }
  if (!out.empty()) send_bytes(std::move(out));
  if (ev.query == chat::state_query::join) {
    render_roster(evp, /*as_names=*/true);  // the join reply ends with the names
  }
}

void irc_door::render_error(const chat::event& ev) {
  using chat::error_code;
  switch (ev.code) {
    case error_code::room_full:
    case error_code::invite_only:
    case error_code::banned:
    case error_code::bad_key: {
      // A refused join: we are not in that room after all.
      const std::lock_guard lock(info_mutex_);
      rooms_.erase(protocol::fold_nick(ev.room));
      break;
    }
    default:
      break;
  }
  const auto& srv = settings_.server_name;
  auto line = [&](numeric n, std::initializer_list<std::string_view> params) {
    send_bytes(irc::encode_numeric(srv, n, ev.from, params));
  };
  switch (ev.code) {
    case error_code::none:
      return;
    case error_code::no_such_user:
      return line(numeric::err_nosuchnick, {ev.text, "No such nick/channel"});
    case error_code::no_such_room:
      return line(numeric::err_nosuchchannel, {ev.room, "No such channel"});
    case error_code::cannot_send:
      return line(numeric::err_cannotsendtochan, {ev.room, "Cannot send to channel"});
    case error_code::not_on_room:
      return line(numeric::err_notonchannel, {ev.room, "You're not on that channel"});
    case error_code::user_not_on_room:
      return line(numeric::err_usernotinchannel, {ev.text, ev.room, "They aren't on that channel"});
    case error_code::already_on_room:
      return line(numeric::err_useronchannel, {ev.text, ev.room, "is already on channel"});
    case error_code::chanop_needed:
      return line(numeric::err_chanoprivsneeded, {ev.room, "You're not channel operator"});
    case error_code::room_full:
      return line(numeric::err_channelisfull, {ev.room, "Cannot join channel (+l)"});
    case error_code::invite_only:
      return line(numeric::err_inviteonlychan, {ev.room, "Cannot join channel (+i)"});
    case error_code::banned:
      return line(numeric::err_bannedfromchan, {ev.room, "Cannot join channel (+b)"});
    case error_code::bad_key:
      return line(numeric::err_badchannelkey, {ev.room, "Cannot join channel (+k)"});
    case error_code::unknown_mode:
      return line(numeric::err_unknownmode, {ev.text, "is unknown mode char to me"});
    case error_code::list_full:
      return line(numeric::err_banlistfull, {ev.room, ev.text, "Channel list is full"});
    case error_code::room_closed:
      // The room emptied while our join was on its way: join the new one.
      link_.post([self = self_irc(), name = ev.room] {
        if (!self->link_.open()) return;
        {
          const std::lock_guard lock(self->info_mutex_);
          self->rooms_.erase(protocol::fold_nick(name));  // the closed room
        }
        self->join_room(name, {});
      });
      return;
  }
}

}  // namespace door
