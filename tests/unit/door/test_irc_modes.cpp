// The IRC door without sockets: channel modes +s, +e, +I and +q with their
// lists, channel keys, LIST with ELIST filters, STATUSMSG, and the
// registration details that were wrong (USER with an empty real name).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "door/irc_door.hpp"
#include "protocol/limits.hpp"
#include "support/door_harness.hpp"

using test::count_lines;
using test::door_harness;
using test::has_line;
using lines_t = std::vector<std::string>;

namespace {

struct channel {
  door_harness h;
  door_harness::client& op = h.irc_user("op");
  door_harness::client& member = h.irc_user("member");
  door_harness::client& outsider = h.irc_user("outsider");
  channel() {
    op.send("JOIN #c");
    member.send("JOIN #c");
    (void)op.lines();
    (void)member.lines();
  }
};

}  // namespace

TEST_CASE("irc door: +s hides a channel from outsiders", "[door][irc][mode][secret]") {
  channel t;
  t.op.send("MODE #c +s");
  CHECK(t.op.lines() == lines_t{":op!~op@127.0.0.1 MODE #c +s"});
  t.outsider.send("LIST");
  CHECK(!has_line(t.outsider.lines(), " #c "));
  t.member.send("LIST");
  CHECK(has_line(t.member.lines(), ":chat.server 322 member #c 2 :"));
  t.outsider.send("NAMES #c");
  CHECK(t.outsider.lines() == lines_t{":chat.server 366 outsider #c :End of /NAMES list"});
  t.member.send("NAMES #c");
  CHECK(t.member.lines()[0] == ":chat.server 353 member @ #c :@op member");  // '@': secret
  t.outsider.send("WHOIS member");
  CHECK(!has_line(t.outsider.lines(), " 319 "));
  t.outsider.send("WHO #c");
  CHECK(t.outsider.lines() == lines_t{":chat.server 315 outsider #c :End of /WHO list"});
  t.op.send("MODE #c");
  CHECK(t.op.lines()[0] == ":chat.server 324 op #c +nst");
}

TEST_CASE("irc door: +e lets a banned user in, +I past +i, +q silences", "[door][irc][mode][lists]") {
  channel t;
  t.op.send("MODE #c +b outsider!*@*");
  t.outsider.send("JOIN #c");
  CHECK(t.outsider.lines() == lines_t{":chat.server 474 outsider #c :Cannot join channel (+b)"});
  t.op.send("MODE #c +e outsider!*@*");
  t.outsider.send("JOIN #c");
  CHECK(t.outsider.lines()[0] == ":outsider!~outsider@127.0.0.1 JOIN #c");
  t.outsider.send("PART #c");
  t.op.send("MODE #c -be+i outsider!*@* outsider!*@*");
  t.outsider.send("JOIN #c");
  CHECK(t.outsider.lines().back() == ":chat.server 473 outsider #c :Cannot join channel (+i)");
  t.op.send("MODE #c +I *!*@127.0.0.1");
  t.outsider.send("JOIN #c");
  CHECK(t.outsider.lines()[0] == ":outsider!~outsider@127.0.0.1 JOIN #c");
  (void)t.op.lines();
  (void)t.member.lines();
  // Quiet: in, but silent; voice lets through.
  t.op.send("MODE #c +q member!*@*");
  (void)t.member.lines();
  t.member.send("PRIVMSG #c :can I talk?");
  CHECK(t.member.lines() == lines_t{":chat.server 404 member #c :Cannot send to channel"});
  CHECK(!has_line(t.op.lines(), "can I talk"));
  t.op.send("MODE #c +v member");
  t.member.send("PRIVMSG #c :now I can");
  CHECK(has_line(t.op.lines(), ":member!~member@127.0.0.1 PRIVMSG #c :now I can"));
  // The lists, each with its numerics.
  t.op.send("MODE #c e");
  CHECK(t.op.lines() == lines_t{":chat.server 349 op #c :End of channel exception list"});
  t.op.send("MODE #c I");
  CHECK(t.op.lines() == lines_t{":chat.server 346 op #c *!*@127.0.0.1",
                                ":chat.server 347 op #c :End of channel invite list"});
  t.op.send("MODE #c q");
  CHECK(t.op.lines() == lines_t{":chat.server 728 op #c q member!*@*",
                                ":chat.server 729 op #c q :End of channel quiet list"});
}

TEST_CASE("irc door: each mask list holds kMaxListEntries", "[door][irc][mode][lists][limits]") {
  channel t;
  for (const char list : {'b', 'e', 'I', 'q'}) {
    CAPTURE(list);
    for (std::size_t i = 0; i < protocol::kMaxListEntries; ++i) {
      t.op.send(std::string("MODE #c +") + list + " m" + std::to_string(i) + "!*@*");
    }
    (void)t.op.lines();
    t.op.send(std::string("MODE #c +") + list + " over!*@*");
    CHECK(t.op.lines() ==
          lines_t{":chat.server 478 op #c " + std::string(1, list) + " :Channel list is full"});
  }
}

TEST_CASE("irc door: a key a client could not send back is refused with 525", "[door][irc][mode][key]") {
  channel t;
  t.op.send("MODE #c +k :two words");
  t.op.send("MODE #c +k :   ");
  t.op.send("MODE #c +k a,b");
  t.op.send("MODE #c +k " + std::string(door::kMaxKeyLength + 1, 'k'));
  CHECK(t.op.lines() == lines_t(4, ":chat.server 525 op #c :Key is not well-formed"));
  t.op.send("MODE #c +k " + std::string(door::kMaxKeyLength, 'k'));  // at the limit: fine
  CHECK(t.op.lines() == lines_t{":op!~op@127.0.0.1 MODE #c +k " + std::string(door::kMaxKeyLength, 'k')});
}

TEST_CASE("irc door: LIST with ELIST filters", "[door][irc][list]") {
  door_harness h;
  auto& a = h.irc_user("a");
  auto& b = h.irc_user("b");
  auto& c = h.irc_user("c");
  a.send("JOIN #one,#two,#three");
  b.send("JOIN #two,#three");
  c.send("JOIN #three");
  a.send("TOPIC #two :set");
  (void)a.lines();
  auto listed = [&](const std::string& args) {
    a.send("LIST " + args);
    std::vector<std::string> names;
    for (const auto& l : a.lines()) {
      if (l.find(" 322 ") == std::string::npos) continue;
      const auto at = l.find(" #");
      names.push_back(l.substr(at + 1, l.find(' ', at + 1) - at - 1));
    }
    return names;
  };
  CHECK(listed(">1") == lines_t{"#three", "#two"});
  CHECK(listed("<2") == lines_t{"#one"});  // #lobby is empty: never listed
  CHECK(listed(">1,<3") == lines_t{"#two"});
  CHECK(listed("#t*") == lines_t{"#three", "#two"});
  CHECK(listed("!#t*") == lines_t{"#one"});
  CHECK(listed("C<5") == lines_t{"#one", "#three", "#two"});  // created less than 5 minutes ago
  CHECK(listed("C>5").empty());
  CHECK(listed("T<5") == lines_t{"#two"});  // topic set less than 5 minutes ago
  CHECK(listed("#ONE") == lines_t{"#one"});
}

TEST_CASE("irc door: STATUSMSG reaches operators, or operators and the voiced", "[door][irc][statusmsg]") {
  channel t;
  auto& voiced = t.h.irc_user("voiced");
  voiced.send("JOIN #c");
  t.op.send("MODE #c +v voiced");
  (void)t.op.lines();
  (void)t.member.lines();
  (void)voiced.lines();
  t.member.send("PRIVMSG @#c :ops only");
  CHECK(t.op.lines() == lines_t{":member!~member@127.0.0.1 PRIVMSG @#c :ops only"});
  CHECK(voiced.lines().empty());
  t.member.send("NOTICE +#c :ops and voiced");
  CHECK(t.op.lines() == lines_t{":member!~member@127.0.0.1 NOTICE +#c :ops and voiced"});
  CHECK(voiced.lines() == lines_t{":member!~member@127.0.0.1 NOTICE +#c :ops and voiced"});
  CHECK(t.member.lines().empty());
  t.member.send("PRIVMSG @#nowhere :x");
  CHECK(t.member.lines() == lines_t{":chat.server 403 member #nowhere :No such channel"});
}

TEST_CASE("irc door: USER with an empty real name, and user modes of others", "[door][irc][registration]") {
  door_harness h;
  auto& c = h.irc();
  c.send("NICK n");
  c.send("USER u * * :");
  CHECK(c.lines() == lines_t{":chat.server 461 n USER :Not enough parameters"});
  c.send("USER u * * :Real");
  CHECK(has_line(c.lines(), " 001 n "));
  c.send("MODE nobody +i");
  CHECK(c.lines() == lines_t{":chat.server 401 n nobody :No such nick/channel"});
}
