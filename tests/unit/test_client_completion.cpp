// Tab completion: the candidates (pure), and the nicks and rooms the IRC
// machine keeps for it from JOIN, PART, KICK, QUIT, NICK and NAMES.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/completion.hpp"
#include "core/irc_machine.hpp"
#include "core/text.hpp"

using client::complete;
using client::completion_sources;
using strings = std::vector<std::string>;

TEST_CASE("completion: commands, rooms and nicks by where the word is", "[client][completion]") {
  const completion_sources from{{"alice", "Albert", "bob"}, {"#lobby", "#rust", "#Rustaceans"}};
  CHECK(complete("/wh", 0, "/wh", from) == strings{"/who ", "/whois "});
  CHECK(complete("!jo", 0, "!jo", from) == strings{"!join "});
  CHECK(complete("  /qu", 2, "/qu", from) == strings{"/query ", "/quit ", "/quote "});
  // Not the first word: a slash is just text, completed as a nick (none).
  CHECK(complete("see /wh", 4, "/wh", from).empty());
  CHECK(complete("#ru", 0, "#ru", from) == strings{"#Rustaceans ", "#rust "});
  CHECK(complete("/join #l", 6, "#l", from) == strings{"#lobby "});
  // A nick first addresses someone; later it is a word in the sentence.
  CHECK(complete("al", 0, "al", from) == strings{"Albert: ", "alice: "});
  CHECK(complete("ask AL", 4, "AL", from) == strings{"Albert ", "alice "});
  CHECK(complete("/whois b", 7, "b", from) == strings{"bob "});
  CHECK(complete("zz", 0, "zz", from).empty());
  // An empty word offers every nick.
  CHECK(complete("", 0, "", from).size() == 3);
}

TEST_CASE("completion: the machine follows who is in the current room", "[client][completion]") {
  client::irc_options o;
  o.nick = "alice";
  client::irc_machine m(std::move(o), client::style(false));
  m.connected();
  m.on_line(":irc.test 001 alice :Welcome");
  m.on_line(":alice!chat@h JOIN #lobby");
  m.on_line(":irc.test 353 alice = #lobby :@alice +bob carol");
  m.on_line(":irc.test 366 alice #lobby :End of /NAMES list");
  CHECK(m.completions().nicks == strings{"bob", "carol"});  // not ourselves, no prefixes
  m.on_line(":dave!d@h JOIN #lobby");
  m.on_line(":carol!c@h PART #lobby :bye");
  m.on_line(":bob!b@h NICK :robert");
  CHECK(m.completions().nicks == strings{"robert", "dave"});
  m.on_line(":dave!d@h QUIT :gone");
  m.on_line(":alice!chat@h KICK #lobby robert :out");
  CHECK(m.completions().nicks.empty());
  // Another room: its own members; the rooms are those joined.
  m.on_line(":alice!chat@h JOIN #side");
  m.on_line(":irc.test 353 alice = #side :alice eve");
  m.on_line(":irc.test 366 alice #side :End of /NAMES list");
  CHECK(m.completions().nicks == strings{"eve"});
  CHECK(m.completions().rooms == strings{"#lobby", "#side"});
  // A query completes the one we talk with.
  m.on_input("/query zed");
  CHECK(m.completions().nicks == strings{"zed"});
}
