// chat-bench: an end-to-end load generator for chat servers. Drives IRC (our
// server, ngircd, InspIRCd, ...) or the seed protocol (our seed listener, the
// original Python server) over loopback, on one thread, with the shared
// protocol module. Every message carries its send (or, open loop, its
// scheduled) time, so latency is measured per delivery.
//
//   chat-bench fanout  --port 6667 --clients 1000 --senders 10 --window 4 --duration 10
//   chat-bench latency --port 6667 --clients 1000 --senders 10 --rate 200 --duration 10
//   chat-bench private --port 6667 --clients 1000 --window 4 --duration 10
//   chat-bench seed    --port 1234 --protocol seed --clients 60 --messages 25
//   chat-bench history --port 6667 --clients 1000 --history-target '#channel-001' --duration 10
//   chat-bench fanout  --port 6667,6668,6669 --clients 1000   # a cluster: clients round-robin over nodes
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "io.hpp"
#include "protocol/irc.hpp"
#include "protocol/seed.hpp"
#include "protocol/websocket.hpp"
#include "version/version.hpp"

namespace {

using chat_bench::awaitable;
using chat_bench::tcp;
using chat_bench::use_nothrow;
using clock_type = std::chrono::steady_clock;

enum class proto { irc, seed };

struct options {
  std::string scenario;
  std::string host = "127.0.0.1";
  // One server, or several nodes of a cluster: client i connects to
  // ports[i % ports.size()].
  std::vector<std::uint16_t> ports{6667};
  std::string protocol = "irc";
  std::string room = "#bench";
  std::size_t clients = 100;
  std::size_t senders = 10;
  std::size_t window = 4;
  double rate = 200;          // open loop: messages per second, all senders together
  double duration = 10;       // seconds of sending
  std::size_t messages = 25;  // seed scenario: per client
  double stagger = 0.1;       // seed scenario: seconds between client starts
  std::size_t payload = 32;   // bytes of filler text per message
  std::string json;
  std::string latencies;  // file for the latency samples (one per line, microseconds)
  std::string nick_prefix = "b";
  std::size_t rooms = 1;         // capacity: clients spread over this many rooms
  std::vector<int> server_pids;  // read the servers' CPU time (and, capacity: memory) from /proc, summed
  bool quiet = false;
  bool tls = false;  // connect over TLS (the certificate is not verified: loopback measurements)
  // history scenario: CHATHISTORY LATEST <target> * <limit>, one at a time,
  // every interval, while a background load runs.
  std::string history_target = "#channel-001";
  std::size_t history_limit = 100;
  double history_interval_ms = 10;
  std::string background = "fanout";  // fanout, latency (open loop at --rate) or none
};

// With --tls, every client's context (one, shared).
asio::ssl::context* tls_context = nullptr;
// With --ws: IRC over WebSocket (text.ircv3.net), to the web listener.
bool over_websocket = false;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

// ---- Results ----------------------------------------------------------------

struct results {
  std::vector<std::uint32_t> latency_us;  // one per delivery
  std::uint64_t sent = 0;
  std::uint64_t expected = 0;  // deliveries that should happen
  std::uint64_t delivered = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  double seconds = 0;                     // from the first send to the last delivery
  double bytes_per_connection = 0;        // capacity
  double server_cpu_seconds = -1;         // while sending (capacity: the whole storm), given --server-pid
                                          // (-1: not measured)
  std::uint64_t joins_seen = 0;           // capacity: JOIN lines the idle clients received
  std::vector<std::uint32_t> history_us;  // history scenario: one per reply, request to batch end
  std::uint64_t history_lines = 0;        // lines in all those replies
  std::string notes;

  double percentile(double p) const { return percentile_of(latency_us, p); }

  // Of sorted samples in microseconds, in milliseconds.
  static double percentile_of(const std::vector<std::uint32_t>& us, double p) {
    if (us.empty()) return 0;
    const auto idx = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(us.size())));
    return us[std::min(us.size() - 1, idx == 0 ? 0 : idx - 1)] / 1000.0;
  }
};

// ---- A client connection ----------------------------------------------------

// A chat message as a receiver sees it.
struct incoming {
  std::string_view from;
  std::string_view text;
  std::int64_t at_ns = 0;  // when the read that brought it returned
};

class client : public std::enable_shared_from_this<client> {
 public:
  client(asio::io_context& io, proto p, std::string nick) : socket_(io), proto_(p), nick_(std::move(nick)) {}

  const std::string& nick() const { return nick_; }

  // IRCv3 capabilities to request at registration (IRC), space-separated.
  void request_caps(std::string caps) { caps_ = std::move(caps); }

  // Writes a raw IRC line (with its CRLF).
  void send_line(std::string_view line) { write_raw(line); }

  // Connects, registers or logs in, and joins `room` (IRC). Throws on failure.
  // `room` is taken by value: a coroutine keeps references, and callers pass
  // names built in a loop.
  // With `wait_joined` false (seed only) the login reply is left for the
  // receiver, as the original benchmark counts it as a response.
  awaitable<void> start(const tcp::endpoint& ep, std::string room, bool wait_joined = true,
                        std::optional<asio::ip::address_v4> source = std::nullopt) {
    if (source) {
      // Spreading clients over 127.0.0.x gives each source address its own
      // ephemeral port range, so N can pass ~28,000.
      socket_.open(tcp::v4());
      // Choose the port at connect(), by the whole 4-tuple: a port chosen at
      // bind() must be unique per address, a search that grows with every
      // socket already bound.
      const int one = 1;
      ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      socket_.bind(tcp::endpoint(*source, 0));
    }
    co_await socket_.async_connect(ep, asio::use_awaitable);
    socket_.set_option(tcp::no_delay(true));
    if (tls_context != nullptr) {
      tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *tls_context);
      co_await tls_->async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    }
    if (over_websocket) {
      write_raw(
          fmt::format("GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Protocol: text.ircv3.net\r\n\r\n",
                      ep.address().to_string()));
      bool switched = false;
      co_await read_until([](std::string_view line) { return line.empty(); },
                          [&](std::string_view line) {
                            if (line.starts_with("HTTP/1.1 101 ")) switched = true;
                          });
      if (!switched) throw std::runtime_error(nick_ + ": the WebSocket upgrade was refused");
      ws_ = true;
    }
    if (proto_ == proto::irc) {
      // JOIN only once registered (the end of the MOTD, 376 or 422): some
      // servers (InspIRCd) finish registration a second later and refuse an
      // early JOIN. Joined once our own names list has ended (366); refused
      // on an error numeric or ERROR.
      if (!caps_.empty()) write_raw(fmt::format("CAP REQ :{}\r\n", caps_));
      write_raw(fmt::format("NICK {}\r\nUSER {} 0 * :chat-bench\r\n", nick_, nick_));
      if (!caps_.empty()) write_raw("CAP END\r\n");
      auto fail_on_error = [&](std::string_view line) {
        const auto cmd = command_of(line);
        const bool failed = cmd.size() == 3 && (cmd[0] == '4' || cmd[0] == '5') && cmd != "422";
        if (failed || cmd == "ERROR") throw std::runtime_error(fmt::format("{}: {}", nick_, line));
      };
      co_await read_until(
          [&](std::string_view line) {
            const auto cmd = command_of(line);
            return cmd == "376" || cmd == "422";
          },
          fail_on_error);
      write_raw(fmt::format("JOIN {}\r\n", room));
      co_await read_until([&](std::string_view line) { return command_of(line) == "366"; }, fail_on_error);
    } else {
      write_raw(protocol::seed::encode_frame(nick_));
      if (!wait_joined) co_return;
      co_await read_until([](std::string_view f) { return f == protocol::seed::kYouJoined; },
                          [&](std::string_view f) {
                            if (f.starts_with("Error"))
                              throw std::runtime_error(fmt::format("{}: {}", nick_, f));
                          });
    }
  }

  // Sends a chat message to `to` (a room or a nick; the seed protocol only
  // knows the room and !msg).
  void say(const std::string& to, std::string_view text) {
    if (proto_ == proto::irc) {
      std::string line;
      line.reserve(to.size() + text.size() + 12);
      line += "PRIVMSG ";
      line += to;
      line += " :";
      line += text;
      line += "\r\n";
      write_raw(line);
    } else if (to.starts_with('#')) {
      write_raw(protocol::seed::encode_frame(text));
    } else {
      write_raw(protocol::seed::encode_frame("!msg " + to + " " + std::string(text)));
    }
  }

  // Reads until the connection ends, calling `on_message` for each chat
  // message and `on_unit` for every line or frame.
  // The coroutine owns `self`: a pending read never outlives its client.
  template <class OnMessage, class OnUnit>
  static awaitable<void> receive(std::shared_ptr<client> self, OnMessage on_message, OnUnit on_unit) {
    co_await self->read_until([](std::string_view) { return false; },
                              [&](std::string_view unit) {
                                on_unit(unit);
                                if (auto m = self->decode(unit)) on_message(*m);
                              });
  }

  // True if the server knows `nick` (WHOIS answers 311 before its 318).
  // Only before a receiver runs: it reads the replies itself.
  awaitable<bool> knows(std::string nick) {
    write_raw(fmt::format("WHOIS {}\r\n", nick));
    bool found = false;
    co_await read_until([](std::string_view line) { return command_of(line) == "318"; },
                        [&](std::string_view line) {
                          if (command_of(line) == "311") found = true;
                        });
    co_return found;
  }

  void close() {
    std::error_code ignored;
    socket_.close(ignored);
  }

 private:
  // The command or numeric of an IRC line: its first word after the source.
  static std::string_view command_of(std::string_view line) {
    if (line.starts_with(':')) {
      const auto space = line.find(' ');
      if (space == std::string_view::npos) return {};
      line.remove_prefix(space + 1);
    }
    return line.substr(0, line.find(' '));
  }

  // Turns one line (IRC) or frame (seed) into a chat message, if it is one.
  std::optional<incoming> decode(std::string_view unit) {
    if (proto_ == proto::irc) {
      if (unit.starts_with("PING")) {
        write_raw("PONG " + std::string(unit.substr(5)) + "\r\n");
        return std::nullopt;
      }
      // ":nick!user@host PRIVMSG target :text" -- parsed by hand on the hot
      // path; the full parser is for everything else.
      if (!unit.starts_with(':')) return std::nullopt;
      const auto space = unit.find(' ');
      if (space == std::string_view::npos || unit.substr(space + 1, 8) != "PRIVMSG ") return std::nullopt;
      const auto bang = unit.find('!');
      const auto colon = unit.find(" :", space);
      if (colon == std::string_view::npos) return std::nullopt;
      return incoming{unit.substr(1, std::min(bang, space) - 1), unit.substr(colon + 2), read_at_ns_};
    }
    // "name > text" or "privately name > text"
    auto text = unit;
    if (text.starts_with("privately ")) text.remove_prefix(10);
    const auto sep = text.find(" > ");
    if (sep == std::string_view::npos) return std::nullopt;
    return incoming{text.substr(0, sep), text.substr(sep + 3), read_at_ns_};
  }

  template <class Done, class Each>
  awaitable<void> read_until(Done done, Each each) {
    for (;;) {
      // Units already buffered first.
      for (;;) {
        const std::string_view pending(in_.get() + begin_, end_ - begin_);
        std::optional<std::string_view> unit;
        if (ws_) {
          if (auto size = frame_size(pending)) {
            unit = pending.substr(size->first, size->second);
            begin_ += size->first + size->second;
          }
        } else if (proto_ == proto::irc) {
          const auto eol = pending.find("\r\n");
          if (eol != std::string_view::npos) {
            unit = pending.substr(0, eol);
            begin_ += eol + 2;
          }
        } else {
          auto f = protocol::seed::decode_frame(pending, 1 << 20);
          if (!f.has_value()) throw std::runtime_error(nick_ + ": invalid frame from the server");
          if (f->has_value()) {
            unit = (*f)->payload;
            begin_ += (*f)->wire_size;
          }
        }
        if (!unit) break;
        each(*unit);
        if (done(*unit)) co_return;
      }
      make_room();
      // The client's own buffer, so that a read can be pending on it: asio
      // then keeps the socket registered and reads without an epoll_ctl
      // per wait (a wait-then-read costs one, and this process must stay
      // cheaper than the servers it measures).
      const auto free = asio::buffer(in_.get() + end_, capacity_ - end_);
      auto [ec, n] = tls_ ? co_await tls_->async_read_some(free, use_nothrow)
                          : co_await socket_.async_read_some(free, use_nothrow);
      // One clock reading per read: what one read returns arrived together.
      read_at_ns_ = now_ns();
      read_filled_ = n == free.size();
      end_ += n;
      if (ec) co_return;
    }
  }

  // Moves the unread tail to the front; grows the buffer when it is full or
  // the last read filled it (a client that receives in bulk gets a larger
  // one; thousands of idle clients keep a small one).
  void make_room() {
    if (begin_ > 0) {
      std::memmove(in_.get(), in_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (in_ && end_ < capacity_ && !read_filled_) return;
    const std::size_t grown = in_ ? std::min(capacity_ * 2, kMaxReadBuffer) : kFirstReadBuffer;
    if (grown == capacity_) {
      if (end_ < capacity_) return;
      throw std::runtime_error(nick_ + ": a line longer than the read buffer");
    }
    auto bigger = std::make_unique_for_overwrite<char[]>(grown);
    if (end_ > 0) std::memcpy(bigger.get(), in_.get(), end_);
    in_ = std::move(bigger);
    capacity_ = grown;
  }

  // A whole unmasked frame from the server at the front of `b`: the size of
  // its header and of its payload.
  static std::optional<std::pair<std::size_t, std::size_t>> frame_size(std::string_view b) {
    if (b.size() < 2) return std::nullopt;
    std::size_t header = 2;
    std::size_t n = static_cast<unsigned char>(b[1]) & 0x7FU;
    if (n == 126) {
      if (b.size() < 4) return std::nullopt;
      n = (std::size_t{static_cast<unsigned char>(b[2])} << 8U) | static_cast<unsigned char>(b[3]);
      header = 4;
    } else if (n == 127) {
      if (b.size() < 10) return std::nullopt;
      n = 0;
      for (std::size_t i = 2; i < 10; ++i) n = (n << 8U) | static_cast<unsigned char>(b[i]);
      header = 10;
    }
    if (b.size() - header < n) return std::nullopt;
    return std::pair{header, n};
  }

  void write_raw(std::string_view bytes) {
    if (ws_) {
      // One masked frame per line, as a browser sends them.
      static constexpr std::array<unsigned char, 4> kMask = {0x5a, 0x17, 0xc3, 0x9e};
      while (!bytes.empty()) {
        const auto eol = bytes.find("\r\n");
        protocol::ws::encode_frame(out_, protocol::ws::opcode::text, bytes.substr(0, eol), kMask);
        bytes.remove_prefix(eol == std::string_view::npos ? bytes.size() : eol + 2);
      }
    } else {
      out_.append(bytes);
    }
    if (!writing_) {
      writing_ = true;
      // Later: everything this round of the event loop queues for this
      // client then goes in one write.
      asio::post(socket_.get_executor(), [self = shared_from_this()] { self->write_queued(); });
    }
  }

  // Writes everything queued, then what accumulated meanwhile, until done.
  void write_queued() {
    if (out_.empty()) {
      writing_ = false;
      return;
    }
    sending_.clear();
    sending_.swap(out_);
    auto on_written = [self = shared_from_this()](std::error_code ec, std::size_t) {
      if (ec) {
        self->writing_ = false;
        return;
      }
      self->write_queued();
    };
    if (tls_) {
      asio::async_write(*tls_, asio::buffer(sending_), std::move(on_written));
    } else {
      asio::async_write(socket_, asio::buffer(sending_), std::move(on_written));
    }
  }

  static constexpr std::size_t kFirstReadBuffer = 4096;
  static constexpr std::size_t kMaxReadBuffer = std::size_t{1} << 20;  // a seed frame's limit

  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;  // with --tls
  bool ws_ = false;                                       // upgraded (--ws)
  proto proto_;
  std::string nick_;
  std::string caps_;            // requested at registration; empty: no CAP
  std::unique_ptr<char[]> in_;  // [begin_, end_) is unread
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::int64_t read_at_ns_ = 0;
  bool read_filled_ = false;  // the last read took all the room there was
  std::string out_;           // queued, not yet being written
  std::string sending_;       // being written
  bool writing_ = false;
};

// ---- Message bodies -----------------------------------------------------------

// "<sender> <seq> <t_ns> <filler>"
std::string body(std::size_t sender, std::uint64_t seq, std::int64_t t_ns, std::size_t filler) {
  auto s = fmt::format("{} {} {} ", sender, seq, t_ns);
  s.append(filler, 'x');
  return s;
}

struct parsed_body {
  std::size_t sender;
  std::uint64_t seq;
  std::int64_t t_ns;
};

std::optional<parsed_body> parse_body(std::string_view text) {
  parsed_body b{};
  const char* p = text.data();
  const char* end = p + text.size();
  auto number = [&](auto& out) {
    auto [next, ec] = std::from_chars(p, end, out);
    if (ec != std::errc{} || next == end || *next != ' ') return false;
    p = next + 1;
    return true;
  };
  if (!number(b.sender) || !number(b.seq) || !number(b.t_ns)) return std::nullopt;
  return b;
}

// Per-receiver bookkeeping of what arrived from each sender.
class tracker {
 public:
  tracker(std::size_t receivers, std::size_t senders) : next_(receivers * senders, 0), senders_(senders) {}

  void record(results& r, std::size_t receiver, const parsed_body& b, std::int64_t now) {
    auto& next = next_[receiver * senders_ + b.sender];
    if (b.seq < next) {
      ++r.duplicates;
      return;
    }
    if (b.seq > next) ++r.reordered;  // a gap: something before it is late or lost
    next = b.seq + 1;
    ++r.delivered;
    r.latency_us.push_back(static_cast<std::uint32_t>(std::max<std::int64_t>(0, now - b.t_ns) / 1000));
  }

 private:
  std::vector<std::uint64_t> next_;
  std::size_t senders_;
};

// ---- Scenarios ----------------------------------------------------------------

struct bench {
  asio::io_context io{1};
  options opt;
  proto p = proto::irc;
  std::vector<tcp::endpoint> eps;  // client i connects to eps[i % eps.size()]
  std::vector<std::shared_ptr<client>> clients;
  results res;
  std::atomic<bool> sending{false};  // the load is running (all clients connected); read by the history asker
  bool stop_sending = false;
  std::size_t receiving = 0;                 // receive coroutines still running
  std::vector<std::size_t> last_registered;  // per endpoint: the client that registered there last

  // Runs a receiver for client `c`; scenario state that its callbacks use
  // must outlive it: scenarios end with close_all_and_wait().
  template <class OnMessage, class OnUnit = void (*)(std::string_view)>
  void spawn_receive(
      const std::shared_ptr<client>& c, OnMessage on_message, OnUnit on_unit = [](std::string_view) {}) {
    ++receiving;
    asio::co_spawn(io, client::receive(c, std::move(on_message), std::move(on_unit)),
                   [this](std::exception_ptr) { --receiving; });
  }

  awaitable<void> close_all_and_wait() {
    stop_sending = true;
    for (auto& c : clients) c->close();
    asio::steady_timer t(io);
    while (receiving > 0) {
      t.expires_after(std::chrono::milliseconds(1));
      co_await t.async_wait(use_nothrow);
    }
  }

  const tcp::endpoint& endpoint_of(std::size_t client_index) const { return eps[client_index % eps.size()]; }

  awaitable<void> connect_all(std::size_t n) {
    const auto t0 = clock_type::now();
    clients.reserve(n);
    last_registered.assign(eps.size(), n);
    // Connect in waves so that a server with a small listen backlog is not
    // measured on SYN retries.
    constexpr std::size_t kWave = 200;
    for (std::size_t i = 0; i < n; i += kWave) {
      std::vector<std::shared_ptr<client>> wave;
      for (std::size_t j = i; j < std::min(n, i + kWave); ++j) {
        wave.push_back(std::make_shared<client>(io, p, fmt::format("{}{}", opt.nick_prefix, j)));
      }
      std::size_t pending = wave.size();
      std::size_t wave_index = 0;
      asio::steady_timer all_done(io, clock_type::time_point::max());
      std::exception_ptr failure;
      for (auto& c : wave) {
        const auto j = clients.size() + wave_index++;
        const auto room = opt.rooms > 1 ? fmt::format("{}{}", opt.room, j % opt.rooms) : opt.room;
        std::optional<asio::ip::address_v4> source;
        if (opt.scenario == "capacity") {
          source = asio::ip::address_v4(0x7F000000U + 1U + static_cast<std::uint32_t>(j % 250));
        }
        asio::co_spawn(io, c->start(endpoint_of(j), room, true, source), [&, j](std::exception_ptr e) {
          if (e && !failure) failure = e;
          if (!e) last_registered[j % eps.size()] = j;
          if (--pending == 0) all_done.cancel();
        });
      }
      while (pending > 0) co_await all_done.async_wait(use_nothrow);
      if (failure) std::rethrow_exception(failure);
      for (auto& c : wave) {
        // Idle clients keep reading, as real ones do: otherwise everything
        // the server sends them (joins of later clients) piles up in kernel
        // buffers and the run measures the kernel, not the server.
        if (opt.scenario == "capacity") {
          spawn_receive(
              c, [](const incoming&) {},
              [this](std::string_view line) {
                const auto space = line.find(' ');
                if (space != std::string_view::npos && line.substr(space + 1, 5) == "JOIN ") ++res.joins_seen;
              });
        }
        clients.push_back(std::move(c));
      }
      if (!opt.quiet) std::fprintf(stderr, "\rconnected %zu/%zu", clients.size(), n);
    }
    if (opt.scenario != "capacity") co_await await_nodes_agree();
    if (!opt.quiet) {
      std::fprintf(stderr, "\rconnected %zu clients in %.2f s\n", n,
                   std::chrono::duration<double>(clock_type::now() - t0).count());
    }
  }

  // Over several nodes of a cluster (IRC): waits until every node knows the
  // client that registered last on every other node, so that a private
  // message to any client finds it. A node hears another's users in the
  // order they registered there, so the last one stands for all before it.
  awaitable<void> await_nodes_agree() {
    if (eps.size() < 2 || p != proto::irc || clients.size() < eps.size()) co_return;
    const auto give_up = clock_type::now() + std::chrono::seconds(10);
    asio::steady_timer t(io);
    for (std::size_t asker = 0; asker < eps.size(); ++asker) {
      for (std::size_t other = 0; other < eps.size(); ++other) {
        const auto last = last_registered[other];
        if (other == asker || last >= clients.size()) continue;
        while (!co_await clients[asker]->knows(clients[last]->nick())) {
          if (clock_type::now() > give_up) {
            throw std::runtime_error(fmt::format("the node on port {} never learned of {} within 10 s",
                                                 eps[asker].port(), clients[last]->nick()));
          }
          t.expires_after(std::chrono::milliseconds(20));
          co_await t.async_wait(use_nothrow);
        }
      }
    }
  }

  // Waits until `expected` deliveries arrived or `grace` passes.
  awaitable<void> drain(std::chrono::milliseconds grace) {
    asio::steady_timer t(io);
    const auto deadline = clock_type::now() + grace;
    while (res.delivered < res.expected && clock_type::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(use_nothrow);
    }
  }

  awaitable<void> progress() {
    asio::steady_timer t(io);
    const auto t0 = clock_type::now();
    while (!stop_sending) {
      t.expires_after(std::chrono::seconds(1));
      co_await t.async_wait(use_nothrow);
      if (!opt.quiet) {
        std::fprintf(stderr, "\r%.0f s: sent %llu, delivered %llu     ",
                     std::chrono::duration<double>(clock_type::now() - t0).count(),
                     static_cast<unsigned long long>(res.sent),
                     static_cast<unsigned long long>(res.delivered));
      }
    }
  }

  // Starts the senders, lets them run for the duration (acknowledgements
  // send more), then waits for what is still in flight and ends the run.
  template <class Start>
  awaitable<void> closed_loop(Start start) {
    asio::co_spawn(io, progress(), asio::detached);
    const auto cpu0 = cpu_seconds(opt.server_pids);
    const auto t0 = clock_type::now();
    sending = true;
    start();
    asio::steady_timer t(io);
    t.expires_after(
        std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt.duration)));
    co_await t.async_wait(use_nothrow);
    stop_sending = true;
    co_await drain(std::chrono::seconds(5));
    res.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    measure_server_cpu(cpu0);
    co_await close_all_and_wait();
  }

  // The server's CPU time since `before` (both -1 without --server-pid).
  void measure_server_cpu(double before) {
    const auto after = cpu_seconds(opt.server_pids);
    if (before >= 0 && after >= before) res.server_cpu_seconds = after - before;
  }

  // User plus system CPU seconds of all the processes `pids` (all their
  // threads), or -1 if one cannot be read (or none is given).
  static double cpu_seconds(const std::vector<int>& pids) {
    if (pids.empty()) return -1;
    double sum = 0;
    for (const int pid : pids) {
      const double one = cpu_seconds(pid);
      if (one < 0) return -1;
      sum += one;
    }
    return sum;
  }

  static double cpu_seconds(int pid) {
    if (pid <= 0) return -1;
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(stat, line)) return -1;
    // Fields after the command name, which is in parentheses and may hold spaces.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
      if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

  // Closed loop: each sender keeps `window` messages in flight, acknowledged
  // by the last client (a receiver that is not a sender).
  awaitable<void> fanout() {
    co_await connect_all(opt.clients);
    const std::size_t senders = std::min(opt.senders, clients.size() - 1);
    const std::size_t receivers = clients.size();
    tracker track(receivers, senders);
    std::vector<std::uint64_t> sent(senders, 0);
    std::vector<std::uint64_t> acked(senders, 0);
    const std::size_t probe = clients.size() - 1;
    auto send_next = [&](std::size_t s) {
      while (!stop_sending && sent[s] - acked[s] < opt.window) {
        clients[s]->say(opt.room, body(s, sent[s]++, now_ns(), opt.payload));
        ++res.sent;
        res.expected += receivers - 1;
      }
    };
    for (std::size_t i = 0; i < receivers; ++i) {
      spawn_receive(clients[i], [&, i](const incoming& m) {
        auto b = parse_body(m.text);
        if (!b || b->sender >= senders) return;
        track.record(res, i, *b, m.at_ns);
        if (i == probe) {
          acked[b->sender] = std::max(acked[b->sender], b->seq + 1);
          send_next(b->sender);
        }
      });
    }
    co_await closed_loop([&] {
      for (std::size_t s = 0; s < senders; ++s) send_next(s);
    });
  }

  // Open loop at a fixed total rate; latency counts from the scheduled time,
  // so a stalled server cannot hide its stall.
  awaitable<void> latency() {
    co_await connect_all(opt.clients);
    const std::size_t senders = std::min(opt.senders, clients.size());
    const std::size_t receivers = clients.size();
    tracker track(receivers, senders);
    for (std::size_t i = 0; i < receivers; ++i) {
      spawn_receive(clients[i], [&, i](const incoming& m) {
        auto b = parse_body(m.text);
        if (b && b->sender < senders) track.record(res, i, *b, m.at_ns);
      });
    }
    asio::co_spawn(io, progress(), asio::detached);
    const auto cpu0 = cpu_seconds(opt.server_pids);
    const auto t0 = clock_type::now();
    sending = true;
    const auto interval = std::chrono::duration<double>(1.0 / opt.rate);
    const auto total = static_cast<std::uint64_t>(opt.rate * opt.duration);
    std::vector<std::uint64_t> seq(senders, 0);
    asio::steady_timer t(io);
    for (std::uint64_t i = 0; i < total; ++i) {
      const auto due =
          t0 + std::chrono::duration_cast<clock_type::duration>(interval * static_cast<double>(i));
      if (due > clock_type::now()) {
        t.expires_at(due);
        co_await t.async_wait(use_nothrow);
      }
      const std::size_t s = i % senders;
      const auto due_ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(due.time_since_epoch()).count();
      clients[s]->say(opt.room, body(s, seq[s]++, due_ns, opt.payload));
      ++res.sent;
      res.expected += receivers - 1;
    }
    stop_sending = true;
    co_await drain(std::chrono::seconds(5));
    res.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    measure_server_cpu(cpu0);
    co_await close_all_and_wait();
  }

  // Pairs exchanging private messages, each keeping `window` in flight.
  awaitable<void> private_pairs() {
    opt.room = p == proto::irc ? "#bench-pairs" : opt.room;
    co_await connect_all(opt.clients - opt.clients % 2);
    const std::size_t n = clients.size();
    tracker track(n, n);
    std::vector<std::uint64_t> sent(n, 0);
    std::vector<std::uint64_t> acked(n, 0);
    auto send_next = [&](std::size_t s) {
      const auto& peer = clients[s ^ 1U]->nick();
      while (!stop_sending && sent[s] - acked[s] < opt.window) {
        clients[s]->say(peer, body(s, sent[s]++, now_ns(), opt.payload));
        ++res.sent;
        ++res.expected;
      }
    };
    for (std::size_t i = 0; i < n; ++i) {
      spawn_receive(clients[i], [&, i](const incoming& m) {
        auto b = parse_body(m.text);
        if (!b || b->sender != (i ^ 1U)) return;  // only the partner's private messages
        track.record(res, i, *b, m.at_ns);
        acked[b->sender] = std::max(acked[b->sender], b->seq + 1);
        send_next(b->sender);
      });
    }
    co_await closed_loop([&] {
      for (std::size_t s = 0; s < n; ++s) send_next(s);
    });
  }

  // N idle clients connect, register and join (spread over --rooms rooms);
  // reports the time that took and, given --server-pid, the server's memory
  // per connection.
  awaitable<void> capacity() {
    const auto before = rss_kib(opt.server_pids);
    const auto cpu0 = cpu_seconds(opt.server_pids);
    const auto t0 = clock_type::now();
    co_await connect_all(opt.clients);
    res.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    // Let the server settle (joins fan out to room members) before measuring.
    asio::steady_timer t(io);
    t.expires_after(std::chrono::seconds(1));
    co_await t.async_wait(use_nothrow);
    const auto after = rss_kib(opt.server_pids);
    // The server's CPU over the whole storm, the settling second included:
    // the last joins' notices may still be on their way when all are joined.
    measure_server_cpu(cpu0);
    res.notes +=
        fmt::format("connected, registered and joined {} clients in {:.3f} s\n", clients.size(), res.seconds);
    if (res.server_cpu_seconds >= 0) {
      res.notes += fmt::format("server CPU {:.2f} s (connect to settled)\n", res.server_cpu_seconds);
    }
    res.notes += fmt::format("JOIN lines received by the clients after their own: {}\n", res.joins_seen);
    if (!opt.server_pids.empty()) {
      const double per = (static_cast<double>(after) - static_cast<double>(before)) * 1024.0 /
                         static_cast<double>(clients.size());
      res.notes +=
          fmt::format("server RSS {} KiB -> {} KiB: {:.0f} bytes per connection\n", before, after, per);
      res.bytes_per_connection = per;
    }
    co_await close_all_and_wait();
  }

  // CHATHISTORY LATEST <target> * <limit>, one request at a time, at most one
  // per --history-interval-ms, each timed from the request to the end of its
  // batch, while the background load (--background) runs: the load's figures
  // as usual, the history's on their own line. The asker is not one of the
  // load's clients: it has a thread and an event loop of its own, so that
  // its timings are the server's and not this process's, busy with the
  // load; it joins the target first (history is for members).
  awaitable<void> history() {
    std::atomic<bool> started{false};
    std::atomic<bool> done{false};
    std::vector<std::uint32_t> samples;
    std::uint64_t lines = 0;
    std::string failure;
    std::thread asker_thread([&] {
      asio::io_context hio{1};
      asio::co_spawn(hio, ask_history(hio, started, done, samples, lines, failure),
                     [&](std::exception_ptr e) {
                       if (e) {
                         try {
                           std::rethrow_exception(e);
                         } catch (const std::exception& ex) {
                           failure = ex.what();
                         }
                       }
                       started = true;
                     });
      hio.run();
    });
    asio::steady_timer t(io);
    while (!started) {
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(use_nothrow);
    }
    if (opt.background == "fanout") {
      co_await fanout();
    } else if (opt.background == "latency") {
      co_await latency();
    } else {
      t.expires_after(
          std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt.duration)));
      co_await t.async_wait(use_nothrow);
    }
    done = true;
    asker_thread.join();
    res.history_us = std::move(samples);
    res.history_lines = lines;
    if (!failure.empty()) res.notes += "history: " + failure + "\n";
  }

  // The asker, on its own event loop `hio`: `started` once it has joined
  // (the load may start), asks until `done`.
  awaitable<void> ask_history(asio::io_context& hio, std::atomic<bool>& started, std::atomic<bool>& done,
                              std::vector<std::uint32_t>& samples, std::uint64_t& lines,
                              std::string& failure) {
    auto asker = std::make_shared<client>(hio, p, opt.nick_prefix + "-history");
    asker->request_caps("batch server-time message-tags draft/chathistory");
    co_await asker->start(eps.front(), opt.history_target);
    started = true;
    bool replied = false;
    bool reading = true;
    std::int64_t asked_ns = 0;
    asio::steady_timer reply(hio, clock_type::time_point::max());
    asio::co_spawn(hio,
                   client::receive(
                       asker, [](const incoming&) {},
                       [&](std::string_view unit) {
                         if (unit.find(" BATCH -") != std::string_view::npos) {
                           samples.push_back(static_cast<std::uint32_t>((now_ns() - asked_ns) / 1000));
                           replied = true;
                           reply.cancel();
                         } else if (unit.starts_with('@') && unit.find("batch=") != std::string_view::npos &&
                                    unit.find(" PRIVMSG ") != std::string_view::npos) {
                           ++lines;
                         } else if (unit.find(" FAIL CHATHISTORY ") != std::string_view::npos) {
                           failure = std::string(unit);
                           replied = true;
                           reply.cancel();
                         }
                       }),
                   [&](std::exception_ptr) {
                     reading = false;
                     reply.cancel();
                   });
    // Asks only while the load runs (or for --duration without one).
    asio::steady_timer t(hio);
    while (!sending && !done && opt.background != "none") {
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(use_nothrow);
    }
    const auto interval = std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double, std::milli>(opt.history_interval_ms));
    const auto line = fmt::format("CHATHISTORY LATEST {} * {}\r\n", opt.history_target, opt.history_limit);
    while (!done && reading && failure.empty()) {
      const auto next = clock_type::now() + interval;
      replied = false;
      asked_ns = now_ns();
      asker->send_line(line);
      const auto give_up = clock_type::now() + std::chrono::seconds(10);
      while (!replied && reading && !done && clock_type::now() < give_up) {
        reply.expires_after(std::chrono::milliseconds(50));
        co_await reply.async_wait(use_nothrow);
      }
      if (!replied && !done) failure = reading ? "no reply within 10 s" : "the server closed the connection";
      t.expires_at(next);
      co_await t.async_wait(use_nothrow);
    }
    asker->close();
    while (reading) {
      t.expires_after(std::chrono::milliseconds(1));
      co_await t.async_wait(use_nothrow);
    }
  }

  // Summed over `pids`.
  static long rss_kib(const std::vector<int>& pids) {
    long sum = 0;
    for (const int pid : pids) sum += rss_kib(pid);
    return sum;
  }

  static long rss_kib(int pid) {
    if (pid <= 0) return 0;
    std::ifstream status(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return 0;
  }

  // The original benchmark.py's workload and report, plus the real latency:
  // clients start `stagger` apart, send "Hello from <id>" M times and wait for
  // any one frame after each.
  awaitable<void> seed_workload() {
    const std::size_t n = opt.clients;
    std::vector<double> per_client(n, -1);
    std::size_t finished = 0;
    asio::steady_timer all_done(io, clock_type::time_point::max());
    tracker track(n, n);
    const auto t0 = clock_type::now();
    auto run_client = [&](std::size_t id) -> awaitable<void> {
      auto c = std::make_shared<client>(io, p, fmt::format("User{}", id));
      // The receiver's callbacks use these: they live until it has ended.
      std::size_t responses = 0;
      asio::steady_timer got(io, clock_type::time_point::max());
      asio::steady_timer receiver_done(io, clock_type::time_point::max());
      bool receiving_now = false;
      try {
        co_await c->start(endpoint_of(id), opt.room, /*wait_joined=*/p != proto::seed);
        // Like the original, a response is any frame at all (joins and
        // leaves included); chat messages also give their latency.
        receiving_now = true;
        asio::co_spawn(io,
                       client::receive(
                           c,
                           [&, id](const incoming& m) {
                             const auto bar = m.text.find("| ");
                             if (bar == std::string_view::npos) return;
                             if (auto b = parse_body(m.text.substr(bar + 2)); b && b->sender < n) {
                               track.record(res, id, *b, m.at_ns);
                             }
                           },
                           [&](std::string_view) {
                             ++responses;
                             got.cancel();
                           }),
                       [&](std::exception_ptr) {
                         receiving_now = false;
                         receiver_done.cancel();
                       });
        const auto start = clock_type::now();
        for (std::size_t m = 0; m < opt.messages; ++m) {
          // Like the original, which reads one frame per message sent: frames
          // that arrived earlier count too.
          const auto want = m + 1;
          c->say(opt.room, fmt::format("Hello from {} | ", id) + body(id, m, now_ns(), 0));
          ++res.sent;
          while (responses < want) {
            got.expires_after(std::chrono::seconds(10));
            auto [ec] = co_await got.async_wait(use_nothrow);
            if (!ec) throw std::runtime_error("no response within 10 s");
          }
        }
        per_client[id] = std::chrono::duration<double>(clock_type::now() - start).count();
      } catch (const std::exception& e) {
        res.notes += fmt::format("client {}: {}\n", id, e.what());
      }
      c->close();
      while (receiving_now) co_await receiver_done.async_wait(use_nothrow);
      if (++finished == n) all_done.cancel();
    };
    for (std::size_t id = 0; id < n; ++id) {
      asio::co_spawn(io, run_client(id), asio::detached);
      if (opt.stagger > 0) {
        asio::steady_timer t(io);
        t.expires_after(
            std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt.stagger)));
        co_await t.async_wait(use_nothrow);
      }
    }
    // The last clients may finish before this wait starts: check, then wait.
    while (finished < n) co_await all_done.async_wait(use_nothrow);
    res.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    double total = 0;
    std::size_t ok = 0;
    for (std::size_t id = 0; id < n; ++id) {
      if (per_client[id] >= 0) {
        if (!opt.quiet) std::printf("Client %zu: %.4f seconds\n", id, per_client[id]);
        total += per_client[id];
        ++ok;
      }
    }
    if (ok > 0) std::printf("\nAverage time per client: %.4f seconds\n", total / static_cast<double>(ok));
    res.expected = res.delivered;  // not a loss test: see the per-client times
  }
};

void report(const options& opt, results& r) {
  std::sort(r.latency_us.begin(), r.latency_us.end());
  const double rate = r.seconds > 0 ? static_cast<double>(r.delivered) / r.seconds : 0;
  const auto lost = r.expected > r.delivered ? r.expected - r.delivered : 0;
  std::printf("\nscenario      %s (%s, %zu clients%s)\n", opt.scenario.c_str(), opt.protocol.c_str(),
              opt.clients,
              opt.ports.size() > 1 ? fmt::format(" over {} servers", opt.ports.size()).c_str() : "");
  std::printf("sent          %llu messages\n", static_cast<unsigned long long>(r.sent));
  std::printf("delivered     %llu in %.2f s = %.0f deliveries/s\n",
              static_cast<unsigned long long>(r.delivered), r.seconds, rate);
  std::printf("lost          %llu   duplicated %llu   out of order %llu\n",
              static_cast<unsigned long long>(lost), static_cast<unsigned long long>(r.duplicates),
              static_cast<unsigned long long>(r.reordered));
  std::printf("latency ms    p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n", r.percentile(50),
              r.percentile(90), r.percentile(99), r.percentile(99.9), r.percentile(100));
  const double cpu_us = r.server_cpu_seconds >= 0 && r.delivered > 0
                            ? r.server_cpu_seconds * 1e6 / static_cast<double>(r.delivered)
                            : -1;
  if (cpu_us >= 0) {
    std::printf("server CPU    %.2f s while sending: %.3f us per delivery\n", r.server_cpu_seconds, cpu_us);
  }
  if (opt.scenario == "history") {
    std::sort(r.history_us.begin(), r.history_us.end());
    const auto n = r.history_us.size();
    std::printf("history ms    p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  (%zu replies, %.0f lines each)\n",
                results::percentile_of(r.history_us, 50), results::percentile_of(r.history_us, 90),
                results::percentile_of(r.history_us, 99), results::percentile_of(r.history_us, 100), n,
                n > 0 ? static_cast<double>(r.history_lines) / static_cast<double>(n) : 0.0);
  }
  if (!r.notes.empty()) std::printf("notes\n%s", r.notes.c_str());
  if (!opt.json.empty()) {
    std::ofstream out(opt.json);
    out << fmt::format(
        "{{\"scenario\":\"{}\",\"protocol\":\"{}\",\"servers\":{},\"clients\":{},\"senders\":{},\"window\":{}"
        ",\"rate\":{},"
        "\"sent\":{},\"delivered\":{},\"lost\":{},\"duplicates\":{},\"out_of_order\":{},\"seconds\":{:.3f},"
        "\"deliveries_per_s\":{:.1f},\"bytes_per_connection\":{:.0f},\"server_cpu_us_per_delivery\":{:.4f},"
        "\"server_cpu_seconds\":{:.3f},"
        "\"latency_ms\":{{\"p50\":{:.3f},\"p90\":"
        "{:.3f},\"p99\":{:.3f},"
        "\"p999\":{:.3f},\"max\":{:.3f}}},\"history_ms\":{{\"replies\":{},\"p50\":{:.3f},\"p99\":{:.3f},"
        "\"max\":{:.3f}}}}}\n",
        opt.scenario, opt.protocol, opt.ports.size(), opt.clients, opt.senders, opt.window, opt.rate, r.sent,
        r.delivered, lost, r.duplicates, r.reordered, r.seconds, rate, r.bytes_per_connection, cpu_us,
        r.server_cpu_seconds, r.percentile(50), r.percentile(90), r.percentile(99), r.percentile(99.9),
        r.percentile(100), r.history_us.size(), results::percentile_of(r.history_us, 50),
        results::percentile_of(r.history_us, 99), results::percentile_of(r.history_us, 100));
  }
  if (!opt.latencies.empty()) {
    std::ofstream out(opt.latencies);
    for (const auto us : r.latency_us) out << us << '\n';
  }
}

}  // namespace

// Exit codes: 0; 1 when the run fails (cannot connect); 2 for a usage error;
// 3 when messages were lost or delivered twice.
constexpr int kExitUsage = 2;
constexpr int kExitLossy = 3;

int main(int argc, char** argv) {
  options opt;
  CLI::App app{"End-to-end chat server benchmark (IRC or seed protocol, loopback only)."};
  app.add_option("scenario", opt.scenario, "fanout, latency, private, seed, capacity or history")
      ->required()
      ->check(CLI::IsMember({"fanout", "latency", "private", "seed", "capacity", "history"}));
  app.add_option("--host", opt.host, "Server address (loopback)")->capture_default_str();
  app.add_option("--port", opt.ports,
                 "Server port; several (comma-separated or repeated): nodes of one cluster, clients assigned "
                 "round-robin")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--protocol", opt.protocol, "irc or seed")
      ->check(CLI::IsMember({"irc", "seed"}))
      ->capture_default_str();
  app.add_option("--room", opt.room, "Channel to use (seed: always the lobby)")->capture_default_str();
  app.add_option("--clients", opt.clients, "Connections")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000));
  app.add_option("--senders", opt.senders, "Clients that send (fanout, latency)")->capture_default_str();
  app.add_option("--window", opt.window, "Messages in flight per sender (fanout, private)")
      ->capture_default_str();
  app.add_option("--rate", opt.rate, "Messages per second, all senders (latency)")->capture_default_str();
  app.add_option("--duration", opt.duration, "Seconds of sending")->capture_default_str();
  app.add_option("--messages", opt.messages, "Messages per client (seed)")->capture_default_str();
  app.add_option("--stagger", opt.stagger, "Seconds between client starts (seed; 0: all at once)")
      ->capture_default_str();
  app.add_option("--payload", opt.payload, "Filler bytes per message")->capture_default_str();
  app.add_option("--nick-prefix", opt.nick_prefix, "Nicks are <prefix><index>")->capture_default_str();
  app.add_option("--json", opt.json, "Write the summary as JSON to this file");
  app.add_option("--latencies", opt.latencies, "Write every latency sample (microseconds) to this file");
  app.add_option("--rooms", opt.rooms,
                 "Capacity: spread clients over this many rooms (<room>0, <room>1, ...)")
      ->capture_default_str();
  app.add_option("--server-pid", opt.server_pids,
                 "The server's PID: report its CPU time per delivery (capacity: its memory per connection); "
                 "several (comma-separated or repeated): their sum")
      ->delimiter(',');
  app.add_option("--history-target", opt.history_target, "History: the channel whose history is asked for")
      ->capture_default_str();
  app.add_option("--history-limit", opt.history_limit, "History: lines per CHATHISTORY LATEST")
      ->capture_default_str();
  app.add_option("--history-interval-ms", opt.history_interval_ms,
                 "History: at most one request per this many milliseconds (one in flight)")
      ->capture_default_str();
  app.add_option("--background", opt.background,
                 "History: the load meanwhile: fanout (closed loop), latency (open loop at --rate) or none")
      ->check(CLI::IsMember({"fanout", "latency", "none"}))
      ->capture_default_str();
  app.add_flag("--quiet", opt.quiet, "No progress line");
  app.add_flag("--ws", over_websocket,
               "IRC over WebSocket (text.ircv3.net): --port is the server's web listener (--http-port)");
  app.add_flag("--tls", opt.tls,
               "Connect over TLS (certificates are not verified: for loopback measurements)");
  app.set_version_flag("--version", "chat-bench " + std::string(chat::version()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? EXIT_SUCCESS : kExitUsage;
  }

  if (opt.ports.empty()) {
    std::fprintf(stderr, "chat-bench: --port needs at least one port\n");
    return kExitUsage;
  }

  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }

  asio::ssl::context tls(asio::ssl::context::tls_client);
  if (opt.tls) {
    tls.set_verify_mode(asio::ssl::verify_none);
    tls_context = &tls;
  }

  bench b;
  b.opt = opt;
  b.p = opt.protocol == "irc" ? proto::irc : proto::seed;
  if (b.p == proto::seed) b.opt.room = "#lobby";
  try {
    const auto address = asio::ip::make_address(opt.host);
    for (const auto port : opt.ports) b.eps.emplace_back(address, port);
    std::exception_ptr failure;
    auto run = [&]() -> awaitable<void> {
      if (opt.scenario == "fanout") co_await b.fanout();
      if (opt.scenario == "latency") co_await b.latency();
      if (opt.scenario == "private") co_await b.private_pairs();
      if (opt.scenario == "seed") co_await b.seed_workload();
      if (opt.scenario == "capacity") co_await b.capacity();
      if (opt.scenario == "history") co_await b.history();
      b.stop_sending = true;
      for (auto& c : b.clients) c->close();
    };
    asio::co_spawn(b.io, run(), [&](std::exception_ptr e) {
      failure = e;
      b.io.stop();
    });
    b.io.run();
    if (failure) std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nchat-bench: %s\n", e.what());
    return EXIT_FAILURE;
  }
  report(b.opt, b.res);
  const bool lossless = b.res.delivered >= b.res.expected && b.res.duplicates == 0;
  return lossless ? EXIT_SUCCESS : kExitLossy;
}
