// Text from the network made safe to print, and the client's styling.
// Pure: no I/O.
#pragma once

#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace client {

// Makes `text` harmless on a terminal: nothing in it can move the cursor,
// clear the screen, ring the bell, set the title or reorder text.
//  - C0 controls and DEL become visible caret notation (ESC is "^[", BEL "^G");
//    a TAB becomes a space.
//  - IRC formatting codes (bold, italics, underline, colours, reset, ...) are
//    dropped, the digits of a colour code with them.
//  - C1 controls (U+0080-U+009F, e.g. the 8-bit CSI) and the bidirectional
//    overrides and isolates (U+202A-U+202E, U+2066-U+2069) are shown as <U+XXXX>.
//  - Bytes that are not valid UTF-8 become U+FFFD.
std::string sanitize(std::string_view text);

// Columns `text` takes on the terminal: each character's wcwidth in the
// current locale (LC_CTYPE; a UTF-8 one for UTF-8 text), 0 for a
// combining one; a byte that is not a character counts one.
std::size_t display_width(std::string_view text);

// Colours for nicks and notices, or none (NO_COLOR, not a terminal).
class style {
 public:
  explicit style(bool colour) noexcept : colour_(colour) {}

  [[nodiscard]] bool colour() const noexcept { return colour_; }
  // The sanitized nick, in a colour chosen by the nick (the same every time).
  [[nodiscard]] std::string nick(std::string_view nick) const;
  // Dimmed text for notices (joins, departures, hints).
  [[nodiscard]] std::string dim(std::string_view text) const;
  // Highlighted text for private messages and errors.
  [[nodiscard]] std::string strong(std::string_view text) const;
  // A message that mentions you: bold and reverse video (plain without colour).
  [[nodiscard]] std::string mention(std::string_view text) const;

 private:
  bool colour_;
};

// Should output be coloured: stdout is a terminal, NO_COLOR is unset or
// empty, and TERM is not "dumb".
bool colour_wanted(bool stdout_is_tty, const char* no_color, const char* term) noexcept;

// Does `text` name `nick` as a word (IRC case folding; the characters
// around it are not nick characters)? "bob: hi" and "hi Bob!" mention bob;
// "bobby" does not.
bool mentions(std::string_view text, std::string_view nick);

// IRCv3 server-time ("2024-05-01T18:02:05.123Z", UTC, the fraction
// optional): seconds since the epoch, or nothing if it is not that shape.
std::optional<std::time_t> parse_server_time(std::string_view text);

// The time in front of a shown line, in local time: "18:02:05 " for a
// moment of the same day as `now`, "2024-05-01 18:02 " for an older one
// (history lines).
std::string clock_prefix(std::time_t when, std::time_t now);

}  // namespace client
