// rediss:// against a real redis-server with TLS, with a throwaway CA and
// server certificate made by the openssl command: verified, refused when
// the CA is not trusted, and accepted unverified when asked.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

#include "redis/client.hpp"
#include "redis/subscriber.hpp"
#include "support.hpp"
#include "support/redis_server.hpp"

using redis::errc;
using redis::state;
using namespace redis_test;

namespace {

// A CA and a server certificate for IP 127.0.0.1, in a fresh directory.
struct tls_files {
  tls_files() {
    std::string pattern = (std::filesystem::temp_directory_path() / "chat-redis-tls-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    const std::string d = dir.string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string script =
        "cd '" + d + "' && printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf" +
        " && openssl req -x509 -days 1 -subj /CN=chat-test-ca -keyout ca.key -out ca.crt" + ec +
        " && openssl req -subj /CN=127.0.0.1 -keyout server.key -out server.csr" + ec +
        " && openssl x509 -req -days 1 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        " -extfile ext.cnf -out server.crt";
    if (std::system((script + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("openssl failed");
  }
  tls_files(const tls_files&) = delete;
  tls_files& operator=(const tls_files&) = delete;
  ~tls_files() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::string file(const char* name) const { return (dir / name).string(); }

  std::filesystem::path dir;
};

struct tls_server {
  tls_server()
      : tls_port(test::free_port()),
        server({"--tls-port", std::to_string(tls_port), "--tls-cert-file", files.file("server.crt"),
                "--tls-key-file", files.file("server.key"), "--tls-ca-cert-file", files.file("ca.crt"),
                "--tls-auth-clients", "no"}) {}
  std::string url() const { return "rediss://127.0.0.1:" + std::to_string(tls_port); }

  tls_files files;
  std::uint16_t tls_port;
  test::redis_server server;
};

struct fixture {
  fixture(const std::string& url, redis::options o) : c(redis::client::create(io.io(), endpoint_of(url), o)) {
    c->on_state([this](state s) { states.push(s); });
    c->start();
  }
  ~fixture() {
    c->stop();
    drain(*c);
  }
  redis::result cmd(std::vector<std::string> args) { return io.run(c->command(std::move(args))); }

  io_thread io;
  recorder<state> states;
  std::shared_ptr<redis::client> c;
};

}  // namespace

TEST_CASE("tls client verifies the server against the given CA", "[tls]") {
  tls_server s;
  auto o = fast_options();
  o.tls_ca_file = s.files.file("ca.crt");
  fixture f(s.url(), o);
  REQUIRE(f.states.wait_for(state::up));
  REQUIRE(f.cmd({"SET", "over", "tls"}).has_value());
  auto get = f.cmd({"GET", "over"});
  REQUIRE(get.has_value());
  CHECK(get->as_string() == "tls");
  auto info = f.cmd({"INFO", "server"});
  REQUIRE(info.has_value());
  CHECK_THAT(std::string(info->as_string()), Catch::Contains("redis_version"));
}

TEST_CASE("tls client refuses a server it cannot verify", "[tls]") {
  tls_server s;
  fixture f(s.url(), fast_options());  // system roots: the test CA is not among them
  redis::result r;
  REQUIRE(eventually([&] {
    r = f.cmd({"PING"});
    return !r.has_value() && r.error().message.find("TLS handshake") != std::string::npos;
  }));
  CHECK(r.error().code == errc::down);
  CHECK_THAT(r.error().message, Catch::Contains("certificate verify failed"));
  CHECK_FALSE(f.c->is_up());
}

TEST_CASE("tls client without verification when asked", "[tls]") {
  tls_server s;
  auto o = fast_options();
  o.tls_verify = false;
  fixture f(s.url(), o);
  REQUIRE(f.states.wait_for(state::up));
  auto r = f.cmd({"PING"});
  REQUIRE(r.has_value());
  CHECK(r->as_string() == "PONG");
}

TEST_CASE("tls subscriber gets messages over TLS", "[tls]") {
  tls_server s;
  auto o = fast_options();
  o.tls_ca_file = s.files.file("ca.crt");
  io_thread io;
  recorder<state> states;
  recorder<std::string> got;
  auto sub = redis::subscriber::create(io.io(), endpoint_of(s.url()), o);
  sub->on_state([&](state st) { states.push(st); });
  sub->on_message([&](std::string_view, std::string_view payload) { got.push(std::string(payload)); });
  sub->subscribe("secure");
  sub->start();
  REQUIRE(states.wait_for(state::up));
  {
    fixture pub(s.url(), o);
    REQUIRE(pub.states.wait_for(state::up));
    auto n = pub.cmd({"PUBLISH", "secure", "sealed"});
    REQUIRE(n.has_value());
    CHECK(n->integer == 1);
  }
  CHECK(got.wait_for("sealed"));
  sub->stop();
  drain(*sub);
}
