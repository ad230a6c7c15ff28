// The cluster's wire format: netstring frames at their limits, the typed
// messages' round-trip law, and frames a buggy or older node could send.
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/cluster_frame.hpp"
#include "protocol/cluster_message.hpp"

namespace cluster = protocol::cluster;
using cluster::frame_error;

namespace {

cluster::text sample_text() {
  cluster::text t;
  t.kind = cluster::text_kind::action;
  t.msgid = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
  t.at_ms = 1'700'000'000'123;
  t.from = "alice";
  t.source = "alice!~a@127.0.0.1";
  t.account = "alice";
  t.bot = true;
  t.body = std::string("waves, with a comma: 3:x, and \0 NUL\r\n", 37);
  t.tags = {{"+draft/reply", "abc"}, {"+example.com/empty", ""}};
  return t;
}

std::vector<cluster::message> samples() {
  cluster::user_on u;
  u.node = "node-a";
  u.nick = "alice";
  u.user = "~a";
  u.host = "127.0.0.1";
  u.realname = "Alice Liddell";
  u.account = "alice";
  u.away = "lunch";
  u.bot = false;
  u.oper = true;
  u.secure = true;
  u.signon = 1'700'000'000;
  cluster::said s{"node-a", "#lobby", '@', sample_text()};
  cluster::told t{"node-b", "bob", sample_text()};
  t.t.tags.clear();
  return {cluster::hello{"node-a", 18'446'744'073'709'551'615ULL},
          u,
          cluster::user_off{"node-a", "alice", ""},
          cluster::nick_change{"node-a", "alice", "Alice"},
          cluster::joined{"node-a", "#lobby", "alice", true},
          cluster::parted{"node-a", "#lobby", "alice", "bye"},
          cluster::kicked{"node-a", "#lobby", "alice", "bob", ""},
          s,
          t,
          cluster::topic_set{"node-a", "#lobby", "alice!~a@127.0.0.1", "", 0},
          cluster::modes_set{"node-a", "#lobby", "alice", "+ok-v", {"bob", "secret", "carol"}},
          cluster::node_gone{"node-c", "node-a"}};
}

}  // namespace

TEST_CASE("cluster frames round-trip any bytes with the version in front") {
  const std::string nul("\0x", 2);
  const std::vector<std::string_view> fields{"say", "", nul, "1:a,", std::string_view("\r\n")};
  const auto bytes = cluster::encode_frame(fields);
  CHECK(bytes.starts_with("1:1,3:say,0:,2:"));
  const auto back = cluster::decode_frame(bytes);
  REQUIRE(back.has_value());
  REQUIRE(back->size() == fields.size() + 1);
  CHECK((*back)[0] == cluster::kFrameVersion);
  for (std::size_t i = 0; i < fields.size(); ++i) CHECK((*back)[i + 1] == fields[i]);
}

TEST_CASE("cluster frames name what is wrong with a broken one") {
  const auto error_of = [](std::string_view bytes) {
    const auto r = cluster::decode_frame(bytes);
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  CHECK(error_of("") == frame_error::wrong_version);
  CHECK(error_of("1:2,3:say,") == frame_error::wrong_version);
  CHECK(error_of("1:1,") == frame_error::no_type);
  CHECK(error_of("1:1,3:sa") == frame_error::truncated);
  CHECK(error_of("1:1,3:say") == frame_error::no_comma);
  CHECK(error_of("1:1,3:say;") == frame_error::no_comma);
  CHECK(error_of("1:1,x:say,") == frame_error::bad_length);
  CHECK(error_of("1:1,:say,") == frame_error::bad_length);
  CHECK(error_of("1:1,-3:say,") == frame_error::bad_length);
  CHECK(error_of("1:1,3say,") == frame_error::bad_length);
  CHECK(error_of("1:1,9999999:x,") == frame_error::bad_length);
  CHECK(error_of("1:1,999999:x,") == frame_error::truncated);
  CHECK_FALSE(cluster::describe(frame_error::truncated).empty());
}

TEST_CASE("cluster frames at their size and field limits") {
  // The largest frame passes; one byte more is refused before it is read.
  const std::string head = "1:1,3:say,";
  std::string body(cluster::kMaxFrameBytes - head.size() - 8, 'x');
  std::string frame = head + std::to_string(body.size()) + ":" + body + ",";
  REQUIRE(frame.size() <= cluster::kMaxFrameBytes);
  while (frame.size() < cluster::kMaxFrameBytes) {
    body += 'x';
    frame = head + std::to_string(body.size()) + ":" + body + ",";
  }
  CHECK(frame.size() == cluster::kMaxFrameBytes);
  CHECK(cluster::decode_frame(frame).has_value());
  body += 'x';
  frame = head + std::to_string(body.size()) + ":" + body + ",";
  const auto big = cluster::decode_frame(frame);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error() == frame_error::too_large);

  // kMaxFrameFields fields pass (the version is one); one more is refused.
  std::string many = "1:1,3:say,";
  for (std::size_t i = 2; i < cluster::kMaxFrameFields; ++i) many += "0:,";
  const auto at_limit = cluster::decode_frame(many);
  REQUIRE(at_limit.has_value());
  CHECK(at_limit->size() == cluster::kMaxFrameFields);
  const auto over = cluster::decode_frame(many + "0:,");
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error() == frame_error::too_many_fields);
}

TEST_CASE("every cluster message round-trips through its frame") {
  for (const auto& m : samples()) {
    const auto frame = cluster::encode_message(m);
    INFO(frame);
    const auto back = cluster::decode_message(frame);
    REQUIRE(back.has_value());
    CHECK(*back == m);
    CHECK(cluster::node_of(*back) == cluster::node_of(m));
  }
}

TEST_CASE("cluster messages from a buggy or older node are refused with a reason") {
  const auto error_of = [](const std::vector<std::string_view>& fields) {
    const auto r = cluster::decode_message(cluster::encode_frame(fields));
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  CHECK(error_of({"shout", "node-a"}) == "unknown message type");
  CHECK(error_of({"hello"}) == "hello: node missing");
  CHECK(error_of({"hello", "", "1"}) == "hello: node empty");
  CHECK(error_of({"hello", "node-a", "-1"}) == "hello: epoch not a number");
  CHECK(error_of({"hello", "node-a", "1", "extra"}) == "hello: fields left over");
  CHECK(error_of({"join", "node-a", "#r", "alice", "yes"}) == "join: op not 0 or 1");
  CHECK(error_of({"say", "node-a", "#r", "!", "0", "id", "1", "a", "a!u@h", "", "0", "hi"}) ==
        "say: status not @, + or empty");
  CHECK(error_of({"say", "node-a", "#r", "", "7", "id", "1", "a", "a!u@h", "", "0", "hi"}) ==
        "say: kind out of range");
  CHECK(error_of({"say", "node-a", "#r", "", "0", "id", "1", "a", "a!u@h", "", "0", "hi", "+k"}) ==
        "say: tags not in pairs");
  CHECK(error_of({"say", "node-a", "#r", "", "0", "id", "x", "a", "a!u@h", "", "0", "hi"}) ==
        "say: time not a number");
  CHECK(error_of({"user", "node-a", "alice"}) == "user: user missing");
  // Not a frame at all: the frame's own error.
  const auto junk = cluster::decode_message("hello world");
  REQUIRE_FALSE(junk.has_value());
  CHECK(junk.error() == cluster::describe(frame_error::bad_length));
  // Another version's frame.
  const auto other = cluster::decode_message("1:2,5:hello,1:a,1:1,");
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error() == cluster::describe(frame_error::wrong_version));
}
