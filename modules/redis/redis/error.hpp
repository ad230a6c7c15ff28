// What a Redis command or connection can fail with: a code to branch on and
// a message for the log. A Redis error *reply* (-ERR ...) is not one of
// these: it is a reply value (reply::is_error()).
#pragma once

#include <string>

namespace redis {

enum class errc {
  down,      // not connected (yet, or any more): the command was not sent
  lost,      // the connection broke with the command sent or queued
  timeout,   // no reply within the command's timeout
  busy,      // the pending queue is full (kMaxPending)
  stopped,   // stop() was called
  invalid,   // the command itself: no arguments, too many (kMaxArgs)
  protocol,  // the server sent bytes that are not RESP2, or too large a reply
  auth,      // AUTH or SELECT refused at connect
  connect,   // resolving, connecting or the TLS handshake failed, or timed out
};

struct error {
  errc code;
  std::string message;
};

}  // namespace redis
