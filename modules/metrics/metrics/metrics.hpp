// The server's counters, and their rendering in the Prometheus text
// exposition format (version 0.0.4) for GET /metrics. docs/metrics.md lists
// every metric.
//
// Counting must cost next to nothing on the hot paths (a message fans out to
// thousands of members on every event-loop thread), so no counter is an
// atomic shared between threads. Each thread that counts gets a shard of its
// own, made and registered in a global list (under a mutex) the first time
// it counts; a thread_local pointer finds it after that. A shard's slots are
// std::atomic<std::uint64_t> written only by their own thread, with a relaxed
// load and a relaxed store (a plain add, no lock prefix, no cache line
// bouncing between cores); render() reads every shard with relaxed loads and
// sums them. Shards are never freed, so what a thread counted survives its
// exit.
//
// A scrape is not a snapshot: it may see one thread's counts a little older
// than another's. Counters only grow, so each stays monotonic; the one gauge
// (connections open = opened - closed) is clamped at zero for the moment a
// close is seen before its open.
//
// Every function is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace metrics {

// Which front door a connection came through: label door="irc"|"seed".
enum class door_kind : std::uint8_t { irc, seed };
inline constexpr std::size_t kDoorKinds = 2;

// What carries it: label transport="tcp"|"tls"|"ws"|"wss".
enum class transport : std::uint8_t { tcp, tls, ws, wss };
inline constexpr std::size_t kTransports = 4;

// Why a connection ended: label reason=... (the names below, as written).
enum class disconnect : std::uint8_t {
  quit,           // the client said goodbye (IRC QUIT, seed logout)
  closed,         // the client went away: it closed, or reset the connection
  error,          // any other socket or TLS error (a failed handshake, say)
  sendq,          // its outbox passed its limit ("SendQ exceeded")
  flood,          // throttled input passed the RecvQ limit ("Excess Flood")
  ping_timeout,   // an IRC client that did not answer PING
  login_timeout,  // no IRC registration or seed username in time
  kill,           // an operator's KILL
  refused,        // the server turned it away: bad password, unusable or taken
                  // username, malformed input, a seed user put out of the lobby
  shutdown,       // the server is shutting down
};
inline constexpr std::size_t kDisconnects = 10;

// A connection was accepted and given its door.
void connection_opened(door_kind, transport) noexcept;
// That connection stopped; also counts its reason.
void connection_closed(door_kind, transport, disconnect) noexcept;
// A client completed IRC registration or its seed login.
void registered(door_kind) noexcept;
// A door accepted a chat message from its client (PRIVMSG, NOTICE, TAGMSG,
// a seed line or private message), whatever the room then decides.
void message_in(door_kind) noexcept;
// Payloads queued to clients: every line, seed frame or chunk of a long
// reply a connection takes for writing.
void message_out(std::uint64_t payloads = 1) noexcept;
// A chat message reached n recipients (its sender not counted): once per
// fan-out, not once per recipient.
void delivered(std::uint64_t n) noexcept;
// The time a room took to hand one message to all its members.
void fanout_time(std::chrono::nanoseconds) noexcept;
// An HTTP response's status code. Codes the server sends are labelled by
// their number; anything else counts as code="other".
void http_request(int status) noexcept;

// What a cluster node exchanged with the others through Redis: a frame
// published, one received and applied, one received and ignored (malformed,
// or of another version).
enum class cluster_frame : std::uint8_t { published, applied, ignored };
inline constexpr std::size_t kClusterFrames = 3;
void cluster_frames(cluster_frame what, std::uint64_t n = 1) noexcept;
// A cluster node's link to Redis (up or not) and how many other nodes it
// knows alive. Only a node calls it; the series appear once it has.
void cluster_state(bool redis_up, std::size_t other_nodes) noexcept;

// The whole exposition text, every series included (zeros too, so that
// dashboards see them from the start). The first labels the build with
// chat::version(); the second takes the version string to label it with.
std::string render();
std::string render(std::string_view version);

// The Content-Type to serve render() with.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace metrics
