// chat-server --hash-password: reads a password and prints its hash, for an
// operator entry (`--oper NAME:HASH`, or `oper = ["NAME:HASH"]`).
#pragma once

#include <optional>
#include <string>

namespace startup {

// A password from standard input: on a terminal, asked twice without echo;
// otherwise its first line. nullopt (after saying why on stderr, naming
// `what` asks) if there is none or the two differ.
std::optional<std::string> read_password(const char* what);

// Reads the password from standard input: on a terminal, asked twice without
// echo; otherwise its first line. Prints the hash and returns 0, or says what
// went wrong and returns an exit code.
int print_password_hash();

}  // namespace startup
