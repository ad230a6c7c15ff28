// SASL (IRCv3 `sasl`, AUTHENTICATE, 900-908): PLAIN and SCRAM-SHA-256
// against the accounts in the store, and EXTERNAL by the fingerprint of the
// TLS client certificate (link::certfp; NickServ CERT adds them). Lookups
// go to the store and password checks to the slow-work thread; input waits
// meanwhile. A failure costs flood tokens, so guessing runs at the flood
// rate.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "door/irc_door.hpp"
#include "door/irc_sasl_state.hpp"
#include "door/log.hpp"
#include "protocol/nick.hpp"
#include "protocol/sasl.hpp"

namespace door {

namespace irc = protocol::irc;
namespace sasl = protocol::sasl;
using irc::numeric;

irc_door::~irc_door() = default;

bool irc_door::offered(cap c) const noexcept {
  for (const auto& spec : kCaps) {
    if (spec.id == c) return !spec.needs_store || settings_.store != nullptr;
  }
  return false;
}

std::string irc_door::account() const {
  const std::lock_guard lock(info_mutex_);
  return account_;
}

void irc_door::cmd_authenticate(const message& m) {
  const std::string& arg = m.params[0];
  if (!offered(cap::sasl)) return sasl_failed("SASL is not available");
  if (arg == "*") {
    if (sasl_) return sasl_abort(/*say=*/true);
    return reply(numeric::err_saslaborted, {"SASL authentication aborted"});
  }
  if (!sasl_) {
    if (!account().empty())
      return reply(numeric::err_saslalready, {"You have already authenticated using SASL"});
    auto state = std::make_unique<sasl_state>();
    if (protocol::fold_equal{}(arg, "PLAIN")) {
      state->mech = sasl_state::mechanism::plain;
    } else if (protocol::fold_equal{}(arg, "SCRAM-SHA-256")) {
      state->mech = sasl_state::mechanism::scram;
    } else if (protocol::fold_equal{}(arg, "EXTERNAL")) {
      state->mech = sasl_state::mechanism::external;
    } else {
      reply(numeric::rpl_saslmechs, {sasl::kMechanisms, "are available SASL mechanisms"});
      return sasl_failed("unknown mechanism");
    }
    sasl_ = std::move(state);
    return server_line("AUTHENTICATE", {"+"}, irc::last_param::plain);
  }
  if (sasl_->at == sasl_state::step::busy) return;  // cannot happen: input waits
  switch (sasl_->in.feed(arg)) {
    case sasl::assembler::step::more:
      return;
    case sasl::assembler::step::too_long:
      sasl_.reset();
      return reply(numeric::err_sasltoolong, {"SASL message too long"});
    case sasl::assembler::step::bad:
      return sasl_failed("not base64");
    case sasl::assembler::step::done:
      break;
  }
  sasl_message(sasl_->in.take());
}

void irc_door::sasl_message(std::string data) {
  switch (sasl_->at) {
    case sasl_state::step::message:
      switch (sasl_->mech) {
        case sasl_state::mechanism::plain:
          return sasl_plain(data);
        case sasl_state::mechanism::scram:
          return sasl_scram_first(data);
        case sasl_state::mechanism::external:
          return sasl_external(data);
      }
      return;
    case sasl_state::step::scram_final:
      return sasl_scram_final(data);
    case sasl_state::step::scram_ack:
      return log_in(sasl_->account, /*sasl=*/true);
    case sasl_state::step::busy:
      return;
  }
}

void irc_door::sasl_plain(const std::string& data) {
  auto parsed = sasl::parse_plain(data);
  if (!parsed) return sasl_failed(parsed.error());
  if (!parsed->authzid.empty() && !protocol::fold_equal{}(parsed->authzid, parsed->authcid)) {
    return sasl_failed("authzid is not the account");
  }
  sasl_->at = sasl_state::step::busy;
  begin_wait();
  settings_.store->find_account(
      parsed->authcid, back_here<store::account>([this, password = std::move(parsed->password)](
                                                     store::result<store::account> found) mutable {
        if (!found) {
          // Unknown or unavailable: the same answer, after the same work.
          static const auto stand_in = sasl::derive_credential("no such account", "salt");
          auto ok = std::make_shared<bool>(false);
          return off_loop(
              [password = std::move(password), ok] { *ok = sasl::verify_password(stand_in, password); },
              [this, why = found.error()] {
                sasl_failed(why == store::errc::not_found ? "no such account" : store::describe(why));
              });
        }
        auto ok = std::make_shared<bool>(false);
        off_loop([cred = found->credential, password = std::move(password),
                  ok] { *ok = sasl::verify_password(cred, password); },
                 [this, ok, name = found->name] {
                   if (*ok) return log_in(name, /*sasl=*/true);
                   sasl_failed("wrong password");
                 });
      }));
}

void irc_door::sasl_external(const std::string& authzid) {
  // The message is the authzid: empty ("+") for the certificate's account.
  const std::string& fp = link_.certfp();
  if (fp.empty()) return sasl_failed("no client certificate", "you showed no TLS client certificate");
  sasl_->at = sasl_state::step::busy;
  begin_wait();
  settings_.store->find_account_by_cert(
      fp, back_here<store::account>([this, authzid](store::result<store::account> found) {
        if (!sasl_) return end_wait();
        if (!found) {
          if (found.error() == store::errc::not_found) {
            sasl_failed("unknown certificate", "your TLS client certificate is not on any account");
          } else {
            sasl_failed(store::describe(found.error()));
          }
        } else if (!authzid.empty() && !protocol::fold_equal{}(authzid, found->name)) {
          sasl_failed("authzid is not the certificate's account",
                      "your TLS client certificate is not on the account you asked for");
        } else {
          log_in(found->name, /*sasl=*/true);
        }
        end_wait();
      }));
}

void irc_door::sasl_scram_first(const std::string& data) {
  auto name = sasl_->scram.client_first(data);
  if (!name) return sasl_failed(name.error());
  sasl_->at = sasl_state::step::busy;
  begin_wait();
  settings_.store->find_account(
      *name, back_here<store::account>([this, name = *name](store::result<store::account> found) {
        if (!sasl_) return end_wait();
        std::string first;
        if (found) {
          sasl_->account = found->name;
          first = sasl_->scram.server_first(found->credential);
        } else {
          first = sasl_->scram.server_first_unknown(name);
        }
        sasl_->at = sasl_state::step::scram_final;
        for (const auto& chunk : sasl::chunks(sasl::encode_base64(first))) {
          server_line("AUTHENTICATE", {chunk}, irc::last_param::plain);
        }
        end_wait();
      }));
}

void irc_door::sasl_scram_final(const std::string& data) {
  // The proof costs one HMAC (the iterations were paid at registration).
  auto final = sasl_->scram.client_final(data);
  if (!final) return sasl_failed(final.error());
  sasl_->at = sasl_state::step::scram_ack;
  for (const auto& chunk : sasl::chunks(sasl::encode_base64(*final))) {
    server_line("AUTHENTICATE", {chunk}, irc::last_param::plain);
  }
}

void irc_door::sasl_abort(bool say) {
  sasl_.reset();
  if (say) reply(numeric::err_saslaborted, {"SASL authentication aborted"});
}

void irc_door::sasl_failed(std::string_view why, std::string_view tell) {
  sasl_.reset();
  spdlog::info("irc {}: {} failed SASL: {}", link_.remote_label(), target(), why);
  for (std::size_t i = 0; i < kLoginFailureTokens; ++i) link_.spend_token();
  if (tell.empty()) return reply(numeric::err_saslfail, {"SASL authentication failed"});
  reply(numeric::err_saslfail, {fmt::format("SASL authentication failed: {}", tell)});
}

// `name` by value: it may be sasl_->account, which sasl_.reset() frees.
void irc_door::log_in(std::string name, bool with_sasl) {
  sasl_.reset();
  std::string before;
  {
    const std::lock_guard lock(info_mutex_);
    before = std::exchange(account_, name);
  }
  if (!before.empty()) hub_.logins().remove(before, this);
  hub_.logins().add(name, self_irc());
  spdlog::info("irc {}: {} logged in as {}", link_.remote_label(), target(), sample(name));
  const auto who = nick_.empty() ? std::string("*") : source();
  reply(numeric::rpl_loggedin, {who, name, fmt::format("You are now logged in as {}", name)});
  if (with_sasl) reply(numeric::rpl_saslsuccess, {"SASL authentication successful"});
  if (protocol::fold_equal{}(name, nick_)) nick_grace_until_.reset();
  if (registered_) announce(chat::attribute::account, name);
}

void irc_door::log_out() {
  {
    const std::lock_guard lock(info_mutex_);
    if (account_.empty()) return;
    hub_.logins().remove(account_, this);
    account_.clear();
  }
  reply(numeric::rpl_loggedout, {source(), "You are now logged out"});
  if (registered_) announce(chat::attribute::account, {});
}

}  // namespace door
