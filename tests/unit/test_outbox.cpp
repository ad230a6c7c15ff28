// net::outbox: the bounded queue between producers and a connection's writer.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "net/limits.hpp"
#include "net/outbox.hpp"

using push_result = net::outbox::push_result;
using take_result = net::outbox::take_result;

namespace {

net::payload make(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

std::vector<std::string> texts(const std::vector<net::payload>& batch) {
  std::vector<std::string> out;
  for (const auto& p : batch) out.push_back(*p);
  return out;
}

}  // namespace

TEST_CASE("outbox hands out buffers in push order", "[outbox]") {
  net::outbox box(1024);
  CHECK(box.push(make("one")) == push_result::queued);
  CHECK(box.push(make("two")) == push_result::queued);
  CHECK(box.push(make("three")) == push_result::queued);
  CHECK(box.bytes() == 11);

  std::vector<net::payload> batch;
  REQUIRE(box.take(batch, 64) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"one", "two", "three"});

  // Nothing left: the writer goes idle.
  std::vector<net::payload> empty;
  CHECK(box.take(empty, 64) == take_result::idle);
  CHECK(empty.empty());
}

TEST_CASE("outbox shares buffers instead of copying them", "[outbox]") {
  net::outbox box(1024);
  auto p = make("shared");
  REQUIRE(box.push(p) == push_result::queued);
  std::vector<net::payload> batch;
  REQUIRE(box.take(batch, 1) == take_result::items);
  REQUIRE(batch.size() == 1);
  CHECK(batch[0].get() == p.get());
}

TEST_CASE("outbox take appends to the batch and respects max", "[outbox]") {
  net::outbox box(1024);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(box.push(make(std::to_string(i))) == push_result::queued);
  }
  std::vector<net::payload> batch{make("old")};
  REQUIRE(box.take(batch, 2) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"old", "0", "1"});
  batch.clear();
  REQUIRE(box.take(batch, 2) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"2", "3"});
  batch.clear();
  REQUIRE(box.take(batch, 2) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"4"});
  batch.clear();
  CHECK(box.take(batch, 2) == take_result::idle);
  CHECK(batch.empty());
}

TEST_CASE("outbox take respects kMaxWriteBatch", "[outbox]") {
  net::outbox box(1 << 20);
  for (std::size_t i = 0; i < net::kMaxWriteBatch * 2 + 1; ++i) {
    REQUIRE(box.push(make("m" + std::to_string(i))) != push_result::overflow);
  }
  std::vector<net::payload> batch;
  REQUIRE(box.take(batch, net::kMaxWriteBatch) == take_result::items);
  CHECK(batch.size() == net::kMaxWriteBatch);
  CHECK(*batch.front() == "m0");
  CHECK(*batch.back() == "m" + std::to_string(net::kMaxWriteBatch - 1));
  batch.clear();
  REQUIRE(box.take(batch, net::kMaxWriteBatch) == take_result::items);
  CHECK(batch.size() == net::kMaxWriteBatch);
  batch.clear();
  REQUIRE(box.take(batch, net::kMaxWriteBatch) == take_result::items);
  REQUIRE(batch.size() == 1);
  CHECK(*batch.front() == "m" + std::to_string(2 * net::kMaxWriteBatch));
}

TEST_CASE("outbox returns wake exactly once when the writer is idle", "[outbox]") {
  net::outbox box(1024);
  std::vector<net::payload> batch;
  // A fresh writer is not idle until it asked and found nothing.
  REQUIRE(box.take(batch, 64) == take_result::idle);
  CHECK(box.push(make("a")) == push_result::wake);
  CHECK(box.push(make("b")) == push_result::queued);
  CHECK(box.push(make("c")) == push_result::queued);

  REQUIRE(box.take(batch, 64) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"a", "b", "c"});
  batch.clear();

  // The writer went idle again: the next push wakes it again, once.
  REQUIRE(box.take(batch, 64) == take_result::idle);
  CHECK(box.push(make("d")) == push_result::wake);
  CHECK(box.push(make("e")) == push_result::queued);
}

TEST_CASE("outbox frees its queue storage when the writer goes idle", "[outbox][memory]") {
  net::outbox box(1 << 20);
  std::vector<net::payload> batch;
  REQUIRE(box.take(batch, 64) == take_result::idle);
  CHECK(box.reserved() == 0);
  for (int i = 0; i < 100; ++i) box.push(make("burst"));
  CHECK(box.reserved() >= 100);
  // Taking everything keeps the storage for the next burst of this round...
  REQUIRE(box.take(batch, 1000) == take_result::items);
  CHECK(batch.size() == 100);
  CHECK(box.reserved() >= 100);
  // ...and finding nothing left releases it.
  batch.clear();
  REQUIRE(box.take(batch, 64) == take_result::idle);
  CHECK(box.reserved() == 0);
  CHECK(box.push(make("again")) == push_result::wake);
  REQUIRE(box.take(batch, 64) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"again"});
}

TEST_CASE("outbox: a refilled queue reserves what the last batch needed, within bounds", "[outbox]") {
  net::outbox box(1 << 20);
  std::vector<net::payload> batch;
  auto round = [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) box.push(make("m"));
    REQUIRE(box.take(batch, 1 << 20) == take_result::items);
    batch.clear();
    REQUIRE(box.take(batch, 64) == take_result::idle);
    REQUIRE(box.reserved() == 0);  // idle: no storage held
  };
  REQUIRE(box.take(batch, 64) == take_result::idle);
  // A first push reserves kOutboxFirstSlots...
  box.push(make("first"));
  CHECK(box.reserved() == net::kOutboxFirstSlots);
  REQUIRE(box.take(batch, 64) == take_result::items);
  batch.clear();
  REQUIRE(box.take(batch, 64) == take_result::idle);
  // ...then as many as the last batch held, in one allocation...
  round(37);
  box.push(make("next"));
  CHECK(box.reserved() == 37);
  REQUIRE(box.take(batch, 64) == take_result::items);
  batch.clear();
  REQUIRE(box.take(batch, 64) == take_result::idle);
  // ...but never more than kMaxOutboxHint up front.
  round(net::kMaxOutboxHint + 100);
  box.push(make("capped"));
  CHECK(box.reserved() == net::kMaxOutboxHint);
}

TEST_CASE("outbox: bytes that may wait wake the writer later, urgent ones now", "[outbox]") {
  net::outbox box(1024);
  std::vector<net::payload> batch;
  REQUIRE(box.take(batch, 64) == take_result::idle);
  // An idle writer is woken later for bytes that may wait...
  CHECK(box.push(make("JOIN"), /*may_wait=*/true) == push_result::wake_later);
  CHECK(box.push(make("PART"), /*may_wait=*/true) == push_result::queued);
  // ...and at once by the first that may not, which takes them along.
  CHECK(box.push(make("PRIVMSG"), /*may_wait=*/false) == push_result::wake);
  CHECK(box.push(make("PRIVMSG 2"), /*may_wait=*/false) == push_result::queued);
  REQUIRE(box.take(batch, 64) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"JOIN", "PART", "PRIVMSG", "PRIVMSG 2"});
  batch.clear();

  // A flush that comes first (the deferred wake) ends the wait: later
  // urgent bytes find a busy writer and need no wake of their own.
  REQUIRE(box.take(batch, 64) == take_result::idle);
  CHECK(box.push(make("QUIT"), /*may_wait=*/true) == push_result::wake_later);
  REQUIRE(box.take(batch, 64) == take_result::items);
  CHECK(box.push(make("PRIVMSG 3"), /*may_wait=*/false) == push_result::queued);
  // A busy writer finds what may wait without any wake.
  CHECK(box.push(make("NICK"), /*may_wait=*/true) == push_result::queued);
  REQUIRE(box.take(batch, 64) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"QUIT", "PRIVMSG 3", "NICK"});
}

TEST_CASE("outbox limit edge", "[outbox][limits]") {
  net::outbox box(10);
  CHECK(box.push(make("12345")) == push_result::queued);
  CHECK(box.push(make("67890")) == push_result::queued);  // exactly 10 bytes
  CHECK(box.bytes() == 10);
  CHECK(box.push(make("")) == push_result::queued);  // an empty buffer still fits

  // One more byte overflows: nothing is queued and the outbox is closed.
  CHECK(box.push(make("x")) == push_result::overflow);
  CHECK(box.push(make("")) == push_result::closed);
  CHECK(box.push(make("y")) == push_result::closed);
  std::vector<net::payload> batch;
  CHECK(box.take(batch, 64) == take_result::drained);
  CHECK(batch.empty());
}

TEST_CASE("outbox single buffer above the limit overflows", "[outbox][limits]") {
  net::outbox box(4);
  CHECK(box.push(make("12345")) == push_result::overflow);
  CHECK(box.push(make("1")) == push_result::closed);
}

TEST_CASE("outbox default limit edge", "[outbox][limits]") {
  net::outbox box(net::kDefaultOutboxLimit);
  CHECK(box.push(make(std::string(net::kDefaultOutboxLimit - 1, 'a'))) == push_result::queued);
  CHECK(box.push(make("b")) == push_result::queued);
  CHECK(box.bytes() == net::kDefaultOutboxLimit);
  CHECK(box.push(make("c")) == push_result::overflow);
}

TEST_CASE("outbox counts bytes in flight until written()", "[outbox][limits]") {
  net::outbox box(10);
  REQUIRE(box.push(make("0123456789")) == push_result::queued);
  std::vector<net::payload> batch;
  REQUIRE(box.take(batch, 64) == take_result::items);
  // Taken but not yet written: still counts against the limit.
  CHECK(box.bytes() == 10);
  CHECK(box.push(make("x")) == push_result::overflow);

  net::outbox box2(10);
  REQUIRE(box2.push(make("0123456789")) == push_result::queued);
  batch.clear();
  REQUIRE(box2.take(batch, 64) == take_result::items);
  box2.written(4);
  CHECK(box2.bytes() == 6);
  CHECK(box2.push(make("abcd")) == push_result::queued);
  CHECK(box2.bytes() == 10);
  CHECK(box2.push(make("e")) == push_result::overflow);
}

TEST_CASE("outbox written() releases bytes and never underflows", "[outbox]") {
  net::outbox box(100);
  REQUIRE(box.push(make("hello")) == push_result::queued);
  REQUIRE(box.push(make("world")) == push_result::queued);
  CHECK(box.bytes() == 10);
  std::vector<net::payload> batch;
  REQUIRE(box.take(batch, 64) == take_result::items);
  box.written(5);
  CHECK(box.bytes() == 5);
  box.written(5);
  CHECK(box.bytes() == 0);
  box.written(7);
  CHECK(box.bytes() == 0);
  // The full limit is available again.
  CHECK(box.push(make(std::string(100, 'z'))) == push_result::queued);
}

TEST_CASE("outbox seal lets queued data drain", "[outbox]") {
  net::outbox box(1024);
  REQUIRE(box.push(make("last words")) == push_result::queued);
  REQUIRE(box.push(make("bye")) == push_result::queued);
  // The writer is not idle (it has not asked yet), so no wake is needed.
  CHECK_FALSE(box.seal());
  CHECK(box.push(make("too late")) == push_result::closed);

  std::vector<net::payload> batch;
  REQUIRE(box.take(batch, 1) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"last words"});
  batch.clear();
  REQUIRE(box.take(batch, 64) == take_result::items);
  CHECK(texts(batch) == std::vector<std::string>{"bye"});
  batch.clear();
  CHECK(box.take(batch, 64) == take_result::drained);
  CHECK(box.take(batch, 64) == take_result::drained);
  CHECK(batch.empty());
}

TEST_CASE("outbox seal wakes an idle writer once", "[outbox]") {
  net::outbox box(1024);
  std::vector<net::payload> batch;
  REQUIRE(box.take(batch, 64) == take_result::idle);
  CHECK(box.seal());
  CHECK_FALSE(box.seal());
  CHECK(box.take(batch, 64) == take_result::drained);
  CHECK(batch.empty());
}

TEST_CASE("outbox close drops what is queued", "[outbox]") {
  net::outbox box(1024);
  REQUIRE(box.push(make("dropped")) == push_result::queued);
  REQUIRE(box.push(make("also dropped")) == push_result::queued);
  box.close();
  CHECK(box.push(make("after")) == push_result::closed);
  std::vector<net::payload> batch;
  CHECK(box.take(batch, 64) == take_result::drained);
  CHECK(batch.empty());
}

TEST_CASE("outbox close after seal still drops", "[outbox]") {
  net::outbox box(1024);
  REQUIRE(box.push(make("queued")) == push_result::queued);
  CHECK_FALSE(box.seal());
  box.close();
  std::vector<net::payload> batch;
  CHECK(box.take(batch, 64) == take_result::drained);
  CHECK(batch.empty());
}
