// redis::subscriber against a real redis-server, with messages published
// by a redis::client: delivery, patterns, many channels, and resubscribing
// after the server restarts.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "redis/client.hpp"
#include "redis/subscriber.hpp"
#include "support.hpp"
#include "support/redis_server.hpp"

using redis::state;
using namespace redis_test;

namespace {

using message = std::pair<std::string, std::string>;  // channel, payload

struct fixture {
  explicit fixture(const std::string& url)
      : sub(redis::subscriber::create(io.io(), endpoint_of(url), fast_options())),
        pub(redis::client::create(io.io(), endpoint_of(url), fast_options())) {
    sub->on_state([this](state s) { states.push(s); });
    sub->on_message([this](std::string_view ch, std::string_view payload) {
      messages.push({std::string(ch), std::string(payload)});
    });
    pub->on_state([this](state s) { pub_states.push(s); });
  }
  ~fixture() {
    sub->stop();
    pub->stop();
    drain(*sub);
    drain(*pub);
  }
  void start() {
    sub->start();
    pub->start();
  }
  // PUBLISH; the number of subscribers that got it, or -1 on failure.
  long long publish(const std::string& channel, const std::string& payload) {
    auto r = io.run(pub->command({"PUBLISH", channel, payload}));
    return r.has_value() && r->is_integer() ? r->integer : -1;
  }

  io_thread io;
  recorder<state> states;
  recorder<state> pub_states;
  recorder<message> messages;
  std::shared_ptr<redis::subscriber> sub;
  std::shared_ptr<redis::client> pub;
};

}  // namespace

TEST_CASE("subscriber gets a message published by the client", "[subscriber]") {
  test::redis_server server;
  fixture f(server.url());
  f.sub->subscribe("news");
  f.start();
  REQUIRE(f.states.wait_for(state::up));
  REQUIRE(f.pub_states.wait_for(state::up));
  // Up means subscribed: the first PUBLISH reaches it.
  CHECK(f.publish("news", std::string("hello\0\r\nworld", 13)) == 1);
  CHECK(f.publish("other", "not for us") == 0);
  REQUIRE(f.messages.wait_for({"news", std::string("hello\0\r\nworld", 13)}));
  CHECK(f.messages.size() == 1);
}

TEST_CASE("subscriber subscribes while up and unsubscribes", "[subscriber]") {
  test::redis_server server;
  fixture f(server.url());
  f.start();
  REQUIRE(f.states.wait_for(state::up));  // nothing to subscribe: up at once
  REQUIRE(f.pub_states.wait_for(state::up));
  f.sub->subscribe("late");
  REQUIRE(eventually([&] { return f.publish("late", "one") == 1; }));
  REQUIRE(f.messages.wait_for({"late", "one"}));
  f.sub->unsubscribe("late");
  REQUIRE(eventually([&] { return f.publish("late", "two") == 0; }));
  CHECK(f.states.size() == 1);
}

TEST_CASE("subscriber pattern subscription reports the channel", "[subscriber]") {
  test::redis_server server;
  fixture f(server.url());
  f.sub->psubscribe("room.*");
  f.start();
  REQUIRE(f.states.wait_for(state::up));
  REQUIRE(f.pub_states.wait_for(state::up));
  CHECK(f.publish("room.lobby", "hi") == 1);
  CHECK(f.publish("hall.lobby", "no") == 0);
  REQUIRE(f.messages.wait_for({"room.lobby", "hi"}));
}

TEST_CASE("subscriber many channels", "[subscriber]") {
  test::redis_server server;
  fixture f(server.url());
  constexpr int kChannels = 500;
  for (int i = 0; i < kChannels; ++i) f.sub->subscribe("ch" + std::to_string(i));
  f.start();
  REQUIRE(f.states.wait_for(state::up));
  REQUIRE(f.pub_states.wait_for(state::up));
  for (int i = 0; i < kChannels; ++i) REQUIRE(f.publish("ch" + std::to_string(i), std::to_string(i)) == 1);
  REQUIRE(f.messages.wait([](const auto& m) { return m.size() == kChannels; }));
  auto got = f.messages.snapshot();
  for (int i = 0; i < kChannels; ++i) {
    REQUIRE(got[static_cast<std::size_t>(i)] == message{"ch" + std::to_string(i), std::to_string(i)});
  }
}

TEST_CASE("subscriber resubscribes after a redis restart", "[subscriber]") {
  test::redis_server server;
  fixture f(server.url());
  f.sub->subscribe("a");
  f.sub->psubscribe("p.*");
  f.start();
  REQUIRE(f.states.wait_for(state::up));
  f.sub->subscribe("b");  // remembered too, though added while up
  REQUIRE(f.pub_states.wait_for(state::up));
  REQUIRE(eventually([&] { return f.publish("b", "before") == 1; }));

  server.kill();
  REQUIRE(f.states.wait_for(state::down));
  const auto seen = f.states.size();
  server.restart();
  REQUIRE(f.states.wait_for(state::up, seen));
  // Up again means all three are subscribed again; the client may still be reconnecting.
  REQUIRE(eventually([&] { return f.pub->is_up(); }));
  CHECK(f.publish("a", "1") == 1);
  CHECK(f.publish("b", "2") == 1);
  CHECK(f.publish("p.x", "3") == 1);
  REQUIRE(f.messages.wait_for({"p.x", "3"}));
  CHECK(f.messages.wait_for({"a", "1"}));
  CHECK(f.messages.wait_for({"b", "2"}));
}

TEST_CASE("subscriber health check keeps an idle subscription up", "[subscriber]") {
  test::redis_server server;
  auto o = fast_options();
  o.health_interval = 50ms;
  io_thread io;
  recorder<state> states;
  auto sub = redis::subscriber::create(io.io(), endpoint_of(server.url()), o);
  sub->on_state([&](state s) { states.push(s); });
  sub->subscribe("quiet");
  sub->start();
  REQUIRE(states.wait_for(state::up));
  CHECK_FALSE(states.wait_for(state::down, 0, 1000ms));
  sub->stop();
  drain(*sub);
}

TEST_CASE("subscriber says when a subscription is active", "[subscriber]") {
  test::redis_server server;
  fixture f(server.url());
  recorder<std::string> active;
  f.sub->subscribe("early", [&] { active.push("early"); });
  f.start();
  REQUIRE(active.wait_for("early"));
  REQUIRE(f.pub_states.wait_for(state::up));
  CHECK(f.publish("early", "e") == 1);
  // While up: active once redis confirmed it, so the first PUBLISH reaches it.
  f.sub->subscribe("late", [&] { active.push("late"); });
  f.sub->psubscribe("pat.*", [&] { active.push("pat.*"); });
  REQUIRE(active.wait_for("late"));
  REQUIRE(active.wait_for("pat.*"));
  CHECK(f.publish("late", "l") == 1);
  CHECK(f.publish("pat.x", "p") == 1);
  // Already active: at once.
  f.sub->subscribe("late", [&] { active.push("late again"); });
  REQUIRE(active.wait_for("late again"));
  REQUIRE(f.messages.wait([](const auto& m) { return m.size() == 3; }));
}
