// Capability negotiation and the SASL login (IRCv3 sasl-3.1): the part of
// registration between CAP LS and CAP END. The password goes in AUTHENTICATE
// lines only, never in a shown line. The rest of the machine:
// irc_machine.cpp.
#include <algorithm>
#include <array>

#include "core/irc_machine.hpp"
#include "core/sasl_client.hpp"
#include "protocol/sasl.hpp"

namespace client {

namespace {

// What the history needs with it: batches, times and message ids.
constexpr std::array<std::string_view, 3> kHistoryCaps = {"batch", "server-time", "message-tags"};

// Does the comma-separated `list` hold `item` (any letter case)?
bool lists(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto entry = list.substr(0, comma);
    if (std::equal(entry.begin(), entry.end(), item.begin(), item.end(),
                   [](char a, char b) { return (a | 0x20) == (b | 0x20); }))
      return true;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return false;
}

}  // namespace

void irc_machine::request_caps(effects& out) {
  caps_ended_ = false;  // a new negotiation
  std::vector<std::string> wanted;
  const auto want = [&](std::string_view cap) {
    if (offered_caps_.contains(std::string(cap))) wanted.emplace_back(cap);
  };
  want("echo-message");
  if (options_.history_lines > 0 && offered_caps_.contains("draft/chathistory")) {
    for (const auto cap : kHistoryCaps) want(cap);
    want("draft/chathistory");
  }
  const bool log_in = !options_.account.empty() && !options_.account_password.empty();
  if (log_in && offered_caps_.contains("sasl")) {
    wanted.emplace_back("sasl");
    login_ = login::requested;
  } else if (log_in) {
    out.show.push_back(look_.strong("The server offers no login (SASL):") +
                       look_.dim(" connected as a guest, not as " + sanitize(options_.account) + "."));
  }
  if (wanted.empty()) {
    end_caps(out);
    return;
  }
  std::string line = "CAP REQ :";
  for (std::size_t i = 0; i < wanted.size(); ++i) line += (i > 0 ? " " : "") + wanted[i];
  send(out, line);
}

void irc_machine::caps_acknowledged(effects& out, std::string_view caps) {
  while (!caps.empty()) {
    const auto space = caps.find(' ');
    auto cap = caps.substr(0, space);
    if (cap.starts_with('-')) {
      enabled_caps_.erase(std::string(cap.substr(1)));
    } else if (!cap.empty()) {
      enabled_caps_.emplace(cap);
    }
    caps = space == std::string_view::npos ? std::string_view{} : caps.substr(space + 1);
  }
  echo_ = has_cap("echo-message");
  if (registered_) return;
  if (login_ == login::requested && has_cap("sasl")) {
    start_login(out);
  } else {
    end_caps(out);
  }
}

void irc_machine::end_caps(effects& out) {
  if (registered_ || std::exchange(caps_ended_, true)) return;
  send(out, "CAP END");
}

void irc_machine::start_login(effects& out) {
  // SCRAM-SHA-256 when offered: the password never leaves this machine,
  // and the server proves it knows the credential. PLAIN otherwise, but
  // only over TLS: it sends the password itself. A server that does not
  // say (a `sasl` cap without a value) is tried with PLAIN over TLS, with
  // SCRAM-SHA-256 over plain TCP.
  const auto it = offered_caps_.find("sasl");
  const std::string mechanisms = it == offered_caps_.end() ? std::string() : it->second;
  scram_ = lists(mechanisms, "SCRAM-SHA-256") || (mechanisms.empty() && !options_.tls);
  if (!scram_ && !mechanisms.empty() && !lists(mechanisms, "PLAIN")) {
    login_over(out, "the server takes no login this client knows (" + mechanisms + ")");
    return;
  }
  if (!scram_ && !options_.tls) {
    login_over(out, "the server offers only PLAIN, which would send the password in the clear; use --tls");
    return;
  }
  sasl_in_.reset();
  login_ = login::mechanism;
  send(out, scram_ ? "AUTHENTICATE SCRAM-SHA-256" : "AUTHENTICATE PLAIN");
}

void irc_machine::authenticate(effects& out, std::string_view chunk) {
  if (login_ == login::none || login_ == login::requested || login_ == login::verified) return;
  switch (sasl_in_.feed(chunk)) {
    case protocol::sasl::assembler::step::more:
      return;
    case protocol::sasl::assembler::step::done:
      break;
    case protocol::sasl::assembler::step::too_long:
    case protocol::sasl::assembler::step::bad:
      send(out, "AUTHENTICATE *");
      login_over(out, "the server's login message was not understood");
      return;
  }
  const std::string message = sasl_in_.take();
  const auto reply = [&](std::string_view payload) {
    for (const auto& piece : protocol::sasl::chunks(protocol::sasl::encode_base64(payload)))
      send(out, "AUTHENTICATE " + piece);
  };
  const auto abort = [&](std::string_view why) {
    send(out, "AUTHENTICATE *");
    login_over(out, why);
  };
  switch (login_) {
    case login::mechanism:
      if (!message.empty()) return abort("the server's login message was not understood");
      if (scram_) {
        scram_client_ =
            std::make_unique<scram_client>(options_.account, options_.account_password, options_.nonce());
        reply(scram_client_->first());
        login_ = login::scram_first;
      } else {
        reply(plain_message(options_.account, options_.account_password));
        login_ = login::verified;
      }
      return;
    case login::scram_first: {
      auto answer = scram_client_->final(message);
      if (!answer) return abort("the server sent " + answer.error());
      reply(*answer);
      login_ = login::scram_final;
      return;
    }
    case login::scram_final:
      if (message.starts_with("e=")) return;  // refused: 904 follows
      if (!scram_client_->verify(message))
        return abort("the server could not prove it knows the password (is it the right server?)");
      scram_client_.reset();
      send(out, "AUTHENTICATE +");
      login_ = login::verified;
      return;
    default:
      return;
  }
}

void irc_machine::login_over(effects& out, std::string_view failure) {
  const bool was_trying = login_ != login::none;
  login_ = login::none;
  scram_client_.reset();
  sasl_in_.reset();
  if (was_trying && !failure.empty())
    out.show.push_back(look_.strong("Login failed: " + sanitize(failure) + ".") +
                       look_.dim(" Connected as a guest."));
  end_caps(out);
}

bool irc_machine::login_reply(const protocol::irc::message& m, effects& out) {
  const auto& cmd = m.command;
  const auto& p = m.params;
  if (cmd.size() != 3 || cmd[0] != '9' || cmd[1] != '0') return false;
  if (cmd == "900") {
    // RPL_LOGGEDIN: <nick> <nick!user@host> <account> :You are now logged in as <account>
    if (p.size() >= 3) logged_in_as_ = p[2];
    if (login_ == login::none && !logged_in_as_.empty())
      out.show.push_back(look_.dim("Logged in as ") + look_.nick(logged_in_as_));
  } else if (cmd == "901") {
    logged_in_as_.clear();
    out.show.push_back(look_.dim("Logged out: you are a guest."));
  } else if (cmd == "903") {
    if (login_ == login::none) return true;
    const bool proven = login_ == login::verified;
    const auto& name = logged_in_as_.empty() ? options_.account : logged_in_as_;
    if (logged_in_as_.empty()) logged_in_as_ = name;
    out.show.push_back(
        look_.dim("Logged in as ") + look_.nick(name) +
        (proven ? std::string() : look_.dim(" (the server did not prove it knows the password)")));
    login_over(out, "");
  } else if (cmd == "902") {
    login_over(out, "the account is not available");
  } else if (cmd == "904") {
    login_over(out, "wrong account or password");
  } else if (cmd == "905") {
    login_over(out, "the login message is too long");
  } else if (cmd == "906") {
    login_over(out, "the login was aborted");
  } else if (cmd == "907") {
    login_over(out, "");  // already logged in
  } else if (cmd == "908") {
    // RPL_SASLMECHS: <nick> <mechanisms> :are available SASL mechanisms
    login_over(out, "the server takes only " + (p.size() >= 2 ? p[1] : std::string("other mechanisms")));
  } else {
    return false;
  }
  return true;
}

}  // namespace client
