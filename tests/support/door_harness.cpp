#include "support/door_harness.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>
#include <utility>

#include <asio/post.hpp>

#include "door/archive.hpp"
#include "protocol/seed.hpp"

namespace test {

chat::delivery fake_link::send(door::payload bytes, bool may_wait) {
  const std::lock_guard lock(mutex_);
  if (closing_) return chat::delivery::dropped;
  sent_ += *bytes;
  if (may_wait) ++deferred_;
  return backlogged_ ? chat::delivery::backlogged : chat::delivery::queued;
}

void fake_link::wait_until_drained() {
  const std::lock_guard lock(mutex_);
  drain_wait_ = true;
}

void fake_link::wait_for(std::vector<std::weak_ptr<chat::member>> recipients) {
  const std::lock_guard lock(mutex_);
  waits_for_ += recipients.size();
}

bool fake_link::congested() const {
  const std::lock_guard lock(mutex_);
  return backlogged_;
}

void fake_link::set_backlogged(bool b) {
  const std::lock_guard lock(mutex_);
  backlogged_ = b;
}

bool fake_link::take_drain_wait() {
  const std::lock_guard lock(mutex_);
  return std::exchange(drain_wait_, false);
}

std::size_t fake_link::waits_for() const {
  const std::lock_guard lock(mutex_);
  return waits_for_;
}

void fake_link::post(std::function<void()> f) {
  asio::post(io_, std::move(f));
}

void fake_link::close_after_flush() {
  const std::lock_guard lock(mutex_);
  closing_ = true;
}

void fake_link::arm_deadline(std::chrono::milliseconds after) {
  const std::lock_guard lock(mutex_);
  deadline_ = after;
}

void fake_link::disarm_deadline() {
  const std::lock_guard lock(mutex_);
  deadline_.reset();
}

bool fake_link::spend_token() {
  const std::lock_guard lock(mutex_);
  ++spent_;
  if (!tokens_) return true;
  if (*tokens_ == 0) return false;
  --*tokens_;
  return true;
}

bool fake_link::open() const {
  const std::lock_guard lock(mutex_);
  return !closing_;
}

door::clock::time_point fake_link::now() const {
  const std::lock_guard lock(mutex_);
  return now_ ? *now_ : door::clock::now();
}

std::string fake_link::bytes() const {
  const std::lock_guard lock(mutex_);
  return sent_;
}

std::size_t fake_link::deferred_sends() const {
  const std::lock_guard lock(mutex_);
  return deferred_;
}

std::vector<std::string> fake_link::take_lines() {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  std::string_view rest = std::string_view(sent_).substr(taken_);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    if (end == std::string_view::npos) break;  // an unterminated line stays for later
    out.emplace_back(rest.substr(0, end));
    rest.remove_prefix(end + 2);
    taken_ += end + 2;
  }
  return out;
}

std::vector<std::string> fake_link::take_frames() {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  protocol::seed::frame_decoder decoder;
  (void)decoder.consume(std::string_view(sent_).substr(taken_), [&](std::string_view payload) {
    out.emplace_back(payload);
    return true;
  });
  taken_ = sent_.size();
  return out;
}

std::optional<std::chrono::milliseconds> fake_link::deadline() const {
  const std::lock_guard lock(mutex_);
  return deadline_;
}

void fake_link::note_close_reason(metrics::disconnect why) {
  const std::lock_guard lock(mutex_);
  if (!close_reason_) close_reason_ = why;
}

std::optional<metrics::disconnect> fake_link::close_reason() const {
  const std::lock_guard lock(mutex_);
  return close_reason_;
}

bool fake_link::closing() const {
  const std::lock_guard lock(mutex_);
  return closing_;
}

void fake_link::set_tokens(std::size_t n) {
  const std::lock_guard lock(mutex_);
  tokens_ = n;
}

std::size_t fake_link::tokens_spent() const {
  const std::lock_guard lock(mutex_);
  return spent_;
}

void fake_link::set_now(door::clock::time_point t) {
  const std::lock_guard lock(mutex_);
  now_ = t;
}

door_harness::door_harness() : hub_(std::make_unique<chat::hub>(io_.get_executor())) {
  spdlog::set_level(spdlog::level::warn);  // doors log every login; tests need not see them
  irc_settings_.created = "2026-12-01 00:00:00 UTC";
}

door_harness::door_harness(std::shared_ptr<store::store> s)
    : hub_(std::make_unique<chat::hub>(io_.get_executor(), std::make_shared<door::archive>(s))) {
  spdlog::set_level(spdlog::level::warn);
  irc_settings_.created = "2026-12-01 00:00:00 UTC";
  irc_settings_.store = s;
  seed_settings_.store = std::move(s);
}

door_harness::~door_harness() {
  // Answers the store still owes the doors (a nick owner's lookup nobody
  // waited for) come first: they would post to links that are gone. Each of
  // the store's threads answers in order, so one request through each is
  // answered after them.
  if (const auto& s = irc_settings_.store) {
    (void)store::wait<store::account>([&](auto done) { s->find_account("", std::move(done)); });
    (void)store::wait<void>([&](auto done) { s->set_email("", "", std::move(done)); });
  }
  for (auto& c : clients_) c->stop();
  poll();
}

void door_harness::poll() {
  io_.restart();
  io_.poll();
}

void door_harness::client::send(std::string_view line) {
  std::string bytes(line);
  bytes += "\r\n";
  send_raw(bytes);
}

void door_harness::client::send_raw(std::string_view bytes) {
  door->on_bytes(bytes);
  harness->poll();
}

std::vector<std::string> door_harness::client::lines() {
  harness->poll();
  return link->take_lines();
}

std::vector<std::string> door_harness::client::lines_until(std::string_view part) {
  std::vector<std::string> got;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    harness->poll();
    bool found = false;
    for (auto& l : link->take_lines()) {
      found = found || l.find(part) != std::string::npos;
      got.push_back(std::move(l));
    }
    if (found) return got;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return got;
}

std::vector<std::string> door_harness::client::frames() {
  harness->poll();
  return link->take_frames();
}

void door_harness::client::stop() {
  if (stopped) return;
  stopped = true;
  door->on_stop();
  harness->poll();
}

door_harness::client& door_harness::irc(std::string address) {
  auto c = std::make_unique<client>();
  c->harness = this;
  c->link = std::make_unique<fake_link>(io_, std::move(address));
  auto d = std::make_shared<door::irc_door>(*c->link, *hub_, irc_settings_);
  c->link->serve(d);
  c->door = d;
  c->door->on_start();
  clients_.push_back(std::move(c));
  return *clients_.back();
}

door_harness::client& door_harness::irc_user(std::string_view nick, std::string address) {
  auto& c = irc(std::move(address));
  c.send("NICK " + std::string(nick));
  c.send("USER " + std::string(nick) + " 0 * :" + std::string(nick) + " Example");
  (void)c.lines();
  return c;
}

door_harness::client& door_harness::seed(std::string address) {
  auto c = std::make_unique<client>();
  c->harness = this;
  c->link = std::make_unique<fake_link>(io_, std::move(address));
  auto d = std::make_shared<door::seed_door>(*c->link, *hub_, seed_settings_);
  c->link->serve(d);
  c->door = d;
  c->door->on_start();
  clients_.push_back(std::move(c));
  return *clients_.back();
}

door_harness::client& door_harness::seed_user(std::string_view name) {
  auto& c = seed();
  c.send_raw(protocol::seed::encode_frame(name));
  (void)c.frames();
  return c;
}

bool has_line(const std::vector<std::string>& lines, std::string_view part) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

std::string find_line(const std::vector<std::string>& lines, std::string_view part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return l;
  return {};
}

std::size_t count_lines(const std::vector<std::string>& lines, std::string_view part) {
  return static_cast<std::size_t>(std::count_if(
      lines.begin(), lines.end(), [&](const std::string& l) { return l.find(part) != std::string::npos; }));
}

}  // namespace test
