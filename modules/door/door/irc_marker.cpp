// IRCv3 draft/read-marker: MARKREAD keeps, per account, the time up to
// which its user has read each channel and private conversation, so that
// every client of that user agrees on what is new. Kept in the store
// (store::kMaxReadMarkers an account); a change reaches the account's
// other sessions through the hub's logins; a JOIN reply says the channel's
// marker after the JOIN and before the end of the names.
#include <chrono>

#include "door/irc_door.hpp"
#include "protocol/lists.hpp"
#include "protocol/nick.hpp"

namespace door {

namespace irc = protocol::irc;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string timestamp(std::int64_t ms) {
  return irc::format_server_time(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

bool valid_target(std::string_view t) {
  return protocol::parse_room_name(t, protocol::kMaxRoomNameLength).has_value() ||
         protocol::parse_nick(t).has_value();
}

}  // namespace

std::string irc_door::marker_line(std::string_view target, std::optional<std::int64_t> at_ms) const {
  const std::string value = at_ms ? "timestamp=" + timestamp(*at_ms) : std::string("*");
  return irc::encode_line({{}, settings_.server_name, "MARKREAD"}, {target, value}, irc::last_param::plain);
}

bool irc_door::wants_markers() const {
  return settings_.store && caps_.has(cap::read_marker) && !account().empty();
}

void irc_door::join_with_markers(std::string names, std::string keys) {
  // One read per channel named (bad names are answered in join_all, in
  // their place), then the whole JOIN as usual: the replies keep their
  // order, and input waits meanwhile as for any store answer.
  struct reads {
    std::string names, keys;
    join_markers at;
    std::size_t left = 0;
  };
  auto state = std::make_shared<reads>();
  state->names = std::move(names);
  state->keys = std::move(keys);
  const auto list = protocol::split_list(state->names);  // views into state's copy
  state->at.resize(list.size());
  state->left = list.size();
  if (list.empty()) return join_all(state->names, state->keys, nullptr);
  const std::string me = account();
  begin_wait();
  for (std::size_t i = 0; i < list.size(); ++i) {
    settings_.store->read_marker(me, std::string(list[i]),
                                 back_here<std::optional<std::int64_t>>(
                                     [this, state, i](store::result<std::optional<std::int64_t>> r) {
                                       // A store that fails says '*': the join goes on without.
                                       if (r) state->at[i] = *r;
                                       if (--state->left > 0) return;
                                       join_all(state->names, state->keys, &state->at);
                                       if (labeled())
                                         fence_touched();  // a labeled JOIN ends when these rooms answer
                                       end_wait();
                                     }));
  }
}

void irc_door::cmd_markread(const message& m) {
  auto fail = [this](std::string_view code, std::initializer_list<std::string_view> context,
                     std::string_view why) { standard_reply("FAIL", "MARKREAD", code, context, why); };
  if (m.params.empty()) return fail("NEED_MORE_PARAMS", {}, "MARKREAD needs a target");
  const std::string& target = m.params[0];
  if (!settings_.store) return fail("INTERNAL_ERROR", {target}, "Read markers are not kept on this server");
  if (!valid_target(target)) return fail("INVALID_PARAMS", {target}, "Not a channel or a nick");
  const std::string me = account();
  if (me.empty())
    return fail("ACCOUNT_REQUIRED", {target}, "Read markers are kept for accounts: log in first");

  if (m.params.size() < 2) {
    begin_wait();
    return settings_.store->read_marker(
        me, target,
        back_here<std::optional<std::int64_t>>([this, target](store::result<std::optional<std::int64_t>> r) {
          if (r) {
            send_bytes(marker_line(target, *r));
          } else {
            standard_reply("FAIL", "MARKREAD", "INTERNAL_ERROR", {target},
                           "The read marker could not be read");
          }
          end_wait();
        }));
  }

  const std::string_view value = m.params[1];
  std::optional<std::int64_t> at;
  if (value.starts_with("timestamp=")) at = irc::parse_server_time(value.substr(10));
  if (!at) {
    return fail("INVALID_PARAMS", {target, value}, "Expected timestamp=YYYY-MM-DDThh:mm:ss.sssZ");
  }
  // Nobody has read what has not been said yet.
  const std::int64_t wanted = std::min(*at, now_ms());
  begin_wait();
  settings_.store->set_read_marker(
      me, target, wanted, back_here<std::int64_t>([this, me, target, wanted](store::result<std::int64_t> r) {
        if (!r) {
          standard_reply("FAIL", "MARKREAD", "INTERNAL_ERROR", {target},
                         "The read marker could not be saved");
          return end_wait();
        }
        send_bytes(marker_line(target, *r));
        if (*r == wanted) {
          // It moved (or was there already): the other clients of this
          // account are told.
          auto ev = chat::new_event(chat::event_kind::read_marker, {}, nick(), this);
          ev->target = target;
          ev->text = timestamp(*r);
          hub_.logins().deliver(me, ev, this);
        }
        end_wait();
      }));
}

}  // namespace door
