// Doors without sockets: a fake link that records what a door sends and asks
// for, and a harness with a real hub (rooms on an io_context, run by hand)
// and as many IRC or seed doors as a test connects.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>

#include "chat/hub.hpp"
#include "door/irc_door.hpp"
#include "door/irc_settings.hpp"
#include "door/link.hpp"
#include "door/seed_door.hpp"
#include "store/store.hpp"

namespace test {

// What a door did through its link. Thread-safe (rooms deliver from the
// io_context; the harness runs it on the test's thread, but the lock keeps
// that an implementation detail).
class fake_link final : public door::link {
 public:
  explicit fake_link(asio::io_context& io, std::string address = "127.0.0.1")
      : io_(io), address_(std::move(address)), label_(address_ + ":50000") {}

  chat::delivery send(door::payload bytes, bool may_wait) override;
  void wait_until_drained() override;
  void hold_input(bool on) override { held_ = on; }
  bool held() const { return held_; }
  void wait_for(std::vector<std::weak_ptr<chat::member>> recipients) override;
  [[nodiscard]] bool congested() const override;
  void post(std::function<void()> f) override;
  void close_after_flush() override;
  void note_close_reason(metrics::disconnect why) override;
  void arm_deadline(std::chrono::milliseconds after) override;
  void disarm_deadline() override;
  bool spend_token() override;
  [[nodiscard]] bool open() const override;
  [[nodiscard]] const std::string& remote_address() const override { return address_; }
  [[nodiscard]] std::string remote_label() const override { return label_; }
  [[nodiscard]] std::shared_ptr<door::door> handle() override { return door_.lock(); }
  // The door this link serves (its handle()).
  void serve(const std::shared_ptr<door::door>& d) { door_ = d; }
  [[nodiscard]] bool secure() const override { return false; }
  // The client certificate's fingerprint (default: none). Set it before
  // the door needs it, as the handshake would.
  [[nodiscard]] const std::string& certfp() const override { return certfp_; }
  void set_certfp(std::string fp) { certfp_ = std::move(fp); }
  [[nodiscard]] door::clock::time_point now() const override;

  // Everything sent so far, as one string, and how many sends were marked
  // may_wait.
  std::string bytes() const;
  std::size_t deferred_sends() const;
  // Takes the bytes sent since the last call, split into lines without CRLF
  // (IRC), or into seed payloads (seed).
  std::vector<std::string> take_lines();
  std::vector<std::string> take_frames();

  // The deadline the door asked for, if armed.
  std::optional<std::chrono::milliseconds> deadline() const;
  bool closing() const;
  // The first close reason the door noted, if any.
  std::optional<metrics::disconnect> close_reason() const;
  // Tokens spend_token() grants before it says "stop" (default: unlimited).
  void set_tokens(std::size_t n);
  std::size_t tokens_spent() const;
  // Backpressure and long replies: what send() reports (backlogged when
  // set), whether the door asked to wait for the queue to drain (cleared
  // by reading it), and the recipients it was asked to wait for.
  void set_backlogged(bool b);
  bool take_drain_wait();
  std::size_t waits_for() const;
  // The time now() reports (default: the real clock).
  void set_now(door::clock::time_point t);

 private:
  asio::io_context& io_;
  const std::string address_;
  const std::string label_;
  std::string certfp_;
  mutable std::mutex mutex_;
  std::string sent_;
  std::size_t taken_ = 0;
  std::size_t deferred_ = 0;
  std::optional<std::chrono::milliseconds> deadline_;
  bool closing_ = false;
  std::optional<metrics::disconnect> close_reason_;
  std::optional<std::size_t> tokens_;
  std::size_t spent_ = 0;
  std::optional<door::clock::time_point> now_;
  std::weak_ptr<door::door> door_;
  bool backlogged_ = false;
  bool drain_wait_ = false;
  bool held_ = false;
  std::size_t waits_for_ = 0;
};

// A hub and doors connected to it. Doors are kept alive by the harness; rooms
// run on io(), which poll() runs until nothing is left to do.
class door_harness {
 public:
  door_harness();
  // With a store: the hub keeps history and registered channels in it
  // (through door::archive), and the doors have it for accounts.
  explicit door_harness(std::shared_ptr<store::store> s);
  ~door_harness();
  door_harness(const door_harness&) = delete;
  door_harness& operator=(const door_harness&) = delete;

  struct client {
    std::unique_ptr<fake_link> link;
    std::shared_ptr<door::door> door;
    door_harness* harness = nullptr;

    // Feeds a line (CRLF added) or raw bytes to the door, then runs the rooms.
    void send(std::string_view line);
    void send_raw(std::string_view bytes);
    // The lines (IRC) or frames (seed) sent to this client since last asked,
    // after running the rooms.
    std::vector<std::string> lines();
    std::vector<std::string> frames();
    // The lines sent since last asked, once one contains `part`: runs the
    // rooms until it comes (answers from a store come from its threads) or
    // a generous time passes.
    std::vector<std::string> lines_until(std::string_view part);
    // The connection went away (EOF): the door's on_stop.
    void stop();
    bool stopped = false;
  };

  // A new IRC door, not registered.
  client& irc(std::string address = "127.0.0.1");
  // A new IRC door registered as `nick` (NICK, USER), its welcome burst read.
  client& irc_user(std::string_view nick, std::string address = "127.0.0.1");
  // A new seed door, and one logged in as `name` (its first frames read).
  client& seed(std::string address = "127.0.0.1");
  client& seed_user(std::string_view name);

  // Runs the rooms' pending work.
  void poll();

  asio::io_context& io() noexcept { return io_; }
  chat::hub& hub() noexcept { return *hub_; }
  door::irc_settings& irc_settings() noexcept { return irc_settings_; }
  door::seed_settings& seed_settings() noexcept { return seed_settings_; }

 private:
  asio::io_context io_;
  std::unique_ptr<chat::hub> hub_;
  door::irc_settings irc_settings_;
  door::seed_settings seed_settings_;
  std::vector<std::unique_ptr<client>> clients_;
};

// True if some line of `lines` contains `part`.
bool has_line(const std::vector<std::string>& lines, std::string_view part);
// The first line of `lines` that contains `part`, or "".
std::string find_line(const std::vector<std::string>& lines, std::string_view part);
// How many lines of `lines` contain `part`.
std::size_t count_lines(const std::vector<std::string>& lines, std::string_view part);

}  // namespace test
