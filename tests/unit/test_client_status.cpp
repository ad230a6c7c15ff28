// The status line's text: what it says, clipped and padded to the width,
// with the places that name you highlighted; and display widths.
#include <clocale>
#include <string>

#include <catch2/catch.hpp>

#include "core/status.hpp"
#include "core/text.hpp"

using client::display_width;
using client::render_status;
using client::status;
using client::status_text;

namespace {

const status kBusy{"#rust", "alice", true, {{2, "#dev", 3, false}, {3, "bob", 1, true}}, 2, {}};

// The SGR sequences out: what the terminal shows, column by column.
std::string visible(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    out += s[i];
  }
  return out;
}

// Sets a UTF-8 LC_CTYPE for one test (wcwidth needs it), then puts it back.
struct utf8_locale {
  std::string before = std::setlocale(LC_CTYPE, nullptr);
  bool ok = std::setlocale(LC_CTYPE, "C.UTF-8") != nullptr;
  ~utf8_locale() { std::setlocale(LC_CTYPE, before.c_str()); }
};

}  // namespace

TEST_CASE("status: the text names the place, the nick, away and where unread lines wait",
          "[client][status]") {
  CHECK(status_text(kBusy) == "#rust | alice | away | 2:#dev(3) 3:bob(1!) +2");
  CHECK(status_text(status{"#rust", "alice", false, {}, 0, {}}) == "#rust | alice");
  CHECK(status_text(status{"", "alice", false, {}, 0, {}}) == "alice");
  CHECK(status_text(status{"", "alice", false, {}, 4, {}}) == "alice | +4");
}

TEST_CASE("status: the server in use follows the nick", "[client][status]") {
  auto s = kBusy;
  s.server = "b.test:6667";
  CHECK(status_text(s) == "#rust | alice | b.test:6667 | away | 2:#dev(3) 3:bob(1!) +2");
  CHECK(status_text(status{"", "alice", false, {}, 0, "[::1]:7000"}) == "alice | [::1]:7000");
}

TEST_CASE("status: the line is the width exactly, reverse video, reset at the end", "[client][status]") {
  const auto line = render_status(status{"#rust", "alice", false, {}, 0, {}}, 30, false);
  CHECK(line.starts_with("\x1b[0;7m"));
  CHECK(line.ends_with("\x1b[0m"));
  CHECK(visible(line) == " #rust | alice                ");
  CHECK(visible(line).size() == 30);
  for (const char c : line) CHECK(c != '\n');
}

TEST_CASE("status: a mention is bold, and yellow with colour", "[client][status]") {
  const auto plain = render_status(kBusy, 80, false);
  CHECK(plain.find("\x1b[1m3:bob(1!)\x1b[22m") != std::string::npos);
  CHECK(plain.find("\x1b[1m2:#dev") == std::string::npos);
  CHECK(plain.find("\x1b[3") == std::string::npos);  // no colour
  const auto coloured = render_status(kBusy, 80, true);
  CHECK(coloured.find("\x1b[1;33m3:bob(1!)\x1b[22;39m") != std::string::npos);
  CHECK(visible(coloured) == visible(plain));
}

TEST_CASE("status: too long for the width it is cut with a >", "[client][status]") {
  const auto line = visible(render_status(kBusy, 20, false));
  CHECK(line == " #rust | alice | aw>");
  CHECK(visible(render_status(kBusy, 1, false)) == " ");
  CHECK(visible(render_status(kBusy, 2, false)) == " >");
  CHECK(render_status(kBusy, 0, false) == "\x1b[0;7m\x1b[0m");
  // A cut inside a highlighted place keeps the SGR pairs whole.
  const auto cut = render_status(kBusy, 40, false);
  CHECK(visible(cut).size() == 40);
  CHECK(cut.find("\x1b[1m3:bob\x1b[22m") != std::string::npos);
}

TEST_CASE("status: widths count columns, not bytes", "[client][status]") {
  const utf8_locale utf8;
  REQUIRE(utf8.ok);
  CHECK(display_width("alice") == 5);
  CHECK(display_width("h\xc3\xa9llo") == 5);              // é: one column
  CHECK(display_width("\xe6\x97\xa5\xe6\x9c\xac") == 4);  // 日本: two each
  CHECK(display_width("e\xcc\x81") == 1);                 // e and a combining acute
  CHECK(display_width("\xff") == 1);                      // not UTF-8: one
  // The line is as wide as asked in columns, a wide nick is not split.
  const status wide{"#\xe6\x97\xa5\xe6\x9c\xac", "\xe3\x81\x82\xe3\x81\x84", false, {}, 0, {}};
  CHECK(display_width(visible(render_status(wide, 20, false))) == 20);
  CHECK(visible(render_status(wide, 12, false)) == " #\xe6\x97\xa5\xe6\x9c\xac | \xe3\x81\x82>");
  // A wide character that does not fit leaves its column blank.
  const auto cut = visible(render_status(wide, 11, false));
  CHECK(display_width(cut) == 11);
  CHECK(cut == " #\xe6\x97\xa5\xe6\x9c\xac |  >");
}
