// The state of one SASL exchange at the IRC door (irc_sasl.cpp): which
// mechanism, how far it got, the chunks so far.
#pragma once

#include <cstdint>
#include <string>

#include "door/irc_door.hpp"
#include "protocol/sasl.hpp"

namespace door {

struct irc_door::sasl_state {
  enum class mechanism : std::uint8_t { plain, scram, external };
  enum class step : std::uint8_t {
    message,      // waiting for the client's (first) message
    scram_final,  // SCRAM: server-first sent, waiting for client-final
    scram_ack,    // SCRAM: server-final sent, waiting for "+"
    busy,         // the store or the slow thread is answering
  };
  mechanism mech = mechanism::plain;
  step at = step::message;
  protocol::sasl::assembler in;
  protocol::sasl::scram_server scram;
  std::string account;  // SCRAM: the account being logged in to, as stored
};

}  // namespace door
