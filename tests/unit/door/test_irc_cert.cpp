// SASL EXTERNAL and NickServ CERT at the IRC door, with a real store in a
// fresh temporary directory and the client certificate's fingerprint set on
// the fake link, as a TLS handshake would.
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/sasl.hpp"
#include "store/store.hpp"
#include "support/door_harness.hpp"
#include "support/door_store.hpp"

namespace {

using lines_t = std::vector<std::string>;
using test::find_line;
using test::has_line;

constexpr std::string_view kPassword = "correct-horse";
const std::string kCertA(64, 'a');
const std::string kCertB = std::string(63, 'b') + "0";

// A store with the accounts alice and bob, and a harness over it.
struct fixture {
  test::temp_dir dir;
  std::shared_ptr<store::store> db = test::open_store(dir, {"alice", "bob"}, kPassword);
  test::door_harness h{db};

  // `name`'s certificates, as the store has them.
  std::vector<std::string> certs(const std::string& name) {
    auto a = store::wait<store::account>([&](auto done) { db->find_account(name, std::move(done)); });
    REQUIRE(a.has_value());
    return a->certfps;
  }
  void add_cert(const std::string& name, const std::string& fp) {
    REQUIRE(store::wait<void>([&](auto done) { db->add_cert(name, fp, std::move(done)); }));
  }
};

// A client that has asked for sasl, before registration, with `certfp`.
test::door_harness::client& sasl_client(test::door_harness& h, const std::string& nick,
                                        const std::string& certfp) {
  auto& c = h.irc();
  c.link->set_certfp(certfp);
  c.send("CAP LS 302");
  c.send("NICK " + nick);
  c.send("USER " + nick + " 0 * :" + nick);
  c.send("CAP REQ :sasl");
  REQUIRE(has_line(c.lines(), "ACK :sasl"));
  return c;
}

// AUTHENTICATE EXTERNAL with `response` ("+", or base64 of an authzid):
// the lines up to 903 or 904.
lines_t external(test::door_harness::client& c, const std::string& response) {
  c.send("AUTHENTICATE EXTERNAL");
  const auto asked = c.lines();
  for (const auto& l : asked) UNSCOPED_INFO(l);
  REQUIRE(has_line(asked, "AUTHENTICATE +"));
  c.send("AUTHENTICATE " + response);
  auto got = c.lines_until(" 90");
  for (const auto& l : got) UNSCOPED_INFO(l);
  return got;
}

// `c` logs in to its account (its nick) through NickServ.
void identify(test::door_harness::client& c) {
  c.send("PRIVMSG NickServ :IDENTIFY " + std::string(kPassword));
  const auto got = c.lines_until(" 900 ");
  for (const auto& l : got) UNSCOPED_INFO(l);
  REQUIRE(has_line(got, " 900 "));
}

// NickServ's notices to `c` for `text` (each command answers at least one).
lines_t nickserv(test::door_harness::client& c, const std::string& text) {
  c.send("PRIVMSG NickServ :" + text);
  auto got = c.lines_until("NickServ!");
  for (const auto& l : got) UNSCOPED_INFO(l);
  return got;
}

}  // namespace

TEST_CASE("sasl external without a client certificate fails with 904") {
  fixture f;
  auto& c = sasl_client(f.h, "alice", "");
  const auto got = external(c, "+");
  CHECK(find_line(got, " 904 ").find("no TLS client certificate") != std::string::npos);
  CHECK_FALSE(has_line(got, " 900 "));
  // The exchange is over: another mechanism may follow.
  c.send("AUTHENTICATE PLAIN");
  CHECK(has_line(c.lines(), "AUTHENTICATE +"));
}

TEST_CASE("sasl external logs in by the certificate's fingerprint") {
  fixture f;
  f.add_cert("alice", kCertA);
  auto& c = sasl_client(f.h, "alice", kCertA);
  const auto got = external(c, "+");
  CHECK(find_line(got, " 900 ").find(" alice :You are now logged in as alice") != std::string::npos);
  CHECK(has_line(got, " 903 "));
  c.send("CAP END");
  CHECK(has_line(c.lines(), " 001 "));
  c.send("WHOIS alice");
  const auto whois = c.lines();
  CHECK(has_line(whois, " 330 alice alice alice :is logged in as"));
}

TEST_CASE("sasl external takes an authzid only if it is the certificate's account") {
  fixture f;
  f.add_cert("alice", kCertA);
  auto& c = sasl_client(f.h, "alice", kCertA);
  auto got = external(c, protocol::sasl::encode_base64("bob"));
  CHECK(find_line(got, " 904 ").find("not on the account you asked for") != std::string::npos);
  CHECK_FALSE(has_line(got, " 900 "));
  // Its own account, in another case, is fine.
  got = external(c, protocol::sasl::encode_base64("ALICE"));
  CHECK(has_line(got, " 900 "));
  CHECK(has_line(got, " 903 "));
}

TEST_CASE("sasl external with an unknown certificate fails with 904") {
  fixture f;
  f.add_cert("alice", kCertA);
  auto& c = sasl_client(f.h, "mallory", kCertB);
  const auto got = external(c, "+");
  CHECK(find_line(got, " 904 ").find("not on any account") != std::string::npos);
  CHECK_FALSE(has_line(got, " 900 "));
}

TEST_CASE("sasl external is not offered without a store") {
  test::door_harness h;
  auto& c = h.irc();
  c.link->set_certfp(kCertA);
  c.send("CAP LS 302");
  CHECK_FALSE(has_line(c.lines(), "sasl"));
  c.send("AUTHENTICATE EXTERNAL");
  const auto got = c.lines();
  CHECK(has_line(got, " 904 "));
  CHECK_FALSE(has_line(got, "AUTHENTICATE +"));
}

TEST_CASE("sasl cap lists external among its mechanisms") {
  fixture f;
  auto& c = f.h.irc();
  c.send("CAP LS 302");
  CHECK(has_line(c.lines(), " sasl=PLAIN,EXTERNAL,SCRAM-SHA-256"));
}

TEST_CASE("sasl unknown mechanism lists external among the mechanisms") {
  fixture f;
  auto& c = sasl_client(f.h, "alice", "");
  c.send("AUTHENTICATE NOPE");
  const auto got = c.lines();
  CHECK(has_line(got, " 908 alice PLAIN,EXTERNAL,SCRAM-SHA-256 :are available SASL mechanisms"));
  CHECK(has_line(got, " 904 "));
}

TEST_CASE("nickserv cert needs a login") {
  fixture f;
  auto& c = f.h.irc_user("alice");
  c.link->set_certfp(kCertA);
  for (const std::string& text : {std::string("CERT LIST"), std::string("CERT ADD"), "CERT DEL " + kCertA}) {
    CHECK(has_line(nickserv(c, text), "You are not logged in"));
  }
  CHECK(f.certs("alice").empty());
}

TEST_CASE("nickserv cert add without an argument adds this connection's certificate") {
  fixture f;
  auto& c = f.h.irc_user("alice");
  identify(c);
  CHECK(has_line(nickserv(c, "CERT ADD"), "This connection has no TLS client certificate"));
  CHECK(has_line(nickserv(c, "CERT LIST"), "alice has no certificates."));

  auto& d = f.h.irc_user("alice2");
  d.link->set_certfp(kCertA);
  d.send("PRIVMSG NickServ :IDENTIFY alice " + std::string(kPassword));
  REQUIRE(has_line(d.lines_until(" 900 "), " 900 "));
  CHECK(has_line(nickserv(d, "CERT ADD"), "Certificate " + kCertA + " is on alice"));
  CHECK(f.certs("alice") == std::vector<std::string>{kCertA});
  const auto listed = nickserv(d, "CERT LIST");
  CHECK(has_line(listed, "Certificate fingerprints of alice (1 of at most 16):"));
  CHECK(has_line(listed, ":" + kCertA));
}

TEST_CASE("nickserv cert checks its fingerprints and normalises them") {
  fixture f;
  auto& c = f.h.irc_user("alice");
  identify(c);
  for (const std::string& bad : {std::string(63, 'a'), std::string(65, 'a'), std::string(63, 'a') + "g",
                                 std::string("sha256:") + std::string(57, 'a')}) {
    CHECK(has_line(nickserv(c, "CERT ADD " + bad), "That is not a certificate fingerprint"));
    CHECK(has_line(nickserv(c, "CERT DEL " + bad), "That is not a certificate fingerprint"));
  }
  CHECK(f.certs("alice").empty());

  // Upper case, and openssl's colons, are taken and kept lower case.
  const std::string upper(64, 'C');
  CHECK(has_line(nickserv(c, "CERT ADD " + upper), "Certificate " + std::string(64, 'c') + " is on alice"));
  std::string colons;
  for (int i = 0; i < 32; ++i) colons += (i == 0 ? "" : ":") + std::string("D1");
  CHECK(has_line(nickserv(c, "CERT ADD " + colons), "is on alice"));
  std::string d1;
  for (int i = 0; i < 32; ++i) d1 += "d1";
  CHECK(f.certs("alice") == std::vector<std::string>{std::string(64, 'c'), d1});

  CHECK(
      has_line(nickserv(c, "CERT DEL " + upper), "Certificate " + std::string(64, 'c') + " is no longer on"));
  CHECK(has_line(nickserv(c, "CERT DEL " + upper), "is not on alice."));
  CHECK(f.certs("alice") == std::vector<std::string>{d1});

  CHECK(has_line(nickserv(c, "CERT DEL"), "Syntax: CERT DEL <fingerprint>"));
  CHECK(has_line(nickserv(c, "CERT"), "Syntax: CERT LIST | CERT ADD [fingerprint] | CERT DEL <fingerprint>"));
  CHECK(has_line(nickserv(c, "CERT SHOW"), "Syntax: CERT LIST"));
}

TEST_CASE("nickserv cert add refuses another account's certificate") {
  fixture f;
  f.add_cert("bob", kCertB);
  auto& c = f.h.irc_user("alice");
  identify(c);
  CHECK(has_line(nickserv(c, "CERT ADD " + kCertB), "That certificate is on another account already."));
  CHECK(f.certs("alice").empty());
  CHECK(f.certs("bob") == std::vector<std::string>{kCertB});
}

TEST_CASE("nickserv cert add stops at kMaxCertsPerAccount") {
  fixture f;
  auto& c = f.h.irc_user("alice");
  identify(c);
  const auto fp = [](std::size_t i) {
    std::string s(64, '0');
    s[0] = "0123456789abcdef"[i % 16];
    s[1] = "0123456789abcdef"[i / 16];
    return s;
  };
  for (std::size_t i = 0; i < store::kMaxCertsPerAccount; ++i) {
    REQUIRE(has_line(nickserv(c, "CERT ADD " + fp(i)), "is on alice"));
  }
  CHECK(has_line(nickserv(c, "CERT ADD " + fp(store::kMaxCertsPerAccount)),
                 "alice has 16 certificates, the most an account may have"));
  // One it has already is no new one.
  CHECK(has_line(nickserv(c, "CERT ADD " + fp(0)), "is on alice"));
  CHECK(f.certs("alice").size() == store::kMaxCertsPerAccount);
  CHECK(has_line(nickserv(c, "CERT DEL " + fp(5)), "is no longer on alice"));
  CHECK(has_line(nickserv(c, "CERT ADD " + fp(store::kMaxCertsPerAccount)), "is on alice"));
}

TEST_CASE("nickserv help lists cert") {
  fixture f;
  auto& c = f.h.irc_user("alice");
  CHECK(has_line(nickserv(c, "HELP"), "CERT LIST | CERT ADD [fingerprint] | CERT DEL <fingerprint>"));
}

TEST_CASE("whois shows the certificate fingerprint to the user and to operators only") {
  fixture f;
  f.h.irc_settings().live->set({.motd = {}, .password = {}, .opers = {{"admin", "pw"}}});
  auto& alice = f.h.irc_user("alice");
  alice.link->set_certfp(kCertA);
  auto& bob = f.h.irc_user("bob");
  auto& oper = f.h.irc_user("olga");
  oper.send("OPER admin pw");
  REQUIRE(has_line(oper.lines(), " 381 "));

  const std::string line = " 276 alice alice :has client certificate fingerprint " + kCertA;
  alice.send("WHOIS alice");
  CHECK(has_line(alice.lines(), line));
  bob.send("WHOIS alice");
  const auto seen = bob.lines();
  CHECK(has_line(seen, " 318 "));
  CHECK_FALSE(has_line(seen, " 276 "));
  oper.send("WHOIS alice");
  CHECK(has_line(oper.lines(), " 276 olga alice :has client certificate fingerprint " + kCertA));
  // Without a certificate, no line at all.
  bob.send("WHOIS bob");
  CHECK_FALSE(has_line(bob.lines(), " 276 "));
}
