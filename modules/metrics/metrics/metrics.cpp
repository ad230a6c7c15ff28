// Per-thread shards of counters (the header says why) and the exposition
// text they are summed into.
#include "metrics/metrics.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstddef>
#include <mutex>
#include <vector>

#include "version/version.hpp"

namespace metrics {

namespace {

// The header's counts must follow its enums: a value added there needs its
// name here.
static_assert(static_cast<std::size_t>(door_kind::seed) + 1 == kDoorKinds);
static_assert(static_cast<std::size_t>(transport::wss) + 1 == kTransports);
static_assert(static_cast<std::size_t>(disconnect::shutdown) + 1 == kDisconnects);

constexpr std::array<std::string_view, kDoorKinds> kDoorNames{"irc", "seed"};
constexpr std::array<std::string_view, kTransports> kTransportNames{"tcp", "tls", "ws", "wss"};
constexpr std::array<std::string_view, kDisconnects> kReasonNames{
    "quit",         "closed",        "error", "sendq",   "flood",
    "ping_timeout", "login_timeout", "kill",  "refused", "shutdown"};

// The fan-out histogram's upper bounds, from one member's deliver() (a
// microsecond) to a room of tens of thousands (100 ms). Kept in whole
// nanoseconds, so that `le` is exact and inclusive: a fan-out of exactly
// 10 µs counts in le="1e-05".
struct bucket_bound {
  std::int64_t ns;
  std::string_view le;
};
constexpr std::array<bucket_bound, 10> kFanoutBounds{{
    {1'000, "1e-06"},
    {5'000, "5e-06"},
    {10'000, "1e-05"},
    {50'000, "5e-05"},
    {100'000, "0.0001"},
    {500'000, "0.0005"},
    {1'000'000, "0.001"},
    {5'000'000, "0.005"},
    {10'000'000, "0.01"},
    {100'000'000, "0.1"},
}};
constexpr std::size_t kFanoutBuckets = kFanoutBounds.size() + 1;  // and +Inf

// The status codes the HTTP listener sends, each its own series; anything
// else is "other", so a client cannot make new series.
constexpr std::array<int, 14> kHttpCodes{101, 200, 304, 400, 403, 404, 405,
                                         408, 413, 414, 426, 431, 500, 503};
constexpr std::size_t kHttpSlots = kHttpCodes.size() + 1;  // and "other"

// Where each counter lives in a shard. Connections are counted by door and
// transport (door-major), opened and closed apart: the gauge is their
// difference, so a close on another thread than the open needs no shared
// counter.
constexpr std::size_t kConnectionSeries = kDoorKinds * kTransports;
constexpr std::size_t kOpened = 0;
constexpr std::size_t kClosed = kOpened + kConnectionSeries;
constexpr std::size_t kDisconnected = kClosed + kConnectionSeries;
constexpr std::size_t kRegistered = kDisconnected + kDisconnects;
constexpr std::size_t kMessagesIn = kRegistered + kDoorKinds;
constexpr std::size_t kMessagesOut = kMessagesIn + kDoorKinds;
constexpr std::size_t kDeliveries = kMessagesOut + 1;
constexpr std::size_t kFanoutBucket = kDeliveries + 1;  // not cumulative: one bucket per observation
constexpr std::size_t kFanoutSumNs = kFanoutBucket + kFanoutBuckets;
constexpr std::size_t kHttp = kFanoutSumNs + 1;
constexpr std::size_t kCluster = kHttp + kHttpSlots;
constexpr std::size_t kSlots = kCluster + kClusterFrames;
constexpr std::array<std::string_view, kClusterFrames> kClusterFrameNames{"published", "applied", "ignored"};

// The cluster's gauges: written by the node's strand alone, read by scrapes.
std::atomic<bool> cluster_seen{false};
std::atomic<bool> cluster_redis_up{false};
std::atomic<std::size_t> cluster_nodes{0};

constexpr std::size_t connection_slot(door_kind d, transport t) noexcept {
  return static_cast<std::size_t>(d) * kTransports + static_cast<std::size_t>(t);
}

// One thread's counters, written by that thread only. Aligned to a cache
// line so that two threads' shards never share one.
struct alignas(64) shard {
  std::array<std::atomic<std::uint64_t>, kSlots> slots{};
};

// Every shard ever made. Made on first use and never destroyed, like the
// shards: threads may still count while the process exits.
struct shard_list {
  std::mutex mutex;
  std::vector<const shard*> shards;  // guarded by mutex
};

shard_list& all_shards() {
  static auto* list = new shard_list;
  return *list;
}

thread_local shard* this_thread_shard = nullptr;

shard& mine() {
  if (this_thread_shard == nullptr) [[unlikely]] {
    auto* fresh = new shard;
    auto& list = all_shards();
    const std::lock_guard lock(list.mutex);
    list.shards.push_back(fresh);
    this_thread_shard = fresh;
  }
  return *this_thread_shard;
}

// Only this thread writes the slot: a load and a store, not a locked
// read-modify-write.
void add(std::size_t slot, std::uint64_t n = 1) noexcept {
  auto& counter = mine().slots[slot];
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

using totals = std::array<std::uint64_t, kSlots>;

totals sum_shards() {
  totals sum{};
  auto& list = all_shards();
  const std::lock_guard lock(list.mutex);
  for (const shard* s : list.shards) {
    for (std::size_t i = 0; i < kSlots; ++i) sum[i] += s->slots[i].load(std::memory_order_relaxed);
  }
  return sum;
}

double seconds_since_epoch() noexcept {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// When the process started, taken during static initialisation.
const double kProcessStart = seconds_since_epoch();

// A label value as the format requires: backslash, double quote and line
// feed escaped.
void append_escaped(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

template <class Number>
void append_number(std::string& out, Number v) {
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), ec == std::errc() ? end : buf.data());
}

// Writes families: a HELP and a TYPE line, then its samples.
class exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;  // constants of ours: no backslash or line feed to escape
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  // A sample with up to two labels (empty names are left out).
  template <class Number>
  void sample(std::string_view name, Number value, std::string_view label1 = {}, std::string_view value1 = {},
              std::string_view label2 = {}, std::string_view value2 = {}) {
    out_ += name;
    if (!label1.empty()) {
      out_ += '{';
      label(label1, value1);
      if (!label2.empty()) {
        out_ += ',';
        label(label2, value2);
      }
      out_ += '}';
    }
    out_ += ' ';
    append_number(out_, value);
    out_ += '\n';
  }

  std::string take() { return std::move(out_); }

 private:
  void label(std::string_view name, std::string_view value) {
    out_ += name;
    out_ += "=\"";
    append_escaped(out_, value);
    out_ += '"';
  }

  std::string out_;
};

void render_connections(exposition& e, const totals& t) {
  e.family("chat_connections_opened_total", "counter", "Connections accepted, by front door and transport.");
  for (std::size_t d = 0; d < kDoorKinds; ++d) {
    for (std::size_t tr = 0; tr < kTransports; ++tr) {
      e.sample("chat_connections_opened_total", t[kOpened + d * kTransports + tr], "door", kDoorNames[d],
               "transport", kTransportNames[tr]);
    }
  }
  e.family("chat_connections", "gauge", "Connections open now, by front door and transport.");
  for (std::size_t d = 0; d < kDoorKinds; ++d) {
    for (std::size_t tr = 0; tr < kTransports; ++tr) {
      const auto opened = t[kOpened + d * kTransports + tr];
      const auto closed = t[kClosed + d * kTransports + tr];
      e.sample("chat_connections", opened > closed ? opened - closed : 0, "door", kDoorNames[d], "transport",
               kTransportNames[tr]);
    }
  }
  e.family("chat_disconnects_total", "counter", "Connections closed, by reason.");
  for (std::size_t r = 0; r < kDisconnects; ++r) {
    e.sample("chat_disconnects_total", t[kDisconnected + r], "reason", kReasonNames[r]);
  }
}

void render_messages(exposition& e, const totals& t) {
  e.family("chat_registrations_total", "counter", "Clients that completed IRC registration or seed login.");
  for (std::size_t d = 0; d < kDoorKinds; ++d) {
    e.sample("chat_registrations_total", t[kRegistered + d], "door", kDoorNames[d]);
  }
  e.family("chat_messages_received_total", "counter",
           "Chat messages accepted from clients (PRIVMSG, NOTICE, TAGMSG, seed messages).");
  for (std::size_t d = 0; d < kDoorKinds; ++d) {
    e.sample("chat_messages_received_total", t[kMessagesIn + d], "door", kDoorNames[d]);
  }
  e.family("chat_messages_sent_total", "counter",
           "Payloads queued to clients (lines, seed frames, chunks of long replies).");
  e.sample("chat_messages_sent_total", t[kMessagesOut]);
  e.family("chat_deliveries_total", "counter",
           "Recipients chat messages reached, their senders not counted.");
  e.sample("chat_deliveries_total", t[kDeliveries]);
}

void render_fanout(exposition& e, const totals& t) {
  constexpr std::string_view bucket = "chat_fanout_duration_seconds_bucket";
  e.family("chat_fanout_duration_seconds", "histogram",
           "Time a room took to fan one message out to its members.");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kFanoutBounds.size(); ++b) {
    cumulative += t[kFanoutBucket + b];
    e.sample(bucket, cumulative, "le", kFanoutBounds[b].le);
  }
  cumulative += t[kFanoutBucket + kFanoutBounds.size()];
  e.sample(bucket, cumulative, "le", "+Inf");
  e.sample("chat_fanout_duration_seconds_sum", static_cast<double>(t[kFanoutSumNs]) / 1e9);
  e.sample("chat_fanout_duration_seconds_count", cumulative);
}

void render_http(exposition& e, const totals& t) {
  e.family("chat_http_requests_total", "counter", "HTTP responses sent, by status code.");
  for (std::size_t i = 0; i < kHttpCodes.size(); ++i) {
    std::string code;
    append_number(code, kHttpCodes[i]);
    e.sample("chat_http_requests_total", t[kHttp + i], "code", code);
  }
  e.sample("chat_http_requests_total", t[kHttp + kHttpCodes.size()], "code", "other");
}

}  // namespace

void connection_opened(door_kind d, transport t) noexcept {
  add(kOpened + connection_slot(d, t));
}

void connection_closed(door_kind d, transport t, disconnect why) noexcept {
  add(kClosed + connection_slot(d, t));
  add(kDisconnected + static_cast<std::size_t>(why));
}

void registered(door_kind d) noexcept {
  add(kRegistered + static_cast<std::size_t>(d));
}

void message_in(door_kind d) noexcept {
  add(kMessagesIn + static_cast<std::size_t>(d));
}

void message_out(std::uint64_t payloads) noexcept {
  add(kMessagesOut, payloads);
}

void delivered(std::uint64_t n) noexcept {
  add(kDeliveries, n);
}

void fanout_time(std::chrono::nanoseconds took) noexcept {
  const std::int64_t ns = std::max<std::int64_t>(took.count(), 0);
  const auto* b = std::lower_bound(kFanoutBounds.begin(), kFanoutBounds.end(), ns,
                                   [](const bucket_bound& bound, std::int64_t v) { return bound.ns < v; });
  add(kFanoutBucket + static_cast<std::size_t>(b - kFanoutBounds.begin()));
  add(kFanoutSumNs, static_cast<std::uint64_t>(ns));
}

void http_request(int status) noexcept {
  const auto* c = std::find(kHttpCodes.begin(), kHttpCodes.end(), status);
  add(kHttp + static_cast<std::size_t>(c - kHttpCodes.begin()));  // the end is "other"
}

void cluster_frames(cluster_frame what, std::uint64_t n) noexcept {
  add(kCluster + static_cast<std::size_t>(what), n);
}

void cluster_state(bool redis_up, std::size_t other_nodes) noexcept {
  cluster_redis_up.store(redis_up, std::memory_order_relaxed);
  cluster_nodes.store(other_nodes, std::memory_order_relaxed);
  cluster_seen.store(true, std::memory_order_release);
}

std::string render() {
  return render(chat::version());
}

std::string render(std::string_view version) {
  const totals t = sum_shards();
  exposition e;
  e.family("chat_build_info", "gauge", "Always 1; the version label says which build is running.");
  e.sample("chat_build_info", 1, "version", version);
  e.family("chat_process_start_time_seconds", "gauge",
           "When the server started, in seconds since the epoch.");
  e.sample("chat_process_start_time_seconds", kProcessStart);
  render_connections(e, t);
  render_messages(e, t);
  render_fanout(e, t);
  render_http(e, t);
  if (cluster_seen.load(std::memory_order_acquire)) {
    e.family("chat_cluster_redis_up", "gauge", "1 while this node is connected to the cluster's Redis.");
    e.sample("chat_cluster_redis_up", cluster_redis_up.load(std::memory_order_relaxed) ? 1 : 0);
    e.family("chat_cluster_nodes", "gauge", "Other nodes of the cluster this node knows alive.");
    e.sample("chat_cluster_nodes", cluster_nodes.load(std::memory_order_relaxed));
    e.family("chat_cluster_frames_total", "counter",
             "Frames this node published to the other nodes, and received from them: applied or ignored.");
    for (std::size_t i = 0; i < kClusterFrames; ++i) {
      e.sample("chat_cluster_frames_total", t[kCluster + i], "what", kClusterFrameNames[i]);
    }
  }
  // The store's lag goes here once it exists.
  return e.take();
}

}  // namespace metrics
