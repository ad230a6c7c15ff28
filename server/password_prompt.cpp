#include "password_prompt.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "door/secret.hpp"
#include "options.hpp"

namespace startup {

namespace {

// One line from stdin, its line end removed; nullopt at the end of input.
std::optional<std::string> read_line() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Asks on the terminal with echo off, and puts echo back whatever happens.
std::optional<std::string> ask(const char* prompt) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  termios saved{};
  const bool quiet = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (quiet) {
    termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
  }
  auto line = read_line();
  if (quiet) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fputs("\n", stderr);
  return line;
}

}  // namespace

std::optional<std::string> read_password(const char* what) {
  std::optional<std::string> password;
  if (::isatty(STDIN_FILENO) != 0) {
    password = ask("Password: ");
    const auto again = password ? ask("Again: ") : std::nullopt;
    if (password && again != password) {
      std::fputs("chat-server: the passwords differ\n", stderr);
      return std::nullopt;
    }
  } else {
    password = read_line();
  }
  if (!password || password->empty()) {
    std::fprintf(stderr, "chat-server: %s: no password on standard input\n", what);
    return std::nullopt;
  }
  return password;
}

int print_password_hash() {
  const auto password = read_password("--hash-password");
  if (!password) return kExitUsage;
  const auto hash = door::hash_password(*password);
  if (hash.empty()) {
    std::fputs("chat-server: --hash-password: hashing failed\n", stderr);
    return kExitFailure;
  }
  std::printf("%s\n", hash.c_str());
  return 0;
}

}  // namespace startup
