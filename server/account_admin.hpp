// chat-server account ...: the operator's offline account commands, on the
// store's database directly (the server may be stopped or running: SQLite
// takes turns between the two).
#pragma once

namespace startup {

// True if the command line asks for an account command (argv[1] is
// "account").
bool is_account_command(int argc, char** argv);

// Runs it: list, add NAME, passwd NAME, del NAME, with --data-dir DIR; the
// password from standard input. Returns the exit code.
int run_account_command(int argc, char** argv);

}  // namespace startup
