// The server's log: to stderr (the journal under systemd), as text with the
// time and its UTC offset, or as one JSON object a line for log shippers.
// What is logged: connections, registrations, nick changes and operator
// actions; never the text of a message.
#pragma once

#include <string>

namespace startup {

// `format` is "text" or "json", `level` one of spdlog's level names.
void set_up_logging(const std::string& format, const std::string& level);

}  // namespace startup
