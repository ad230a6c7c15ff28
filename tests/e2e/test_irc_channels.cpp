// Channel operators and modes, and a busy channel, through real sockets.
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "net/limits.hpp"
#include "support/irc_client.hpp"
#include "support/test_server.hpp"

using test::irc_client;
using test::irc_login;
using namespace std::chrono_literals;

namespace {

// op owns #ops (first member), bob is an ordinary member.
struct channel {
  explicit channel(std::uint16_t port) : op(irc_login(port, "op")), bob(irc_login(port, "bob")) {
    op.join("#ops");
    bob.join("#ops");
    REQUIRE(op.expect("JOIN #ops").value_or("").starts_with(":bob!"));
  }
  irc_client op;
  irc_client bob;
};

}  // namespace

TEST_CASE("the first member is operator and modes need one", "[irc][modes]") {
  test::test_server server;
  channel ch(server.irc_port());
  ch.op.send("MODE #ops");
  CHECK(ch.op.line() == ":chat.server 324 op #ops +nt");
  CHECK(ch.op.line()->starts_with(":chat.server 329 op #ops "));

  ch.bob.send("MODE #ops +m");
  CHECK(ch.bob.line() == ":chat.server 482 bob #ops :You're not channel operator");
  ch.bob.send("KICK #ops op");
  CHECK(ch.bob.line() == ":chat.server 482 bob #ops :You're not channel operator");

  ch.op.send("MODE #ops +v bob");
  CHECK(ch.op.line() == ":op!~op@127.0.0.1 MODE #ops +v bob");
  CHECK(ch.bob.line() == ":op!~op@127.0.0.1 MODE #ops +v bob");
  ch.op.send("MODE #ops +o bob");
  CHECK(ch.bob.line() == ":op!~op@127.0.0.1 MODE #ops +o bob");
  ch.op.send("NAMES #ops");
  CHECK(ch.op.expect(" 353 ") == ":chat.server 353 op = #ops :@op @bob");
  ch.op.send("CAP REQ multi-prefix");
  REQUIRE(ch.op.expect("ACK").has_value());
  ch.op.send("NAMES #ops");
  CHECK(ch.op.expect(" 353 ") == ":chat.server 353 op = #ops :@op @+bob");
  ch.op.send("MODE #ops +o ghost");
  CHECK(ch.op.expect(" 401 ") == ":chat.server 401 op ghost :No such nick/channel");
  ch.op.send("MODE #ops +z");
  CHECK(ch.op.expect(" 472 ") == ":chat.server 472 op z :is unknown mode char to me");
  ch.op.send("MODE #nowhere +m");
  CHECK(ch.op.expect(" 403 ").has_value());
}

TEST_CASE("+m lets only voiced members and operators speak", "[irc][modes]") {
  test::test_server server;
  channel ch(server.irc_port());
  ch.op.send("MODE #ops +m");
  REQUIRE(ch.op.expect("MODE #ops +m").has_value());
  REQUIRE(ch.bob.expect("MODE #ops +m").has_value());
  ch.bob.send("PRIVMSG #ops :can I talk");
  CHECK(ch.bob.line() == ":chat.server 404 bob #ops :Cannot send to channel");
  CHECK(ch.op.silent_for());
  ch.op.send("MODE #ops +v bob");
  REQUIRE(ch.bob.expect("+v bob").has_value());
  ch.bob.send("PRIVMSG #ops :now I can");
  CHECK(ch.op.expect("PRIVMSG") == ":bob!~bob@127.0.0.1 PRIVMSG #ops :now I can");
}

TEST_CASE("+i +k +l +b refuse joins with 473 475 471 474", "[irc][modes]") {
  test::test_server server;
  channel ch(server.irc_port());
  auto carol = irc_login(server.irc_port(), "carol");

  ch.op.send("MODE #ops +i");
  REQUIRE(ch.op.expect("MODE #ops +i").has_value());
  REQUIRE(ch.bob.expect("MODE #ops +i").has_value());
  carol.send("JOIN #ops");
  CHECK(carol.line() == ":chat.server 473 carol #ops :Cannot join channel (+i)");
  ch.bob.send("INVITE carol #ops");  // on +i only operators invite
  CHECK(ch.bob.line() == ":chat.server 482 bob #ops :You're not channel operator");
  ch.op.send("INVITE bob #ops");
  CHECK(ch.op.line() == ":chat.server 443 op bob #ops :is already on channel");
  ch.op.send("INVITE carol #ops");
  CHECK(ch.op.line() == ":chat.server 341 op carol #ops");
  CHECK(carol.line() == ":op!~op@127.0.0.1 INVITE carol #ops");
  carol.send("JOIN #ops");
  CHECK(carol.expect("JOIN #ops").has_value());
  carol.send("PART #ops");
  REQUIRE(carol.expect("PART").has_value());
  ch.op.send("MODE #ops -i+k key");
  REQUIRE(ch.op.expect("MODE #ops -i+k key").has_value());

  carol.send("JOIN #ops wrong");
  CHECK(carol.line() == ":chat.server 475 carol #ops :Cannot join channel (+k)");
  ch.bob.send("MODE #ops");
  CHECK(ch.bob.expect(" 324 ") ==
        ":chat.server 324 bob #ops +knt *");  // the key is hidden from non-operators
  ch.op.send("MODE #ops -k+l key 2");
  REQUIRE(ch.op.expect("MODE #ops -k+l * 2").has_value());
  carol.send("JOIN #ops");
  CHECK(carol.line() == ":chat.server 471 carol #ops :Cannot join channel (+l)");
  ch.op.send("MODE #ops -l+b");
  REQUIRE(ch.op.expect("MODE #ops -l").has_value());
  ch.op.send("MODE #ops +b carol!*@*");
  REQUIRE(ch.op.expect("MODE #ops +b carol!*@*").has_value());
  carol.send("JOIN #ops");
  CHECK(carol.line() == ":chat.server 474 carol #ops :Cannot join channel (+b)");
  ch.bob.send("MODE #ops +b");
  CHECK(ch.bob.expect(" 367 ") == ":chat.server 367 bob #ops carol!*@*");
  CHECK(ch.bob.line() == ":chat.server 368 bob #ops :End of channel ban list");
}

TEST_CASE("KICK removes a member - with reason - and 441 for strangers", "[irc][modes]") {
  test::test_server server;
  channel ch(server.irc_port());
  ch.op.send("KICK #ops bob :behave");
  CHECK(ch.op.line() == ":op!~op@127.0.0.1 KICK #ops bob :behave");
  CHECK(ch.bob.line() == ":op!~op@127.0.0.1 KICK #ops bob :behave");
  ch.bob.send("PRIVMSG #ops :let me back");
  CHECK(ch.bob.line() == ":chat.server 404 bob #ops :Cannot send to channel");
  ch.op.send("KICK #ops bob");
  CHECK(ch.op.line() == ":chat.server 441 op bob #ops :They aren't on that channel");
  ch.bob.send("KICK #ops op");
  CHECK(ch.bob.line() == ":chat.server 442 bob #ops :You're not on that channel");
}

TEST_CASE("an empty channel closes and can be made again", "[irc][channels]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  alice.join("#temp");
  alice.send("TOPIC #temp :old topic");
  REQUIRE(alice.expect("TOPIC").has_value());
  alice.send("PART #temp");
  REQUIRE(alice.expect("PART").has_value());
  alice.send("TOPIC #temp");
  CHECK(alice.line() == ":chat.server 403 alice #temp :No such channel");
  alice.join("#temp");
  alice.send("TOPIC #temp");
  CHECK(alice.line() == ":chat.server 331 alice #temp :No topic is set");
}

TEST_CASE("a JOIN right behind a PART joins again as a client cycling the channel sends them",
          "[irc][channels]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  bob.join("#cycle");
  alice.join("#cycle");
  REQUIRE(bob.expect("JOIN #cycle").has_value());

  // In one write: the JOIN reaches the door before the PART's answer.
  alice.send_raw("PART #cycle :brb\r\nJOIN #cycle\r\n");
  CHECK(alice.expect("PART #cycle") == ":alice!~alice@127.0.0.1 PART #cycle :brb");
  CHECK(alice.expect("JOIN #cycle") == ":alice!~alice@127.0.0.1 JOIN #cycle");
  CHECK(alice.expect(" 366 ").has_value());
  CHECK(bob.expect("PART #cycle").has_value());
  CHECK(bob.expect("JOIN #cycle") == ":alice!~alice@127.0.0.1 JOIN #cycle");
  bob.send("NAMES #cycle");
  CHECK(bob.expect(" 353 ") == ":chat.server 353 bob = #cycle :@bob alice");

  // Alone: the PART closes the room, and the JOIN makes it again, with
  // alice its operator.
  alice.send_raw("JOIN #solo\r\n");
  REQUIRE(alice.expect("366 alice #solo").has_value());
  alice.send_raw("PART #solo\r\nJOIN #solo\r\nNAMES #solo\r\n");
  CHECK(alice.expect("PART #solo").has_value());
  CHECK(alice.expect("JOIN #solo") == ":alice!~alice@127.0.0.1 JOIN #solo");
  CHECK(alice.expect(" 353 ") == ":chat.server 353 alice = #solo :@alice");
  // The PART was not taken for another PART: alice is in both rooms.
  alice.send("WHOIS alice");
  const auto channels = alice.expect(" 319 ");
  REQUIRE(channels.has_value());
  CHECK(channels->find("#cycle") != std::string::npos);
  CHECK(channels->find("#solo") != std::string::npos);
}

TEST_CASE("100 clients in one channel on several threads: no loss - no duplicate - per-sender order",
          "[irc][load]") {
  test::test_server server(test::test_config(4));
  constexpr int kClients = 100;
  constexpr int kMessages = 30;
  std::vector<std::optional<irc_client>> clients(kClients);
  for (int i = 0; i < kClients; ++i) {
    auto& c = clients[static_cast<std::size_t>(i)];
    c.emplace(irc_login(server.irc_port(), "u" + std::to_string(i)));
    c->send("JOIN #busy");
    REQUIRE(c->expect(" 366 ").has_value());
  }
  // Everyone has seen every later join: count them off so that what follows
  // is only the test traffic.
  for (int i = 0; i < kClients; ++i) {
    for (int j = i + 1; j < kClients; ++j) {
      REQUIRE(clients[static_cast<std::size_t>(i)]->expect(" JOIN #busy").has_value());
    }
  }

  struct tally {
    int received = 0;
    int out_of_order = 0;
    bool timed_out = false;
  };
  std::vector<tally> tallies(kClients);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto& c = *clients[static_cast<std::size_t>(i)];
      auto& t = tallies[static_cast<std::size_t>(i)];
      ++ready;
      while (ready.load() < kClients) std::this_thread::yield();
      for (int m = 0; m < kMessages; ++m) c.send("PRIVMSG #busy :" + std::to_string(m));
      std::map<std::string, int> next;
      while (t.received < (kClients - 1) * kMessages) {
        auto l = c.line();
        if (!l) {
          t.timed_out = true;
          break;
        }
        if (l->starts_with("PING")) continue;
        const auto bang = l->find('!');
        const auto colon = l->find(" :");
        const auto sender = l->substr(1, bang - 1);
        const int seq = std::stoi(l->substr(colon + 2));
        if (seq != next[sender]) ++t.out_of_order;
        next[sender] = seq + 1;
        ++t.received;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    INFO("client u" << i);
    const auto& t = tallies[static_cast<std::size_t>(i)];
    CHECK(t.received == (kClients - 1) * kMessages);
    CHECK(t.out_of_order == 0);
    CHECK_FALSE(t.timed_out);
    CHECK(clients[static_cast<std::size_t>(i)]->silent_for(10ms));
  }
}

TEST_CASE("other users' comings and goings may wait, but never behind what follows them", "[irc][channels]") {
  test::test_server server;
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  alice.join("#wait");
  // bob's JOIN may wait for alice (kDeferredFlushDelay); his message may
  // not, and must not overtake it.
  bob.send("JOIN #wait");
  bob.send("PRIVMSG #wait :right behind my join");
  const auto join = alice.expect("bob!");
  const auto said = alice.expect("bob!");
  CHECK(join == ":bob!~bob@127.0.0.1 JOIN #wait");
  CHECK(said == ":bob!~bob@127.0.0.1 PRIVMSG #wait :right behind my join");

  // Alone, a waiting JOIN, PART, NICK or QUIT still arrives, once.
  auto carol = irc_login(server.irc_port(), "carol");
  carol.join("#wait");
  CHECK(alice.expect("carol!") == ":carol!~carol@127.0.0.1 JOIN #wait");
  carol.send("NICK caroline");
  CHECK(alice.expect("carol!") == ":carol!~carol@127.0.0.1 NICK :caroline");
  carol.send("PART #wait :bye");
  CHECK(alice.expect("caroline!") == ":caroline!~carol@127.0.0.1 PART #wait :bye");
  bob.send("QUIT :later");
  CHECK(alice.expect("bob!") == ":bob!~bob@127.0.0.1 QUIT :Quit: later");
  CHECK(alice.silent_for());
}

TEST_CASE("a burst read at once reaches every member in one write", "[irc][channels]") {
  // One event-loop thread: the room fans out inside the sender's read, and
  // each member's writer runs once that read is done (kWakeChunk writers per
  // handler), so the whole burst goes out in one write per member.
  test::test_server server(test::test_config(1));
  auto alice = irc_login(server.irc_port(), "alice");
  auto carol = irc_login(server.irc_port(), "carol");
  auto bob = irc_login(server.irc_port(), "bob");
  alice.join("#burst");
  carol.join("#burst");
  bob.join("#burst");
  REQUIRE(alice.expect("bob!").has_value());
  REQUIRE(carol.expect("bob!").has_value());
  REQUIRE(alice.silent_for());
  REQUIRE(carol.silent_for());
  REQUIRE(alice.buffered().empty());
  REQUIRE(carol.buffered().empty());

  constexpr int kLines = 8;
  std::string burst;
  std::string expected;
  for (int i = 0; i < kLines; ++i) {
    burst += "PRIVMSG #burst :line " + std::to_string(i) + "\r\n";
    expected += ":bob!~bob@127.0.0.1 PRIVMSG #burst :line " + std::to_string(i) + "\r\n";
  }
  bob.send_raw(burst);
  for (auto* member : {&alice, &carol}) {
    // One recv() takes all of one write (a loopback segment arrives whole).
    pollfd p{member->fd(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, static_cast<int>(test::kWait.count())) == 1);
    std::string got(4096, '\0');
    const auto n = ::recv(member->fd(), got.data(), got.size(), 0);
    REQUIRE(n > 0);
    got.resize(static_cast<std::size_t>(n));
    CHECK(got == expected);
  }
}

TEST_CASE("a broadcast reaches members past each chunk of woken writers", "[irc][channels]") {
  // kWakeChunk writers run per handler; the rest go out in further handlers.
  // 2 * kWakeChunk + 1 receivers cross both chunk edges.
  test::test_server server(test::test_config(1));
  constexpr std::size_t kReceivers = 2 * net::kWakeChunk + 1;
  std::vector<irc_client> members;
  members.reserve(kReceivers);
  for (std::size_t i = 0; i < kReceivers; ++i) {
    members.push_back(irc_login(server.irc_port(), "m" + std::to_string(i)));
    members.back().join("#wide");
  }
  auto sender = irc_login(server.irc_port(), "sender");
  sender.join("#wide");
  sender.send("PRIVMSG #wide :to everyone");
  for (auto& m : members) {
    CHECK(m.expect("PRIVMSG").value_or("") == ":sender!~sender@127.0.0.1 PRIVMSG #wide :to everyone");
  }
}

TEST_CASE("a burst past a writer's synchronous rounds arrives whole and in order",
          "[irc][messages][limits]") {
  // flush() writes kMaxWriteRounds batches of kMaxWriteBatch at most, then
  // yields the strand and resumes later. With one thread and one read, a
  // burst of exactly that many private messages fills the rounds; one more
  // crosses into the resumed flush.
  test::test_server server(test::test_config(1));
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  constexpr std::size_t kRounds = net::kMaxWriteRounds * net::kMaxWriteBatch;
  for (const std::size_t lines : {kRounds - 1, kRounds, kRounds + 1, 2 * kRounds + 1}) {
    INFO(lines << " lines in one send");
    std::string burst;
    for (std::size_t i = 0; i < lines; ++i) burst += "PRIVMSG alice :n" + std::to_string(i) + "\r\n";
    bob.send_raw(burst);
    for (std::size_t i = 0; i < lines; ++i) {
      const auto got = alice.line();
      REQUIRE(got.has_value());
      REQUIRE(*got == ":bob!~bob@127.0.0.1 PRIVMSG alice :n" + std::to_string(i));
    }
    CHECK(alice.silent_for(20ms));
  }
}

TEST_CASE("input larger than one read's scratch buffer is framed across reads", "[irc][messages][limits]") {
  // A read takes at most kReadScratch bytes; a line cut at that boundary is
  // kept and completed by the next read. Lines of 50 bytes put one across
  // each multiple of kReadScratch (65,536 is not a multiple of 50).
  test::test_server server(test::test_config(1));
  auto alice = irc_login(server.irc_port(), "alice");
  auto bob = irc_login(server.irc_port(), "bob");
  constexpr std::size_t kLineBytes = 50;
  static_assert(net::kReadScratch % kLineBytes != 0);
  const std::size_t lines = 2 * net::kReadScratch / kLineBytes + 1;
  auto text = [](std::size_t i) {
    std::string t = std::to_string(i);
    t.resize(kLineBytes - std::string_view("PRIVMSG alice :\r\n").size(), '.');
    return t;
  };
  std::string burst;
  for (std::size_t i = 0; i < lines; ++i) burst += "PRIVMSG alice :" + text(i) + "\r\n";
  REQUIRE(burst.size() == lines * kLineBytes);
  REQUIRE(burst.size() > 2 * net::kReadScratch);
  bob.send_raw(burst);
  for (std::size_t i = 0; i < lines; ++i) {
    const auto got = alice.line();
    REQUIRE(got.has_value());
    REQUIRE(*got == ":bob!~bob@127.0.0.1 PRIVMSG alice :" + text(i));
  }
  CHECK(alice.silent_for(20ms));
}
