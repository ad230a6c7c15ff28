// Typed cluster messages to frames and back. Each type has its fields in a
// fixed order (said, told and mode end in a list); a frame with fields
// missing or left over is refused: a change of fields is a new version.
#include "protocol/cluster_message.hpp"

#include <charconv>
#include <iterator>
#include <memory>
#include <type_traits>

#include "protocol/cluster_frame.hpp"

namespace protocol::cluster {

namespace {

// The type names on the wire, in the order of the variant's alternatives.
constexpr std::string_view kTypes[] = {"hello", "user", "quit", "nick",  "join", "part",
                                       "kick",  "say",  "tell", "topic", "mode", "gone"};
static_assert(std::size(kTypes) == std::variant_size_v<message>);

class writer {
 public:
  void add(std::string_view v) { fields_.push_back(v); }
  void add_number(std::int64_t v) { add_owned(std::to_string(v)); }
  void add_unsigned(std::uint64_t v) { add_owned(std::to_string(v)); }
  void add_flag(bool v) { add(v ? "1" : "0"); }
  void add_char(char c) { add_owned(c == 0 ? std::string() : std::string(1, c)); }
  std::string finish() { return encode_frame(fields_); }

 private:
  void add_owned(std::string v) {
    // Stable addresses: the views in fields_ point into these.
    owned_.push_back(std::make_unique<std::string>(std::move(v)));
    fields_.push_back(*owned_.back());
  }
  std::vector<std::string_view> fields_;
  std::vector<std::unique_ptr<std::string>> owned_;
};

void put_text(writer& w, const text& t) {
  w.add_number(static_cast<std::int64_t>(t.kind));
  w.add(t.msgid);
  w.add_number(t.at_ms);
  w.add(t.from);
  w.add(t.source);
  w.add(t.account);
  w.add_flag(t.bot);
  w.add(t.body);
  for (const auto& [k, v] : t.tags) {
    w.add(k);
    w.add(v);
  }
}

// Reads fields in order; the first failure sticks and names the field.
class reader {
 public:
  reader(const std::vector<std::string_view>& fields, std::string_view type) : fields_(fields), type_(type) {}

  std::string str(std::string_view what) {
    if (at_ >= fields_.size()) {
      fail(what, "missing");
      return {};
    }
    return std::string(fields_[at_++]);
  }
  std::int64_t number(std::string_view what) {
    const auto s = str(what);
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!error_.empty()) return 0;
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) fail(what, "not a number");
    return v;
  }
  std::uint64_t unsigned_number(std::string_view what) {
    const auto s = str(what);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!error_.empty()) return 0;
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) fail(what, "not a number");
    return v;
  }
  bool flag(std::string_view what) {
    const auto s = str(what);
    if (!error_.empty()) return false;
    if (s != "0" && s != "1") fail(what, "not 0 or 1");
    return s == "1";
  }
  char status(std::string_view what) {
    const auto s = str(what);
    if (!error_.empty()) return 0;
    if (s.empty()) return 0;
    if (s != "@" && s != "+") fail(what, "not @, + or empty");
    return s.front();
  }
  // A non-empty name (node, nick, room).
  std::string name(std::string_view what) {
    auto s = str(what);
    if (error_.empty() && s.empty()) fail(what, "empty");
    return s;
  }
  std::size_t left() const { return fields_.size() - at_; }
  const std::string& error() const { return error_; }
  void fail(std::string_view what, std::string_view why) {
    if (error_.empty()) error_ = std::string(type_) + ": " + std::string(what) + " " + std::string(why);
  }

 private:
  const std::vector<std::string_view>& fields_;
  std::string_view type_;
  std::size_t at_ = 2;  // after the version and the type
  std::string error_;
};

text get_text(reader& r) {
  text t;
  const auto kind = r.number("kind");
  if (kind < 0 || kind > static_cast<std::int64_t>(text_kind::action)) r.fail("kind", "out of range");
  t.kind = r.error().empty() ? static_cast<text_kind>(kind) : text_kind::privmsg;
  t.msgid = r.name("msgid");
  t.at_ms = r.number("time");
  t.from = r.name("from");
  t.source = r.name("source");
  t.account = r.str("account");
  t.bot = r.flag("bot");
  t.body = r.str("body");
  // The rest are tag pairs.
  if (r.left() % 2 != 0) r.fail("tags", "not in pairs");
  while (r.error().empty() && r.left() >= 2) {
    auto k = r.name("tag key");
    auto v = r.str("tag value");
    t.tags.emplace_back(std::move(k), std::move(v));
  }
  return t;
}

}  // namespace

const std::string& node_of(const message& m) noexcept {
  return std::visit([](const auto& v) -> const std::string& { return v.node; }, m);
}

std::string encode_message(const message& m) {
  writer w;
  w.add(kTypes[m.index()]);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        w.add(v.node);
        if constexpr (std::is_same_v<T, hello>) {
          w.add_unsigned(v.epoch);
        } else if constexpr (std::is_same_v<T, user_on>) {
          w.add(v.nick);
          w.add(v.user);
          w.add(v.host);
          w.add(v.realname);
          w.add(v.account);
          w.add(v.away);
          w.add_flag(v.bot);
          w.add_flag(v.oper);
          w.add_flag(v.secure);
          w.add_number(v.signon);
        } else if constexpr (std::is_same_v<T, user_off>) {
          w.add(v.nick);
          w.add(v.reason);
        } else if constexpr (std::is_same_v<T, nick_change>) {
          w.add(v.from);
          w.add(v.to);
        } else if constexpr (std::is_same_v<T, joined>) {
          w.add(v.room);
          w.add(v.nick);
          w.add_flag(v.op);
        } else if constexpr (std::is_same_v<T, parted>) {
          w.add(v.room);
          w.add(v.nick);
          w.add(v.reason);
        } else if constexpr (std::is_same_v<T, kicked>) {
          w.add(v.room);
          w.add(v.by);
          w.add(v.target);
          w.add(v.reason);
        } else if constexpr (std::is_same_v<T, said>) {
          w.add(v.room);
          w.add_char(v.status);
          put_text(w, v.t);
        } else if constexpr (std::is_same_v<T, told>) {
          w.add(v.target);
          put_text(w, v.t);
        } else if constexpr (std::is_same_v<T, topic_set>) {
          w.add(v.room);
          w.add(v.by);
          w.add(v.topic);
          w.add_number(v.at);
        } else if constexpr (std::is_same_v<T, modes_set>) {
          w.add(v.room);
          w.add(v.by);
          w.add(v.changes);
          for (const auto& a : v.args) w.add(a);
        } else if constexpr (std::is_same_v<T, node_gone>) {
          w.add(v.by);
        }
      },
      m);
  return w.finish();
}

tl::expected<message, std::string> decode_message(std::string_view frame) {
  auto fields = decode_frame(frame);
  if (!fields) return tl::make_unexpected(std::string(describe(fields.error())));
  const auto type = (*fields)[1];
  std::size_t index = 0;
  while (index < std::size(kTypes) && kTypes[index] != type) ++index;
  if (index == std::size(kTypes)) return tl::make_unexpected("unknown message type");
  reader r(*fields, type);
  message m;
  const auto node = r.name("node");
  switch (index) {
    case 0:
      m = hello{node, r.unsigned_number("epoch")};
      break;
    case 1: {
      user_on u;
      u.node = node;
      u.nick = r.name("nick");
      u.user = r.name("user");
      u.host = r.name("host");
      u.realname = r.str("realname");
      u.account = r.str("account");
      u.away = r.str("away");
      u.bot = r.flag("bot");
      u.oper = r.flag("oper");
      u.secure = r.flag("secure");
      u.signon = r.number("signon");
      m = std::move(u);
      break;
    }
    case 2: {
      auto nick = r.name("nick");
      m = user_off{node, std::move(nick), r.str("reason")};
      break;
    }
    case 3: {
      auto from = r.name("from");
      m = nick_change{node, std::move(from), r.name("to")};
      break;
    }
    case 4: {
      auto room = r.name("room");
      auto nick = r.name("nick");
      m = joined{node, std::move(room), std::move(nick), r.flag("op")};
      break;
    }
    case 5: {
      auto room = r.name("room");
      auto nick = r.name("nick");
      m = parted{node, std::move(room), std::move(nick), r.str("reason")};
      break;
    }
    case 6: {
      kicked k;
      k.node = node;
      k.room = r.name("room");
      k.by = r.name("by");
      k.target = r.name("target");
      k.reason = r.str("reason");
      m = std::move(k);
      break;
    }
    case 7: {
      said s;
      s.node = node;
      s.room = r.name("room");
      s.status = r.status("status");
      s.t = get_text(r);
      m = std::move(s);
      break;
    }
    case 8: {
      told t;
      t.node = node;
      t.target = r.name("target");
      t.t = get_text(r);
      m = std::move(t);
      break;
    }
    case 9: {
      topic_set t;
      t.node = node;
      t.room = r.name("room");
      t.by = r.name("by");
      t.topic = r.str("topic");
      t.at = r.number("at");
      m = std::move(t);
      break;
    }
    case 10: {
      modes_set s;
      s.node = node;
      s.room = r.name("room");
      s.by = r.name("by");
      s.changes = r.name("changes");
      while (r.error().empty() && r.left() > 0) s.args.push_back(r.str("arg"));
      m = std::move(s);
      break;
    }
    default:
      m = node_gone{node, r.name("by")};
      break;
  }
  if (r.error().empty() && r.left() > 0) r.fail("fields", "left over");
  if (!r.error().empty()) return tl::make_unexpected(r.error());
  return m;
}

}  // namespace protocol::cluster
