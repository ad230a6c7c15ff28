// The client's SASL login, sans I/O: CAP REQ with sasl, the AUTHENTICATE
// exchange of PLAIN and of SCRAM-SHA-256 (against RFC 7677's example and
// against the server's own SCRAM code), chunks of 400, the failures, and a
// password that never reaches a shown line.
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "core/effects.hpp"
#include "core/irc_machine.hpp"
#include "core/sasl_client.hpp"
#include "core/text.hpp"
#include "protocol/sasl.hpp"

using client::effects;
using client::irc_machine;
using client::irc_options;
namespace sasl = protocol::sasl;

namespace {

constexpr std::string_view kPassword = "correct horse battery";

irc_options account_options(std::string password = std::string(kPassword)) {
  irc_options o;
  o.nick = "alice";
  o.account = "alice";
  o.account_password = std::move(password);
  o.nonce = [] { return std::string("rOprNGfwEbeRWgbNEkqO"); };
  o.tls = true;  // PLAIN is used over TLS only
  return o;
}

irc_machine make(irc_options o = account_options()) {
  return irc_machine(std::move(o), client::style(false));
}

// Every line shown over a run, to check that the password is in none.
struct transcript {
  std::vector<std::string> lines;
  effects operator()(effects e) {
    lines.insert(lines.end(), e.show.begin(), e.show.end());
    return e;
  }
  [[nodiscard]] bool shows(std::string_view part) const {
    for (const auto& l : lines)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
};

bool shows(const effects& e, std::string_view part) {
  for (const auto& line : e.show)
    if (line.find(part) != std::string::npos) return true;
  return false;
}

// The AUTHENTICATE line with this payload's base64, as one chunk.
std::string authenticate(std::string_view payload) {
  return "AUTHENTICATE " + sasl::encode_base64(payload) + "\r\n";
}

// Up to the server's "AUTHENTICATE +" after a CAP LS offering `sasl`.
void up_to_plus(irc_machine& m, std::string_view offered = "sasl=PLAIN",
                std::string_view mechanism = "PLAIN") {
  m.connected();
  REQUIRE(m.on_line(":irc.test CAP * LS :" + std::string(offered)).send == "CAP REQ :sasl\r\n");
  REQUIRE(m.on_line(":irc.test CAP alice ACK :sasl").send ==
          "AUTHENTICATE " + std::string(mechanism) + "\r\n");
}

}  // namespace

TEST_CASE("irc login: CAP LS with sasl and an account requests sasl with the rest", "[client][irc][sasl]") {
  auto m = make();
  m.connected();
  CHECK(m.on_line(":irc.test CAP * LS :echo-message multi-prefix sasl=PLAIN,SCRAM-SHA-256").send ==
        "CAP REQ :echo-message sasl\r\n");
}

TEST_CASE("irc login: without an account sasl is not requested", "[client][irc][sasl]") {
  irc_options o;
  o.nick = "alice";
  auto m = make(o);
  m.connected();
  CHECK(m.on_line(":irc.test CAP * LS :sasl=PLAIN,SCRAM-SHA-256").send == "CAP END\r\n");
  auto n = make();
  n.connected();
  CHECK(n.on_line(":irc.test CAP * LS :echo-message sasl").send == "CAP REQ :echo-message sasl\r\n");
  // An account without a password does not log in either.
  auto p = make(account_options(""));
  p.connected();
  CHECK(p.on_line(":irc.test CAP * LS :echo-message sasl").send == "CAP REQ :echo-message\r\n");
}

TEST_CASE("irc login: a server without sasl says so and goes on as a guest", "[client][irc][sasl]") {
  auto m = make();
  m.connected();
  const auto e = m.on_line(":irc.test CAP * LS :echo-message");
  CHECK(e.send == "CAP REQ :echo-message\r\n");
  CHECK(shows(e, "The server offers no login (SASL): connected as a guest, not as alice."));
  CHECK(m.on_line(":irc.test CAP * ACK :echo-message").send == "CAP END\r\n");
}

TEST_CASE("irc login: PLAIN sends the account and password then CAP END on 903", "[client][irc][sasl]") {
  auto m = make();
  up_to_plus(m);
  CHECK(m.on_line("AUTHENTICATE +").send ==
        authenticate(std::string("alice\0alice\0", 12) + std::string(kPassword)));
  CHECK(m.on_line(":irc.test 900 alice alice!chat@host alice :You are now logged in as alice").show.empty());
  const auto done = m.on_line(":irc.test 903 alice :SASL authentication successful");
  CHECK(done.send == "CAP END\r\n");
  CHECK(done.show == std::vector<std::string>{"Logged in as alice"});
  CHECK(m.account() == "alice");
  CHECK_FALSE(m.on_line(":irc.test 001 alice :Welcome").send.empty());
  CHECK(m.registered());
}

TEST_CASE("irc login: sasl without a value is tried with PLAIN", "[client][irc][sasl]") {
  auto m = make();
  up_to_plus(m, "sasl", "PLAIN");
  CHECK(m.on_line("AUTHENTICATE +").send.starts_with("AUTHENTICATE "));
}

TEST_CASE("irc login: PLAIN is refused over plain TCP", "[client][irc][sasl]") {
  auto o = account_options();
  o.tls = false;
  auto m = make(o);
  m.connected();
  REQUIRE(m.on_line(":irc.test CAP * LS :sasl=PLAIN").send == "CAP REQ :sasl\r\n");
  const auto e = m.on_line(":irc.test CAP alice ACK :sasl");
  CHECK(e.send == "CAP END\r\n");
  CHECK(e.show == std::vector<std::string>{
                      "Login failed: the server offers only PLAIN, which would send the password in the "
                      "clear; use --tls. Connected as a guest."});
  CHECK_FALSE(e.quit);
  m.on_line(":irc.test 001 alice :Welcome");
  CHECK(m.registered());
  CHECK(m.account().empty());
}

TEST_CASE("irc login: over plain TCP SCRAM-SHA-256 is still used and so is an unlisted sasl",
          "[client][irc][sasl]") {
  auto o = account_options();
  o.tls = false;
  const auto offered = GENERATE(as<std::string>{}, "sasl=PLAIN,SCRAM-SHA-256", "sasl");
  INFO(offered);
  auto m = make(o);
  up_to_plus(m, offered, "SCRAM-SHA-256");
  CHECK(m.on_line("AUTHENTICATE +").send == authenticate("n,,n=alice,r=rOprNGfwEbeRWgbNEkqO"));
}

TEST_CASE("irc login: a server with only other mechanisms is not tried", "[client][irc][sasl]") {
  auto m = make();
  m.connected();
  REQUIRE(m.on_line(":irc.test CAP * LS :sasl=EXTERNAL").send == "CAP REQ :sasl\r\n");
  const auto e = m.on_line(":irc.test CAP alice ACK :sasl");
  CHECK(e.send == "CAP END\r\n");
  CHECK(shows(e, "Login failed: the server takes no login this client knows (EXTERNAL)."));
}

TEST_CASE("irc login: the payload goes in chunks of 400 and a final + when the last is full",
          "[client][irc][sasl]") {
  // "alice\0alice\0" is 12 bytes: 288 more make 300 bytes, 400 of base64.
  SECTION("exactly 400") {
    auto m = make(account_options(std::string(288, 'p')));
    up_to_plus(m);
    const auto b64 = sasl::encode_base64(std::string("alice\0alice\0", 12) + std::string(288, 'p'));
    REQUIRE(b64.size() == 400);
    CHECK(m.on_line("AUTHENTICATE +").send == "AUTHENTICATE " + b64 + "\r\nAUTHENTICATE +\r\n");
  }
  SECTION("more than 400") {
    auto m = make(account_options(std::string(400, 'q')));
    up_to_plus(m);
    const auto b64 = sasl::encode_base64(std::string("alice\0alice\0", 12) + std::string(400, 'q'));
    REQUIRE(b64.size() > 400);
    REQUIRE(b64.size() < 800);
    CHECK(m.on_line("AUTHENTICATE +").send ==
          "AUTHENTICATE " + b64.substr(0, 400) + "\r\nAUTHENTICATE " + b64.substr(400) + "\r\n");
  }
  SECTION("less than 400") {
    auto m = make(account_options("short"));
    up_to_plus(m);
    const auto sent = m.on_line("AUTHENTICATE +").send;
    CHECK(sent == authenticate(std::string("alice\0alice\0short", 17)));
    CHECK(sent.find("AUTHENTICATE +") == std::string::npos);
  }
}

TEST_CASE("irc login: failures show one line send CAP END and stay connected", "[client][irc][sasl]") {
  const auto numeric = GENERATE(as<std::string>{}, "904", "905", "906", "908", "902");
  auto m = make();
  up_to_plus(m);
  m.on_line("AUTHENTICATE +");
  const auto args = numeric == "908" ? std::string(" EXTERNAL :are available SASL mechanisms")
                                     : std::string(" :SASL authentication failed");
  const auto e = m.on_line(":irc.test " + numeric + " alice" + args);
  INFO(numeric);
  CHECK(e.send == "CAP END\r\n");
  REQUIRE(e.show.size() == 1);
  CHECK(e.show[0].starts_with("Login failed: "));
  CHECK(e.show[0].ends_with("Connected as a guest."));
  if (numeric == "904") CHECK(e.show[0] == "Login failed: wrong account or password. Connected as a guest.");
  CHECK_FALSE(e.quit);
  CHECK(m.account().empty());
  // No second try, and no second CAP END when another failure follows.
  const auto after = m.on_line(":irc.test 904 alice :SASL authentication failed");
  CHECK(after.send.empty());
  CHECK(after.show.empty());
  m.on_line(":irc.test 001 alice :Welcome");
  CHECK(m.registered());
}

TEST_CASE("irc login: a NAK of the request ends CAP with a failure line", "[client][irc][sasl]") {
  auto m = make();
  m.connected();
  m.on_line(":irc.test CAP * LS :sasl echo-message");
  const auto e = m.on_line(":irc.test CAP * NAK :echo-message sasl");
  CHECK(e.send == "CAP END\r\n");
  CHECK(shows(e, "Login failed"));
}

TEST_CASE("irc login: SCRAM-SHA-256 follows RFC 7677's example", "[client][irc][sasl]") {
  auto o = account_options("pencil");
  o.account = "user";
  auto m = make(o);
  up_to_plus(m, "sasl=PLAIN,SCRAM-SHA-256", "SCRAM-SHA-256");
  CHECK(m.on_line("AUTHENTICATE +").send == authenticate("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  const auto server_first =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  CHECK(m.on_line("AUTHENTICATE " + sasl::encode_base64(server_first)).send ==
        authenticate("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+"
                     "Ute9ytag9zjfMHgsqmmiz7AndVQ="));
  // The server's signature is right: an empty answer.
  CHECK(m.on_line("AUTHENTICATE " + sasl::encode_base64("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
            .send == "AUTHENTICATE +\r\n");
  m.on_line(":irc.test 900 alice alice!chat@host user :You are now logged in as user");
  const auto done = m.on_line(":irc.test 903 alice :SASL authentication successful");
  CHECK(done.send == "CAP END\r\n");
  CHECK(done.show == std::vector<std::string>{"Logged in as user"});
}

TEST_CASE("irc login: SCRAM-SHA-256 against the server's own exchange", "[client][irc][sasl]") {
  auto m = make();
  up_to_plus(m, "sasl=PLAIN,SCRAM-SHA-256", "SCRAM-SHA-256");
  sasl::scram_server server("serverpart");
  const auto credential = sasl::make_credential(kPassword);
  REQUIRE(credential);
  const auto decode = [](const std::string& line) {
    REQUIRE(line.starts_with("AUTHENTICATE "));
    REQUIRE(line.ends_with("\r\n"));
    return sasl::decode_base64(std::string_view(line).substr(13, line.size() - 15)).value();
  };
  REQUIRE(server.client_first(decode(m.on_line("AUTHENTICATE +").send)) == std::string("alice"));
  const auto first = server.server_first(*credential);
  const auto answer =
      server.client_final(decode(m.on_line("AUTHENTICATE " + sasl::encode_base64(first)).send));
  REQUIRE(answer);
  CHECK(m.on_line("AUTHENTICATE " + sasl::encode_base64(*answer)).send == "AUTHENTICATE +\r\n");
  CHECK(m.on_line(":irc.test 903 alice :SASL authentication successful").send == "CAP END\r\n");
}

TEST_CASE("irc login: a server that cannot sign the exchange is refused", "[client][irc][sasl]") {
  auto o = account_options("pencil");
  o.account = "user";
  auto m = make(o);
  up_to_plus(m, "sasl=SCRAM-SHA-256", "SCRAM-SHA-256");
  m.on_line("AUTHENTICATE +");
  m.on_line("AUTHENTICATE " +
            sasl::encode_base64(
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
  const auto e =
      m.on_line("AUTHENTICATE " + sasl::encode_base64("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
  CHECK(e.send == "AUTHENTICATE *\r\nCAP END\r\n");
  CHECK(shows(e, "Login failed: the server could not prove it knows the password"));
  // The 906 that answers the abort says nothing more.
  const auto aborted = m.on_line(":irc.test 906 alice :SASL authentication aborted");
  CHECK(aborted.show.empty());
  CHECK(aborted.send.empty());
}

TEST_CASE("irc login: a SCRAM challenge that is not ours is aborted", "[client][irc][sasl]") {
  auto m = make();
  up_to_plus(m, "sasl=SCRAM-SHA-256", "SCRAM-SHA-256");
  m.on_line("AUTHENTICATE +");
  SECTION("another nonce") {
    const auto e = m.on_line("AUTHENTICATE " + sasl::encode_base64("r=someoneelse,s=c2FsdA==,i=4096"));
    CHECK(e.send == "AUTHENTICATE *\r\nCAP END\r\n");
    CHECK(shows(e, "Login failed: the server sent a nonce that is not ours."));
  }
  SECTION("too many iterations") {
    const auto e =
        m.on_line("AUTHENTICATE " + sasl::encode_base64("r=rOprNGfwEbeRWgbNEkqOxyz,s=c2FsdA==,i=999999999"));
    CHECK(e.send == "AUTHENTICATE *\r\nCAP END\r\n");
    CHECK(shows(e, "an iteration count out of range"));
  }
  SECTION("not base64") {
    const auto e = m.on_line("AUTHENTICATE !!!!");
    CHECK(e.send == "AUTHENTICATE *\r\nCAP END\r\n");
  }
}

TEST_CASE("irc login: a server-first in two chunks is put together", "[client][irc][sasl]") {
  auto m = make();
  up_to_plus(m, "sasl=SCRAM-SHA-256", "SCRAM-SHA-256");
  m.on_line("AUTHENTICATE +");
  // A long server nonce makes the challenge longer than one chunk.
  const auto challenge = "r=rOprNGfwEbeRWgbNEkqO" + std::string(400, 'x') + ",s=c2FsdA==,i=4096";
  const auto pieces = sasl::chunks(sasl::encode_base64(challenge));
  REQUIRE(pieces.size() == 2);
  CHECK(m.on_line("AUTHENTICATE " + pieces[0]).send.empty());
  const auto final = m.on_line("AUTHENTICATE " + pieces[1]).send;
  CHECK(final.starts_with("AUTHENTICATE "));
  CHECK(final.find("AUTHENTICATE *") == std::string::npos);
}

TEST_CASE("irc login: the password is in no shown line", "[client][irc][sasl]") {
  transcript seen;
  const std::string password = "hunter2-secret";
  for (const auto* outcome : {"903", "904", "905", "906"}) {
    auto m = make(account_options(password));
    seen(m.connected());
    seen(m.on_line(":irc.test CAP * LS :sasl=PLAIN echo-message"));
    seen(m.on_line(":irc.test CAP * ACK :sasl echo-message"));
    const auto sent = seen(m.on_line("AUTHENTICATE +")).send;
    CHECK(sent.find(sasl::encode_base64(std::string("alice\0alice\0", 12) + password)) != std::string::npos);
    seen(m.on_line(":irc.test 900 alice alice!chat@host alice :You are now logged in as alice"));
    seen(m.on_line(std::string(":irc.test ") + outcome + " alice :done"));
    seen(m.on_line(":irc.test 001 alice :Welcome"));
    seen(m.on_input("!quote AUTHENTICATE *"));
    seen(m.on_input("!help"));
  }
  REQUIRE_FALSE(seen.lines.empty());
  CHECK_FALSE(seen.shows(password));
  CHECK_FALSE(seen.shows("hunter2"));
  CHECK_FALSE(seen.shows(sasl::encode_base64(std::string("alice\0alice\0", 12) + password)));
}

TEST_CASE("irc login: a reconnect logs in again", "[client][irc][sasl]") {
  auto m = make(account_options("pw"));
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    up_to_plus(m);
    CHECK(m.on_line("AUTHENTICATE +").send == authenticate(std::string("alice\0alice\0pw", 14)));
    CHECK(m.on_line(":irc.test 903 alice :SASL authentication successful").send == "CAP END\r\n");
    m.on_line(":irc.test 001 alice :Welcome");
    CHECK(m.registered());
  }
}

TEST_CASE("irc login: 900 outside a login shows the account", "[client][irc][sasl]") {
  irc_options o;
  o.nick = "alice";
  auto m = make(o);
  m.connected();
  m.on_line(":irc.test CAP * LS :multi-prefix");
  m.on_line(":irc.test 001 alice :Welcome");
  CHECK(m.on_line(":irc.test 900 alice alice!chat@host al :You are now logged in as al").show ==
        std::vector<std::string>{"Logged in as al"});
  CHECK(m.account() == "al");
}

TEST_CASE("scram client: the saslname escapes and the nonce is random", "[client][sasl]") {
  client::scram_client c("a,b=c", "pw", "nonce");
  CHECK(c.first() == "n,,n=a=2Cb=3Dc,r=nonce");
  const auto n1 = client::random_nonce();
  const auto n2 = client::random_nonce();
  CHECK(n1.size() == 32);
  CHECK(n1 != n2);
  CHECK(n1.find(',') == std::string::npos);
  CHECK_FALSE(c.verify("v=anything"));  // nothing to compare with before final()
}
