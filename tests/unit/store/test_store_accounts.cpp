// Accounts, certificates, registered channels and read markers in a real
// SQLite file and in a real Redis (each test runs against both): folded names, conflicts, cascades, markers
// that only move forward.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace store_test;
using store::errc;

namespace {

store::account make_account(const std::string& name) {
  store::account a;
  a.name = name;
  a.email = name + "@example.org";
  a.created_ms = 1'700'000'000'000;
  a.credential.salt = std::string("s\0lt", 4);  // bytes, not text
  a.credential.iterations = 4096;
  a.credential.stored_key = std::string(32, '\xAA');
  a.credential.server_key = std::string(32, '\x01');
  return a;
}

store::result<void> create(store::store& s, const store::account& a) {
  return store::wait<void>([&](auto cb) { s.create_account(a, cb); });
}
store::result<store::account> find(store::store& s, const std::string& name) {
  return store::wait<store::account>([&](auto cb) { s.find_account(name, cb); });
}
store::result<store::account> by_cert(store::store& s, const std::string& fp) {
  return store::wait<store::account>([&](auto cb) { s.find_account_by_cert(fp, cb); });
}
store::result<void> add_cert(store::store& s, const std::string& name, const std::string& fp) {
  return store::wait<void>([&](auto cb) { s.add_cert(name, fp, cb); });
}
store::result<void> save(store::store& s, const store::channel& c) {
  return store::wait<void>([&](auto cb) { s.save_channel(c, cb); });
}
std::vector<store::channel> channels(store::store& s) {
  auto r = store::wait<std::vector<store::channel>>([&](auto cb) { s.list_channels(cb); });
  if (!r) FAIL("list_channels: " << store::describe(r.error()));
  return *r;
}
store::channel make_channel(const std::string& name, const std::string& founder) {
  store::channel c;
  c.name = name;
  c.founder = founder;
  c.registered_ms = 5;
  c.topic = "welcome";
  c.topic_by = founder + "!u@h";
  c.topic_at_ms = 6;
  c.modes = "+nt";
  return c;
}

}  // namespace

TEST_CASE("store: an account is created and found by its folded name") {
  STORE_FIXTURE(f);
  auto s = f.open();
  const auto a = make_account("Alice");
  REQUIRE(create(*s, a));
  auto got = find(*s, "ALICE");
  REQUIRE(got);
  CHECK(got->name == "Alice");
  CHECK(got->email == "Alice@example.org");
  CHECK(got->created_ms == a.created_ms);
  CHECK(got->credential == a.credential);
  CHECK(got->certfps.empty());
  // Taken, whatever the case.
  auto again = create(*s, make_account("aLiCe"));
  REQUIRE_FALSE(again);
  CHECK(again.error() == errc::exists);
  auto none = find(*s, "bob");
  REQUIRE_FALSE(none);
  CHECK(none.error() == errc::not_found);
}

TEST_CASE("store: credential and email change") {
  STORE_FIXTURE(f);
  auto s = f.open();
  REQUIRE(create(*s, make_account("bob")));
  protocol::sasl::scram_credential c;
  c.salt = "newsalt";
  c.iterations = 8192;
  c.stored_key = "sk";
  c.server_key = "vk";
  REQUIRE(store::wait<void>([&](auto cb) { s->set_credential("BOB", c, cb); }));
  REQUIRE(store::wait<void>([&](auto cb) { s->set_email("Bob", "b@b.example", cb); }));
  auto got = find(*s, "bob");
  REQUIRE(got);
  CHECK(got->credential == c);
  CHECK(got->email == "b@b.example");
  auto missing = store::wait<void>([&](auto cb) { s->set_email("nobody", "x", cb); });
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == errc::not_found);
  auto missing2 = store::wait<void>([&](auto cb) { s->set_credential("nobody", c, cb); });
  REQUIRE_FALSE(missing2);
  CHECK(missing2.error() == errc::not_found);
}

TEST_CASE("store: certificates are added found and deleted") {
  STORE_FIXTURE(f);
  auto s = f.open();
  auto a = make_account("carol");
  a.certfps = {"AB12"};
  REQUIRE(create(*s, a));
  REQUIRE(create(*s, make_account("dave")));
  REQUIRE(add_cert(*s, "Carol", "cd34"));
  REQUIRE(add_cert(*s, "carol", "CD34"));  // hers already: fine

  auto got = by_cert(*s, "ab12");
  REQUIRE(got);
  CHECK(got->name == "carol");
  CHECK(got->certfps == std::vector<std::string>{"ab12", "cd34"});

  // Someone else's fingerprint is taken; an unknown account is not found.
  auto taken = add_cert(*s, "dave", "AB12");
  REQUIRE_FALSE(taken);
  CHECK(taken.error() == errc::exists);
  auto nobody = add_cert(*s, "nobody", "ef56");
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error() == errc::not_found);

  REQUIRE(store::wait<void>([&](auto cb) { s->del_cert("carol", "ab12", cb); }));
  auto gone = by_cert(*s, "ab12");
  REQUIRE_FALSE(gone);
  CHECK(gone.error() == errc::not_found);
  // Not dave's to delete.
  auto not_his = store::wait<void>([&](auto cb) { s->del_cert("dave", "cd34", cb); });
  REQUIRE_FALSE(not_his);
  CHECK(not_his.error() == errc::not_found);
  CHECK(by_cert(*s, "cd34"));
}

TEST_CASE("store: an account has at most kMaxCertsPerAccount certificates") {
  STORE_FIXTURE(f);
  auto s = f.open();
  REQUIRE(create(*s, make_account("ivy")));
  const auto fp = [](std::size_t i) { return "c" + std::to_string(i); };
  for (std::size_t i = 0; i < store::kMaxCertsPerAccount; ++i) REQUIRE(add_cert(*s, "ivy", fp(i)));
  // One more is refused, and not kept; one it has already is still fine.
  auto more = add_cert(*s, "ivy", "c-extra");
  REQUIRE_FALSE(more);
  CHECK(more.error() == errc::limit);
  CHECK_FALSE(by_cert(*s, "c-extra"));
  CHECK(add_cert(*s, "IVY", "C0"));
  auto got = find(*s, "ivy");
  REQUIRE(got);
  CHECK(got->certfps.size() == store::kMaxCertsPerAccount);
  // Room again after a deletion.
  REQUIRE(store::wait<void>([&](auto cb) { s->del_cert("ivy", fp(3), cb); }));
  CHECK(add_cert(*s, "ivy", "c-extra"));
}

TEST_CASE("store: an account whose certificate is taken is not created at all") {
  STORE_FIXTURE(f);
  auto s = f.open();
  auto a = make_account("erin");
  a.certfps = {"ff00"};
  REQUIRE(create(*s, a));
  auto b = make_account("frank");
  b.certfps = {"aa11", "FF00"};
  auto r = create(*s, b);
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::exists);
  // Its savepoint took the account row and its first certificate back.
  CHECK_FALSE(find(*s, "frank"));
  CHECK_FALSE(by_cert(*s, "aa11"));
}

TEST_CASE("store: dropping an account takes its certificates channels and markers") {
  STORE_FIXTURE(f);
  auto s = f.open();
  auto a = make_account("gina");
  a.certfps = {"0a0a"};
  REQUIRE(create(*s, a));
  REQUIRE(create(*s, make_account("hank")));
  REQUIRE(save(*s, make_channel("#Gina", "gina")));
  REQUIRE(save(*s, make_channel("#hank", "Hank")));
  REQUIRE(store::wait<std::int64_t>([&](auto cb) { s->set_read_marker("gina", "#gina", 10, cb); }));

  REQUIRE(store::wait<void>([&](auto cb) { s->drop_account("GINA", cb); }));
  CHECK_FALSE(find(*s, "gina"));
  CHECK_FALSE(by_cert(*s, "0a0a"));
  const auto left = channels(*s);
  REQUIRE(left.size() == 1);
  CHECK(left[0].name == "#hank");
  auto m = store::wait<std::optional<std::int64_t>>([&](auto cb) { s->read_marker("gina", "#gina", cb); });
  REQUIRE(m);
  CHECK_FALSE(m->has_value());

  auto again = store::wait<void>([&](auto cb) { s->drop_account("gina", cb); });
  REQUIRE_FALSE(again);
  CHECK(again.error() == errc::not_found);
}

TEST_CASE("store: accounts are listed with their certificates") {
  STORE_FIXTURE(f);
  auto s = f.open();
  auto a = make_account("Zed");
  a.certfps = {"02", "01"};
  REQUIRE(create(*s, a));
  REQUIRE(create(*s, make_account("amy")));
  auto all = store::wait<std::vector<store::account>>([&](auto cb) { s->list_accounts(cb); });
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].name == "amy");
  CHECK((*all)[0].certfps.empty());
  CHECK((*all)[1].name == "Zed");
  CHECK((*all)[1].certfps == std::vector<std::string>{"01", "02"});
}

TEST_CASE("store: channels are saved replaced listed and dropped") {
  STORE_FIXTURE(f);
  auto s = f.open();
  REQUIRE(create(*s, make_account("Ivy")));
  auto c = make_channel("#Garden", "Ivy");
  REQUIRE(save(*s, c));
  REQUIRE(channels(*s) == std::vector<store::channel>{c});
  c.topic = "new topic";
  c.modes = "+ntm";
  REQUIRE(save(*s, c));  // replaces
  REQUIRE(channels(*s) == std::vector<store::channel>{c});

  // A founder that is no account.
  auto orphan = save(*s, make_channel("#nobody", "nobody"));
  REQUIRE_FALSE(orphan);
  CHECK(orphan.error() == errc::not_found);

  REQUIRE(store::wait<void>([&](auto cb) { s->drop_channel("#GARDEN", cb); }));
  CHECK(channels(*s).empty());
  auto again = store::wait<void>([&](auto cb) { s->drop_channel("#garden", cb); });
  REQUIRE_FALSE(again);
  CHECK(again.error() == errc::not_found);
}

TEST_CASE("store: read markers only move forward") {
  STORE_FIXTURE(f);
  auto s = f.open();
  REQUIRE(create(*s, make_account("jo")));
  const auto set = [&](std::int64_t t) {
    auto r = store::wait<std::int64_t>([&](auto cb) { s->set_read_marker("Jo", "#Room", t, cb); });
    REQUIRE(r);
    return *r;
  };
  const auto get = [&]() {
    auto r = store::wait<std::optional<std::int64_t>>([&](auto cb) { s->read_marker("jo", "#room", cb); });
    REQUIRE(r);
    return *r;
  };
  CHECK_FALSE(get().has_value());
  CHECK(set(100) == 100);
  CHECK(set(50) == 100);  // earlier: stays
  CHECK(get() == std::optional<std::int64_t>(100));
  CHECK(set(200) == 200);
  CHECK(get() == std::optional<std::int64_t>(200));
  auto nobody = store::wait<std::int64_t>([&](auto cb) { s->set_read_marker("nobody", "#room", 1, cb); });
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error() == errc::not_found);
}

TEST_CASE("store: an account keeps at most kMaxReadMarkers read markers") {
  STORE_FIXTURE(f);
  auto s = f.open();
  REQUIRE(create(*s, make_account("kim")));
  // kMaxReadMarkers of them, the first furthest back; the writer takes them
  // in order, so waiting for the last waits for all.
  for (std::size_t i = 0; i + 1 < store::kMaxReadMarkers; ++i) {
    s->set_read_marker("kim", "#r" + std::to_string(i), 1000 + static_cast<std::int64_t>(i), [](auto) {});
  }
  REQUIRE(store::wait<std::int64_t>([&](auto cb) { s->set_read_marker("kim", "#last", 5000, cb); }));
  auto all = store::wait<std::vector<store::read_mark>>([&](auto cb) { s->read_markers("KIM", cb); });
  REQUIRE(all);
  REQUIRE(all->size() == store::kMaxReadMarkers);  // at the limit: all kept

  // One more: the marker furthest back (#r0) goes; the new one stays, even
  // when it points further back than any.
  REQUIRE(store::wait<std::int64_t>([&](auto cb) { s->set_read_marker("kim", "#old", 1, cb); }));
  all = store::wait<std::vector<store::read_mark>>([&](auto cb) { s->read_markers("kim", cb); });
  REQUIRE(all);
  CHECK(all->size() == store::kMaxReadMarkers);
  const auto has = [&](std::string_view t) {
    return std::any_of(all->begin(), all->end(), [&](const store::read_mark& m) { return m.target == t; });
  };
  CHECK(has("#old"));
  CHECK_FALSE(has("#r0"));
  CHECK(has("#r1"));
  CHECK(has("#last"));
  // Another account's are its own.
  REQUIRE(create(*s, make_account("lee")));
  REQUIRE(store::wait<std::int64_t>([&](auto cb) { s->set_read_marker("lee", "#r0", 7, cb); }));
  auto lee = store::wait<std::vector<store::read_mark>>([&](auto cb) { s->read_markers("lee", cb); });
  REQUIRE(lee);
  CHECK(*lee == std::vector<store::read_mark>{{"#r0", 7}});
}

TEST_CASE("store: a refused change does not spoil the history committed with it") {
  STORE_FIXTURE(f);
  auto o = f.options();
  o.commit_interval = std::chrono::milliseconds(500);  // the line and the change share a group
  auto s = f.open(o);
  REQUIRE(create(*s, make_account("kim")));
  s->append(make_line("#k", "k1", 1));
  auto r = create(*s, make_account("KIM"));
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::exists);
  s->append(make_line("#k", "k2", 2));
  store::query q;
  q.target = "#k";
  q.a.none = true;
  CHECK(msgids(history(*s, q)) == std::vector<std::string>{"k1", "k2"});
  CHECK(s->snapshot().failures == 0);
}
