// Tab completion, pure: the candidates for the word under the cursor, from
// the commands, the rooms joined and the nicks of the current room. The
// terminal (GNU readline's completion interface) inserts and cycles them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace client {

struct completion_sources {
  std::vector<std::string> nicks;  // of the current room
  std::vector<std::string> rooms;  // joined
};

// The candidates for `word`, which begins at `start` in `line`, sorted:
//  - a first word starting with ! or / : command names, with the same sigil
//    and a space after ("/who" -> "/who ", "/whois ");
//  - a word starting with # or & : rooms, and a space after;
//  - any other word: nicks, as "alice: " at the start of a line (to address
//    someone) and "alice " elsewhere.
// Letter case is ignored in the match and kept from the source.
std::vector<std::string> complete(std::string_view line, std::size_t start, std::string_view word,
                                  const completion_sources& from);

}  // namespace client
