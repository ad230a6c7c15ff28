// The IRCv3 capabilities the IRC door implements: one table (what CAP LS
// lists, with values), and the set a client has enabled (bits, readable
// from any thread: deliver() renders by them).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/sasl.hpp"

namespace door {

enum class cap : std::uint8_t {
  account_notify,
  account_registration,
  account_tag,
  away_notify,
  batch,
  cap_notify,
  chghost,
  echo_message,
  extended_join,
  extended_monitor,
  invite_notify,
  labeled_response,
  message_tags,
  multi_prefix,
  server_time,
  setname,
  standard_replies,
  userhost_in_names,
  channel_rename,
  chathistory,
  sasl,
  read_marker,
  event_playback,
};

struct cap_spec {
  std::string_view name;
  cap id;
  std::string_view value;    // after '=' in CAP LS 302; empty: none
  bool needs_store = false;  // offered only when the server keeps accounts and history
};

// Every capability we implement, sorted by name: CAP LS lists these.
inline constexpr std::array kCaps = {
    cap_spec{"account-notify", cap::account_notify, "", true},
    cap_spec{"account-tag", cap::account_tag, "", true},
    cap_spec{"away-notify", cap::away_notify, ""},
    cap_spec{"batch", cap::batch, ""},
    cap_spec{"cap-notify", cap::cap_notify, ""},
    cap_spec{"chghost", cap::chghost, ""},
    cap_spec{"draft/account-registration", cap::account_registration, "before-connect", true},
    cap_spec{"draft/channel-rename", cap::channel_rename, ""},
    cap_spec{"draft/chathistory", cap::chathistory, "", true},
    cap_spec{"draft/event-playback", cap::event_playback, "", true},
    cap_spec{"draft/read-marker", cap::read_marker, "", true},
    cap_spec{"echo-message", cap::echo_message, ""},
    cap_spec{"extended-join", cap::extended_join, ""},
    cap_spec{"extended-monitor", cap::extended_monitor, ""},
    cap_spec{"invite-notify", cap::invite_notify, ""},
    cap_spec{"labeled-response", cap::labeled_response, ""},
    cap_spec{"message-tags", cap::message_tags, ""},
    cap_spec{"multi-prefix", cap::multi_prefix, ""},
    cap_spec{"sasl", cap::sasl, protocol::sasl::kMechanisms, true},
    cap_spec{"server-time", cap::server_time, ""},
    cap_spec{"setname", cap::setname, ""},
    cap_spec{"standard-replies", cap::standard_replies, ""},
    cap_spec{"userhost-in-names", cap::userhost_in_names, ""},
};

// The capability called `name`, if we implement it.
std::optional<cap> find_cap(std::string_view name) noexcept;

// A client's enabled capabilities. Written on the door's strand, read
// anywhere.
class cap_set {
 public:
  [[nodiscard]] bool has(cap c) const noexcept {
    return (bits_.load(std::memory_order_relaxed) & bit(c)) != 0;
  }
  void set(cap c, bool on) noexcept {
    if (on) {
      bits_.fetch_or(bit(c), std::memory_order_relaxed);
    } else {
      bits_.fetch_and(~bit(c), std::memory_order_relaxed);
    }
  }

 private:
  static constexpr std::uint32_t bit(cap c) noexcept { return std::uint32_t{1} << static_cast<unsigned>(c); }
  std::atomic<std::uint32_t> bits_{0};
};

}  // namespace door
