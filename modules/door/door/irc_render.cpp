// How the IRC door shows chat events: relayed messages, joins and parts,
// mode changes, room replies (WHO, NAMES, topic, modes). Rendering a
// broadcast happens once per format (render key): every member with the
// same capabilities queues the same buffer. The events about users (their
// attributes, presence) and the room's refusals: irc_render_users.cpp.
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
constexpr std::uint8_t kExtendedJoin = 4;
constexpr std::uint8_t kAccountTag = 8;

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

// The mode letters of a MODE change that carry an argument, as the room
// records them: o v and the lists always, k always (its key, or "*"), l
// when set.
bool has_arg(char mode, bool add) noexcept {
  return mode == 'o' || mode == 'v' || mode == 'k' || ((mode == 'l' || mode == 'H') && add) ||
         chat::kListModes.find(mode) != std::string_view::npos;
}

}  // namespace

chat::render_key irc_door::format() const noexcept {
  const std::uint8_t bits =
      (caps_.has(cap::server_time) ? kServerTime : 0U) | (caps_.has(cap::message_tags) ? kMessageTags : 0U) |
      (caps_.has(cap::extended_join) ? kExtendedJoin : 0U) | (caps_.has(cap::account_tag) ? kAccountTag : 0U);
  return chat::make_render_key(kIrcDoor, bits);
}

std::string irc_door::tags_for(const chat::event& ev) const {
  std::string tags;
  if (caps_.has(cap::server_time)) irc::append_tag(tags, "time", irc::format_server_time(ev.at));
  if (caps_.has(cap::account_tag) && !ev.account.empty()) irc::append_tag(tags, "account", ev.account);
  if (caps_.has(cap::message_tags)) {
    const bool is_message = ev.kind == chat::event_kind::said || ev.kind == chat::event_kind::private_message;
    if (is_message) irc::append_tag(tags, "msgid", ev.id.to_string());
    if (ev.from_bot) irc::append_tag(tags, "bot", {});
    for (const auto& t : ev.tags) irc::append_tag(tags, t.key, t.value);
  }
  return tags;
}

chat::delivery irc_door::deliver(const chat::event_ptr& ev) {
  using chat::event_kind;
  const bool mine = ev->origin == this;
  // One rendering per format, shared by every recipient that renders alike.
  auto cached = [&](auto render) { return ev->rendered.get(format(), render); };
  // A line relayed from `ev`'s source, with this client's tags.
  auto relay = [&](std::string_view command, std::initializer_list<std::string_view> params,
                   last_param last = last_param::trailing) {
    const auto tags = tags_for(*ev);
    return irc::encode_line({tags, ev->source, command}, params, last);
  };
  // What this user's own action caused is part of a labeled response.
  auto emit = [&](payload p, bool may_wait = false) {
    if (mine && labeling() && collect(*p)) return chat::delivery::queued;
    return link_.send(std::move(p), may_wait);
  };
  switch (ev->kind) {
    case event_kind::said:
    case event_kind::private_message:
      return render_said(ev, mine);
    // Other users' comings and goings may wait a little (kDeferredFlushDelay):
    // a join storm in a big channel then costs each member a few writes.
    case event_kind::joined: {
      const auto delivered = emit(cached([&] { return join_line(*ev); }), /*may_wait=*/!mine);
      // away-notify: an away newcomer is shown away at once, after its JOIN.
      if (!mine && !ev->args.empty() && caps_.has(cap::away_notify)) {
        link_.send(std::make_shared<const std::string>(relay("AWAY", {ev->args.front()})), /*may_wait=*/true);
      }
      return delivered;
    }
    case event_kind::joins:
      return render_joins(*ev);
    case event_kind::left:
      // Our own PART: the room was forgotten when the PART was sent (and
      // JOIN 0 forgets them all at once), so that a JOIN behind it finds the
      // slot free (CHANLIMIT); an entry here now is that JOIN's.
      return emit(cached([&] {
                    return ev->text.empty() ? relay("PART", {ev->room}, last_param::plain)
                                            : relay("PART", {ev->room, ev->text});
                  }),
                  /*may_wait=*/!mine);
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
      return emit(cached([&] { return relay("KICK", {ev->room, ev->target, ev->text}); }));
    }
    case event_kind::topic_changed:
      return emit(cached([&] { return relay("TOPIC", {ev->room, ev->text}); }));
    case event_kind::mode_changed:
      render_mode_change(*ev);
      return emit(cached([&] {
        std::vector<std::string_view> params{ev->room, ev->text};
        params.insert(params.end(), ev->args.begin(), ev->args.end());
        std::string out;
        irc::append_line(out, {tags_for(*ev), ev->source, "MODE"}, params, last_param::plain);
        return out;
      }));
    case event_kind::invited:
      if (mine) {
        // The confirmation runs on the room's strand: the nick is read under
        // the lock.
        send_bytes(irc::encode_numeric(settings_.server_name, numeric::rpl_inviting, nick(),
                                       {ev->target, ev->room}, last_param::plain));
      } else if (protocol::fold_equal{}(ev->target, nick()) || caps_.has(cap::invite_notify)) {
        // The invitee, and (invite-notify) the other members who asked.
        if (!chat::first_delivery(*ev, this)) return chat::delivery::queued;
        link_.send(cached([&] {
          return irc::encode_line({tags_for(*ev), ev->source, "INVITE"}, {ev->target, ev->room},
                                  last_param::plain);
        }));
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
    case event_kind::mask_list:
      render_mask_list(*ev);
      return chat::delivery::queued;
    case event_kind::renamed:
      render_renamed(*ev);
      return chat::delivery::queued;
    case event_kind::notice:
      server_line("NOTICE", {"*", ev->text});
      return chat::delivery::queued;
    case event_kind::killed:
      killed(ev->from, ev->text);
      return chat::delivery::queued;
    case event_kind::nick_taken:
      lost_nick(ev->text);
      return chat::delivery::queued;
    case event_kind::wallops:
      if (oper_ || wallops_) {
        link_.send(cached([&] { return irc::encode_line({{}, ev->source, "WALLOPS"}, {ev->text}); }));
      }
      return chat::delivery::queued;
    case event_kind::attribute_changed:
      render_attribute(*ev);
      return chat::delivery::queued;
    case event_kind::host_set:
    case event_kind::user_online:
    case event_kind::user_offline:
      render_presence(*ev);
      return chat::delivery::queued;
    case event_kind::error:
      render_error(*ev);
      return chat::delivery::queued;
    case event_kind::read_marker:
      // Another client of this account moved it. Sent as it is, never into
      // a labeled reply this client is collecting.
      if (caps_.has(cap::read_marker)) {
        link_.send(std::make_shared<const std::string>(
            irc::encode_line({{}, settings_.server_name, "MARKREAD"}, {ev->target, "timestamp=" + ev->text},
                             last_param::plain)));
      }
      return chat::delivery::queued;
  }
  return chat::delivery::queued;
}

std::string irc_door::join_line(const chat::event& ev) const {
  const auto tags = tags_for(ev);
  if (!caps_.has(cap::extended_join)) {
    return irc::encode_line({tags, ev.source, "JOIN"}, {ev.room}, last_param::plain);
  }
  return irc::encode_line({tags, ev.source, "JOIN"},
                          {ev.room, ev.account.empty() ? "*" : ev.account, ev.text});
}

chat::delivery irc_door::render_joins(const chat::event& ev) {
  const auto& joins = *ev.batch;
  const auto first = joins.begin() + static_cast<std::ptrdiff_t>(std::min(ev.batch_from, joins.size()));
  // away-notify: an away newcomer is shown away right after its JOIN. Few
  // batches hold one; those are rendered for this client alone (the render
  // key does not say away-notify).
  const bool away_lines = caps_.has(cap::away_notify) &&
                          std::any_of(first, joins.end(), [](const auto& j) { return !j->args.empty(); });
  auto render = [&] {
    std::string out;
    // Every JOIN line is rendered (and cached) first, then copied once.
    std::size_t size = 0;
    for (auto it = first; it != joins.end(); ++it) {
      size += (*it)->rendered.get(format(), [&] { return join_line(**it); })->size();
    }
    out.reserve(size);
    for (auto it = first; it != joins.end(); ++it) {
      const auto& j = **it;
      // Each JOIN line is rendered once per format, however many batches
      // (the joiners' own, shorter ones) show it.
      out += *j.rendered.get(format(), [&] { return join_line(j); });
      if (away_lines && !j.args.empty()) {
        out += irc::encode_line({tags_for(j), j.source, "AWAY"}, {j.args.front()});
      }
    }
    return out;
  };
  auto bytes = away_lines ? std::make_shared<const std::string>(render()) : ev.rendered.get(format(), render);
  if (bytes->empty()) return chat::delivery::queued;
  // Other users' comings may wait a little (kDeferredFlushDelay), as a lone
  // JOIN may.
  return link_.send(std::move(bytes), /*may_wait=*/true);
}

chat::delivery irc_door::render_said(const chat::event_ptr& ev, bool mine) {
  using chat::message_kind;
  // A private message reaches its sender only when sent to themself
  // (send_message never echoes those twice): that one is delivered, as
  // every IRC server does.
  if (mine && !caps_.has(cap::echo_message) && ev->kind == chat::event_kind::said)
    return chat::delivery::queued;
  if (ev->message == message_kind::tagmsg && !caps_.has(cap::message_tags)) return chat::delivery::queued;
  auto bytes = ev->rendered.get(format(), [&] {
    const auto tags = tags_for(*ev);
    const std::string_view source = ev->source.empty() ? ev->from : ev->source;
    const auto command = command_of(ev->message);
    // STATUSMSG keeps its prefix: "@#chan".
    const std::string to = ev->kind == chat::event_kind::said
                               ? (ev->status != 0 ? std::string(1, ev->status) + ev->room : ev->room)
                               : ev->target;
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
  });
  // The echo of a labeled message carries the label (labeled-response).
  if (mine && labeling() && collect(*bytes)) return chat::delivery::queued;
  return link_.send(std::move(bytes));
}

void irc_door::render_mode_change(const chat::event& ev) {
  // Keep this user's own prefixes in its rooms up to date (WHOIS shows them).
  bool add = true;
  std::size_t arg = 0;
  for (const char c : ev.text) {
    if (c == '+' || c == '-') {
      add = c == '+';
      continue;
    }
    if (!has_arg(c, add)) continue;
    if (arg >= ev.args.size()) break;
    const auto& who = ev.args[arg++];
    if ((c == 'o' || c == 'v') && protocol::fold_equal{}(who, nick())) {
      const std::lock_guard lock(info_mutex_);
      auto it = rooms_.find(protocol::fold_nick(ev.room));
      if (it != rooms_.end()) (c == 'o' ? it->second.op : it->second.voice) = add;
    }
  }
}

void irc_door::render_renamed(const chat::event& ev) {
  const auto old_key = protocol::fold_nick(ev.target);
  std::string me;
  {
    // The room is known by its new name from now on.
    const std::lock_guard lock(info_mutex_);
    auto it = rooms_.find(old_key);
    if (it != rooms_.end()) {
      auto entry = std::move(it->second);
      rooms_.erase(it);
      rooms_.emplace(protocol::fold_nick(ev.room), std::move(entry));
    }
    me = nick_ + "!" + user_ + "@" + host_;
  }
  if (caps_.has(cap::channel_rename)) {
    send_bytes(irc::encode_line({tags_for(ev), ev.source, "RENAME"}, {ev.target, ev.room, ev.text}));
    return;
  }
  // A client without RENAME sees itself leave the old name and join the new
  // one, with the topic and the names, as the specification asks (a change
  // of letter case alone is no change to it).
  if (protocol::fold_equal{}(ev.target, ev.room)) return;
  std::string out;
  irc::append_line(out, {{}, me, "PART"},
                   {ev.target, ev.text.empty() ? "Channel renamed to " + ev.room : ev.text});
  irc::append_line(out, {{}, me, "JOIN"}, {ev.room}, last_param::plain);
  const auto& srv = settings_.server_name;
  if (ev.state && !ev.state->topic.empty()) {
    irc::append_numeric(out, srv, numeric::rpl_topic, nick(), {ev.room, ev.state->topic});
    irc::append_numeric(out, srv, numeric::rpl_topicwhotime, nick(),
                        {ev.room, ev.state->topic_by, std::to_string(ev.state->topic_at)}, last_param::plain);
  }
  send_bytes(std::move(out));
  auto names = std::make_shared<chat::event>(ev);
  names->kind = chat::event_kind::names_reply;
  names->from = nick();
  render_roster(names, /*as_names=*/true);
}

void irc_door::render_roster(const chat::event_ptr& ev, bool as_names) {
  const roster_format how{as_names, caps_.has(cap::multi_prefix), caps_.has(cap::userhost_in_names)};
  auto stream = roster_stream(ev, settings_.server_name, how);
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
  if (ev.query == chat::state_query::join) {
    // Our own prefix in the room we joined (the first member is operator).
    const auto me = std::find_if(ev.roster.begin(), ev.roster.end(),
                                 [&](const chat::roster_entry& e) { return e.nick == ev.from; });
    if (me != ev.roster.end()) {
      const std::lock_guard lock(info_mutex_);
      auto it = rooms_.find(protocol::fold_nick(ev.room));
      if (it != rooms_.end()) {
        it->second.op = me->op;
        it->second.voice = me->voice;
      }
    }
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
  if (ev.query == chat::state_query::join && caps_.has(cap::read_marker)) {
    // draft/read-marker: after the JOIN, before the end of the names.
    std::optional<std::int64_t> marker;
    bool due = false;
    {
      const std::lock_guard lock(info_mutex_);
      auto it = rooms_.find(protocol::fold_nick(ev.room));
      if (it != rooms_.end()) {
        due = std::exchange(it->second.marker_due, false);
        marker = it->second.marker;
      }
    }
    if (due) out += marker_line(ev.room, marker);
  }
  if (!out.empty()) send_bytes(std::move(out));
  if (ev.query == chat::state_query::join) {
    render_roster(evp, /*as_names=*/true);  // the join reply ends with the names
    if (st.replay && settings_.store) {
      // After the names (posted after a streamed roster, too).
      const auto joined_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      link_.post([self = self_irc(), room = ev.room, r = *st.replay, joined_ms] {
        if (self->link_.open()) self->replay_history(room, r, joined_ms);
      });
    }
  }
}

}  // namespace door
