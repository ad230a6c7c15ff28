// How the IRC door shows events about users and lists: attribute changes
// (away-notify, setname, chghost), presence for MONITOR, an operator's
// CHGHOST of this user, a channel's mask lists, and the room's refusals as
// numerics.
#include <fmt/format.h>

#include "door/irc_door.hpp"
#include "protocol/nick.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::last_param;
using irc::numeric;

void irc_door::render_attribute(const chat::event& ev) {
  // Through MONITOR without a shared room: only with extended-monitor (and
  // without marking it seen, so that a room's copy still shows).
  if (ev.via_monitor && !caps_.has(cap::extended_monitor)) return;
  // Shared by every room of the user (and its watchers): shown once.
  if (!chat::first_delivery(ev, this)) return;
  const auto tags = tags_for(ev);
  switch (ev.attribute) {
    case chat::attribute::away:
      if (!caps_.has(cap::away_notify)) return;
      if (ev.text.empty()) {
        send_bytes(irc::encode_line({tags, ev.source, "AWAY"}, {}));
      } else {
        send_bytes(irc::encode_line({tags, ev.source, "AWAY"}, {ev.text}));
      }
      return;
    case chat::attribute::realname:
      if (caps_.has(cap::setname)) send_bytes(irc::encode_line({tags, ev.source, "SETNAME"}, {ev.text}));
      return;
    case chat::attribute::host: {
      if (!caps_.has(cap::chghost)) return;
      const auto at = ev.text.find('@');
      send_bytes(irc::encode_line({tags, ev.source, "CHGHOST"},
                                  {ev.text.substr(0, at), ev.text.substr(at + 1)}, last_param::plain));
      return;
    }
    case chat::attribute::account:
      if (caps_.has(cap::account_notify) && ev.origin != this) {
        send_bytes(irc::encode_line({tags, ev.source, "ACCOUNT"}, {ev.text.empty() ? "*" : ev.text},
                                    last_param::plain));
      }
      return;
  }
}

void irc_door::render_presence(const chat::event& ev) {
  const auto& srv = settings_.server_name;
  switch (ev.kind) {
    case chat::event_kind::user_online:
      send_bytes(irc::encode_numeric(srv, numeric::rpl_mononline, nick(), {ev.source}));
      return;
    case chat::event_kind::user_offline:
      send_bytes(irc::encode_numeric(srv, numeric::rpl_monoffline, nick(), {ev.from}));
      return;
    case chat::event_kind::host_set:
      // An operator's CHGHOST: on this door's strand, as every change of
      // its state.
      link_.post([self = self_irc(), value = ev.text] {
        if (!self->link_.open()) return;
        const auto at = value.find('@');
        const auto old_source = self->source();
        {
          const std::lock_guard lock(self->info_mutex_);
          self->user_ = value.substr(0, at);
          self->host_ = value.substr(at + 1);
        }
        if (self->caps_.has(cap::chghost)) {
          self->send_bytes(
              irc::encode_line({{}, old_source, "CHGHOST"}, {self->user_, self->host_}, last_param::plain));
        }
        // The others see the change as from the old nick!user@host.
        auto announce = chat::new_event(chat::event_kind::attribute_changed, {}, self->nick_, self.get());
        announce->source = old_source;
        announce->attribute = chat::attribute::host;
        announce->text = value;
        std::vector<std::shared_ptr<chat::room>> rooms;
        {
          const std::lock_guard lock(self->info_mutex_);
          for (const auto& [key, r] : self->rooms_) rooms.push_back(r.room);
        }
        for (const auto& r : rooms) r->relay(self.get(), announce);
        self->hub_.monitor().notify(self->nick_, announce);
      });
      return;
    default:
      return;
  }
}

void irc_door::render_mask_list(const chat::event& ev) {
  const auto& srv = settings_.server_name;
  // b: 367/368; e: 348/349; I: 346/347; q: 728/729 (as Solanum numbers them).
  numeric item = numeric::rpl_banlist;
  numeric end = numeric::rpl_endofbanlist;
  std::string_view what = "End of channel ban list";
  if (ev.text == "e") {
    item = numeric::rpl_exceptlist;
    end = numeric::rpl_endofexceptlist;
    what = "End of channel exception list";
  } else if (ev.text == "I") {
    item = numeric::rpl_invitelist;
    end = numeric::rpl_endofinvitelist;
    what = "End of channel invite list";
  } else if (ev.text == "q") {
    item = numeric::rpl_quietlist;
    end = numeric::rpl_endofquietlist;
    what = "End of channel quiet list";
  }
  std::string out;
  for (const auto& mask : ev.args) {
    if (ev.text == "q") {
      irc::append_numeric(out, srv, item, ev.from, {ev.room, "q", mask}, last_param::plain);
    } else {
      irc::append_numeric(out, srv, item, ev.from, {ev.room, mask}, last_param::plain);
    }
  }
  if (ev.text == "q") {
    irc::append_numeric(out, srv, end, ev.from, {ev.room, "q", what});
  } else {
    irc::append_numeric(out, srv, end, ev.from, {ev.room, what});
  }
  send_bytes(std::move(out));
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
    case error_code::name_taken:
      return standard_reply("FAIL", "RENAME", "CHANNEL_NAME_IN_USE", {ev.room, ev.text},
                            "The new name is another channel's");
    case error_code::cannot_rename:
      return standard_reply("FAIL", "RENAME", "CANNOT_RENAME", {ev.room, ev.text},
                            "This channel keeps its name");
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
