// The RESP2 decoder and command encoder without sockets: every reply type,
// partial input, pipelined replies, round trips, malformed and oversized input.
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "redis/resp.hpp"

using redis::decoder;
using redis::reply;

namespace {

// Every reply the bytes hold; fails the test on a decoder error.
std::vector<reply> decode_all(std::string_view bytes) {
  decoder d;
  d.feed(bytes);
  std::vector<reply> out;
  for (;;) {
    auto r = d.next();
    REQUIRE(r.has_value());
    if (!*r) break;
    out.push_back(std::move(**r));
  }
  return out;
}

}  // namespace

TEST_CASE("resp decodes each reply type", "[resp]") {
  auto r = decode_all("+OK\r\n-ERR bad\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$-1\r\n$0\r\n\r\n*-1\r\n*0\r\n");
  REQUIRE(r.size() == 9);
  CHECK(r[0] == reply::status("OK"));
  CHECK(r[0].is_ok());
  CHECK(r[1] == reply::error("ERR bad"));
  CHECK(r[1].is_error());
  CHECK(r[2] == reply::number(42));
  CHECK(r[3] == reply::number(-7));
  CHECK(r[4] == reply::string("hello"));
  CHECK(r[5].is_nil());
  CHECK(r[6] == reply::string(""));
  CHECK(r[7].is_nil());
  CHECK(r[8] == reply::array({}));
}

TEST_CASE("resp decodes nested arrays", "[resp]") {
  auto r = decode_all("*3\r\n:1\r\n*2\r\n$1\r\na\r\n*1\r\n+x\r\n$-1\r\n");
  REQUIRE(r.size() == 1);
  CHECK(r[0] ==
        reply::array({reply::number(1),
                      reply::array({reply::string("a"), reply::array({reply::status("x")})}), reply::nil()}));
}

TEST_CASE("resp keeps incomplete input apart from invalid input", "[resp]") {
  const std::string wire = "*2\r\n$5\r\nhel\0o\r\n:9\r\n+after\r\n";
  const std::string bytes(wire.data(), wire.size());
  // Byte by byte: nothing until the last byte of each reply.
  decoder d;
  std::vector<reply> got;
  for (char c : std::string("*2\r\n$5\r\nhel") + std::string(1, '\0') + "o\r\n:9\r\n+after\r\n") {
    d.feed(std::string_view(&c, 1));
    for (;;) {
      auto r = d.next();
      REQUIRE(r.has_value());
      if (!*r) break;
      got.push_back(std::move(**r));
    }
  }
  REQUIRE(got.size() == 2);
  CHECK(got[0] == reply::array({reply::string(std::string("hel\0o", 5)), reply::number(9)}));
  CHECK(got[1] == reply::status("after"));
}

TEST_CASE("resp reports malformed input as an error that stays", "[resp]") {
  for (std::string_view bad : {"?what\r\n", ":12x\r\n", "$abc\r\n", "*1\r\n!oops\r\n"}) {
    decoder d;
    d.feed(bad);
    auto r = d.next();
    INFO(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == redis::resp_errc::protocol);
    CHECK_FALSE(r.error().message.empty());
    d.feed("+OK\r\n");
    CHECK_FALSE(d.next().has_value());
  }
}

TEST_CASE("resp refuses a reply larger than its bound", "[resp]") {
  decoder d(1024);
  d.feed("$5000\r\n");
  auto first = d.next();
  REQUIRE(first.has_value());
  CHECK_FALSE(first->has_value());
  d.feed(std::string(2000, 'x'));
  auto r = d.next();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == redis::resp_errc::too_large);
}

TEST_CASE("resp refuses a whole reply larger than its bound", "[resp]") {
  decoder d(1024);
  d.feed("$2000\r\n" + std::string(2000, 'x') + "\r\n");
  auto r = d.next();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == redis::resp_errc::too_large);
  CHECK_THAT(r.error().message, Catch::Contains("1024 bytes"));
}

TEST_CASE("resp bounds a reply and not the replies before it", "[resp]") {
  decoder d(64);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "+OK\r\n";
  d.feed(many);
  int n = 0;
  for (;;) {
    auto r = d.next();
    REQUIRE(r.has_value());
    if (!*r) break;
    ++n;
  }
  CHECK(n == 100);
}

TEST_CASE("resp refuses an array header past kMaxElements", "[resp]") {
  decoder d;
  d.feed("*" + std::to_string(redis::kMaxElements + 1) + "\r\n");
  auto r = d.next();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == redis::resp_errc::too_large);
}

TEST_CASE("resp encodes commands binary-safe", "[resp]") {
  const std::string_view args[] = {"SET", "k", std::string_view("a\0\r\nb", 5)};
  CHECK(redis::encode_command(args) == std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0\r\nb\r\n", 31));
  const std::string empty_arg[] = {"GET", ""};
  CHECK(redis::encode_command(empty_arg) == "*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
}

TEST_CASE("resp round trip a command decodes as the array of its arguments", "[resp]") {
  std::vector<std::string> args = {"PUBLISH", "chan", std::string("\0\xff\r\n*1\r\n", 9),
                                   std::string(100000, 'z')};
  auto r = decode_all(redis::encode_command(std::span<const std::string>(args)));
  REQUIRE(r.size() == 1);
  REQUIRE(r[0].is_array());
  REQUIRE(r[0].elements.size() == args.size());
  for (std::size_t i = 0; i < args.size(); ++i) CHECK(r[0].elements[i] == reply::string(args[i]));
}
