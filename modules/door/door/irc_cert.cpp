// NickServ CERT: the TLS client certificates whose fingerprints log an
// account in with SASL EXTERNAL (irc_sasl.cpp). LIST, ADD (this
// connection's certificate, or a fingerprint given) and DEL, for the
// account this user is logged in to; the store keeps at most
// store::kMaxCertsPerAccount each, and a fingerprint on one account only.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>

#include "door/irc_door.hpp"
#include "door/log.hpp"
#include "protocol/sasl.hpp"

namespace door {

namespace sasl = protocol::sasl;

namespace {

std::string upper(std::string_view word) {
  std::string out(word);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::string_view kCertSyntax =
    "Syntax: CERT LIST | CERT ADD [fingerprint] | CERT DEL <fingerprint>";
constexpr std::string_view kNotAFingerprint =
    "That is not a certificate fingerprint: give its SHA-256 as 64 hex digits.";

}  // namespace

void irc_door::nickserv_cert(std::span<const std::string_view> words) {
  auto say = [this](std::string_view t) { service_notice("NickServ", t); };
  const std::string me = account();
  if (me.empty()) return say("You are not logged in: log in first (SASL, or /msg NickServ IDENTIFY).");
  const std::string sub = words.size() > 1 ? upper(words[1]) : std::string();

  if (sub == "LIST") {
    begin_wait();
    return settings_.store->find_account(
        me, back_here<store::account>([this, say](store::result<store::account> found) {
          if (!found) {
            say(fmt::format("Could not list your certificates: {}.", store::describe(found.error())));
          } else if (found->certfps.empty()) {
            say(fmt::format("{} has no certificates. CERT ADD adds this connection's.", found->name));
          } else {
            say(fmt::format("Certificate fingerprints of {} ({} of at most {}):", found->name,
                            found->certfps.size(), store::kMaxCertsPerAccount));
            for (const auto& fp : found->certfps) say(fp);
          }
          end_wait();
        }));
  }

  if (sub == "ADD") {
    std::string fp;
    if (words.size() < 3) {
      fp = link_.certfp();
      if (fp.empty()) {
        return say(
            "This connection has no TLS client certificate: connect with one, or give its fingerprint "
            "(CERT ADD <fingerprint>).");
      }
    } else {
      auto parsed = sasl::parse_certfp(words[2]);
      if (!parsed) return say(kNotAFingerprint);
      fp = std::move(*parsed);
    }
    begin_wait();
    return settings_.store->add_cert(
        me, fp, back_here<void>([this, say, me, fp](store::result<void> r) {
          if (r) {
            spdlog::info("irc {}: {} added a certificate to {}", link_.remote_label(), nick_, sample(me));
            say(fmt::format("Certificate {} is on {}: it logs you in with SASL EXTERNAL.", fp, me));
          } else if (r.error() == store::errc::exists) {
            say("That certificate is on another account already.");
          } else if (r.error() == store::errc::limit) {
            say(fmt::format("{} has {} certificates, the most an account may have: CERT DEL one first.", me,
                            store::kMaxCertsPerAccount));
          } else {
            say(fmt::format("Could not add the certificate: {}.", store::describe(r.error())));
          }
          end_wait();
        }));
  }

  if (sub == "DEL") {
    if (words.size() < 3) return say("Syntax: CERT DEL <fingerprint>");
    auto fp = sasl::parse_certfp(words[2]);
    if (!fp) return say(kNotAFingerprint);
    begin_wait();
    return settings_.store->del_cert(
        me, *fp, back_here<void>([this, say, me, fp = *fp](store::result<void> r) {
          if (r) {
            spdlog::info("irc {}: {} removed a certificate from {}", link_.remote_label(), nick_, sample(me));
            say(fmt::format("Certificate {} is no longer on {}.", fp, me));
          } else if (r.error() == store::errc::not_found) {
            say(fmt::format("Certificate {} is not on {}.", fp, me));
          } else {
            say(fmt::format("Could not remove the certificate: {}.", store::describe(r.error())));
          }
          end_wait();
        }));
  }

  say(kCertSyntax);
}

}  // namespace door
