// Who may connect: a cap on connections in all, on connections from one
// address, and on new connections per address per second (a token bucket,
// as for flood control). Thread-safe (one mutex): the accept loops admit,
// and connections release on their own strands when they stop.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <asio/ip/address.hpp>

#include "net/flood.hpp"

namespace net {

// 0: no cap but the open-file limit (the server derives one from it).
inline constexpr std::size_t kDefaultMaxConnections = 0;
// Connections open at once from one address; 0: no cap.
inline constexpr std::size_t kDefaultMaxPerAddress = 100;
// New connections from one address: this many at once, then this many per
// second; a rate of 0 turns the check off. The original benchmark's 60
// clients starting together pass.
inline constexpr double kDefaultConnectBurst = 100;
inline constexpr double kDefaultConnectRate = 10;
// File descriptors kept free for everything that is not a client when the
// connection cap is derived from the open-file limit.
inline constexpr std::size_t kReservedDescriptors = 64;

struct admission_limits {
  std::size_t max_connections = kDefaultMaxConnections;
  std::size_t max_per_address = kDefaultMaxPerAddress;
  double connect_burst = kDefaultConnectBurst;
  double connect_rate = kDefaultConnectRate;
};

enum class verdict { admitted, server_full, address_full, too_fast };

// The reason given to a refused client.
std::string_view describe(verdict v) noexcept;

class admission : public std::enable_shared_from_this<admission> {
 public:
  using clock = std::chrono::steady_clock;

  explicit admission(admission_limits lim) : limits_(lim) {}

  // Releases its slot when destroyed or reset. Movable.
  class ticket {
   public:
    ticket() = default;
    ticket(std::shared_ptr<admission> owner, asio::ip::address a)
        : owner_(std::move(owner)), address_(std::move(a)) {}
    ticket(ticket&&) noexcept = default;
    ticket& operator=(ticket&& other) noexcept {
      if (this != &other) {
        reset();
        owner_ = std::move(other.owner_);
        address_ = other.address_;
      }
      return *this;
    }
    ticket(const ticket&) = delete;
    ticket& operator=(const ticket&) = delete;
    ~ticket() { reset(); }
    void reset() {
      if (auto owner = std::exchange(owner_, nullptr)) owner->release(address_);
    }

   private:
    std::shared_ptr<admission> owner_;
    asio::ip::address address_;
  };

  // Takes a slot for a new connection from `a`, or says why not.
  verdict admit(asio::ip::address a, clock::time_point now, ticket& out);

  [[nodiscard]] std::size_t total() const;
  [[nodiscard]] std::size_t tracked_addresses() const;

 private:
  struct entry {
    std::size_t live = 0;
    token_bucket bucket;
  };
  void release(const asio::ip::address& a);
  void sweep(clock::time_point now);  // forgets idle addresses; mutex_ held

  admission_limits limits_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;                                    // guarded by mutex_
  std::unordered_map<asio::ip::address, entry> by_address_;  // guarded by mutex_
  std::size_t admits_since_sweep_ = 0;                       // guarded by mutex_
};

}  // namespace net
