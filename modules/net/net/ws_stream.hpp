// IRC over WebSocket (RFC 6455; IRCv3's WebSocket specification) as one
// more stream under a connection (the shape is in plain_stream.hpp), over a
// plain or TLS stream whose HTTP upgrade the web listener has answered
// (http_session.hpp). Up the stack it reads and writes IRC lines with CR LF
// like any stream, so the IRC door and the rooms never know:
// - each message from the client is one line, given to the door with CR LF;
// - each line the door writes is one message, without CR LF: a text frame
//   (invalid UTF-8 replaced by U+FFFD) or, for binary.ircv3.net, a binary one;
// - pings are answered, a close is answered and ends the connection;
// - a frame that breaks the rules (unmasked, oversized, bad UTF-8, a line
//   break inside a message) ends it with the close code that says why.
//
// A goodbye (the peer's close or a broken rule) comes out of read() as
// stream_errc::goodbye: the connection then flushes, and close_notify()
// sends the close frame before the half-close.
//
// Frames are encoded into a buffer of the stream's own; control frames
// (pong, close) are written from it between the connection's batches.
// Guarded by the connection's strand, like the stream below it.
#pragma once

#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

#include <asio/bind_executor.hpp>

#include "metrics/metrics.hpp"
#include "net/asio.hpp"
#include "net/stream_errc.hpp"
#include "net/task.hpp"
#include "net/write_state.hpp"
#include "protocol/utf8.hpp"
#include "protocol/websocket.hpp"

namespace net {

template <class Inner>
class ws_stream {
 public:
  static constexpr bool kSecure = Inner::kSecure;
  static constexpr bool kHasCloseNotify = true;
  static constexpr metrics::transport kTransport =
      Inner::kSecure ? metrics::transport::wss : metrics::transport::ws;

  // `reply` is the 101 response, written by handshake(); `early` what the
  // client sent after its request head; `binary` for binary.ircv3.net.
  ws_stream(Inner inner, std::string reply, std::string early, bool binary)
      : inner_(std::move(inner)), reply_(std::move(reply)), early_(std::move(early)), binary_(binary) {}

  stream_socket& lowest_layer() noexcept { return inner_.lowest_layer(); }

  // What keeps the connection alive while a control frame is being written.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  // Writes the 101 response (the TLS handshake, if any, is done).
  auto handshake(const strand& on) {
    strand_ = &on;
    return async_op<std::error_code>([this, &on](auto resume) {
      hello_.buffers.assign(1, asio::buffer(reply_));
      inner_.async_write(
          hello_, asio::bind_executor(
                      on, [r = std::move(resume)](std::error_code ec, std::size_t) mutable { r(ec); }));
    });
  }

  class read_awaiter {
   public:
    read_awaiter(ws_stream& s, typename Inner::read_awaiter inner) : stream_(s), inner_(std::move(inner)) {}
    bool await_ready() const noexcept { return !stream_.early_.empty(); }
    void await_suspend(std::coroutine_handle<> frame) noexcept { inner_.await_suspend(frame); }
    std::tuple<std::error_code, std::string_view> await_resume() {
      if (!stream_.early_.empty()) {
        const std::string early = std::exchange(stream_.early_, {});
        return stream_.decode({}, early);
      }
      auto [ec, bytes] = inner_.await_resume();
      return stream_.decode(ec, bytes);
    }

   private:
    ws_stream& stream_;
    typename Inner::read_awaiter inner_;
  };
  read_awaiter read(const strand& on) noexcept { return {*this, inner_.read(on)}; }

  // Frames the batch; writes what the kernel takes now. All of it: the
  // batch's size. Less: 0, and async_write() writes the rest.
  std::size_t try_write(std::span<const asio::const_buffer> buffers, std::error_code& ec) {
    ec.clear();
    std::size_t bytes = 0;
    for (const auto& b : buffers) {
      bytes += b.size();
      if (!close_sent_) frame_lines(std::string_view(static_cast<const char*>(b.data()), b.size()));
    }
    if (out_.empty()) return bytes;
    if (writing_) return 0;
    const asio::const_buffer all = asio::buffer(out_);
    const std::size_t n = inner_.try_write(std::span<const asio::const_buffer>(&all, 1), ec);
    if (ec) return 0;
    out_.erase(0, n);
    return out_.empty() ? bytes : 0;
  }

  // The rest of the last try_write (its frames are in out_), then handler.
  template <class Handler>
  void async_write(write_state& /*w*/, Handler&& handler) {
    done_ = std::forward<Handler>(handler);
    if (!writing_) pump();
  }

  // The close frame, then the stream's own goodbye (TLS close_notify).
  template <class Handler>
  void close_notify(Handler&& handler) {
    if (!close_sent_) {
      close_sent_ = true;
      protocol::ws::encode_frame(out_, protocol::ws::opcode::close,
                                 protocol::ws::close_payload(code_, reason_));
    }
    done_ = [this, h = std::forward<Handler>(handler)](std::error_code ec, std::size_t) mutable {
      if (ec) {
        h(ec);
      } else {
        inner_.close_notify(std::move(h));
      }
    };
    if (!writing_) pump();
  }

 private:
  // Bytes read: the lines of whole messages, CR LF after each.
  std::tuple<std::error_code, std::string_view> decode(std::error_code ec, std::string_view bytes) {
    lines_.clear();
    if (bytes.empty() || goodbye_) return {ec, lines_};
    decoder_.feed(bytes);
    for (;;) {
      auto ev = decoder_.next();
      if (!ev) {
        say_goodbye(ev.error().code, ev.error().reason);
        break;
      }
      if (!*ev) break;
      const auto& e = **ev;
      using protocol::ws::opcode;
      if (e.op == opcode::text || e.op == opcode::binary) {
        if (!add_line(e.payload)) {
          say_goodbye(protocol::ws::close_code::policy, "one IRC line per message");
          break;
        }
      } else if (e.op == opcode::ping) {
        if (!close_sent_) protocol::ws::encode_frame(out_, opcode::pong, e.payload);
        if (!writing_ && !out_.empty()) pump();
      } else if (e.op == opcode::close) {
        // The peer's code comes back (RFC 6455, 5.5.1); none: normal.
        say_goodbye(static_cast<protocol::ws::close_code>(
                        e.close_code.value_or(static_cast<std::uint16_t>(protocol::ws::close_code::normal))),
                    "");
        break;
      }
    }
    if (goodbye_ && !ec) ec = make_error_code(stream_errc::goodbye);
    return {ec, lines_};
  }

  // A message as a line for the door. A line break may end it (some
  // clients send one); one inside it would smuggle a second command in.
  bool add_line(std::string_view line) {
    if (line.ends_with("\r\n")) {
      line.remove_suffix(2);
    } else if (line.ends_with('\n')) {
      line.remove_suffix(1);
    }
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) return false;
    lines_.append(line);
    lines_.append("\r\n");
    return true;
  }

  void say_goodbye(protocol::ws::close_code code, std::string_view reason) {
    if (goodbye_) return;
    goodbye_ = true;
    code_ = code;
    reason_ = reason;
    if (code != protocol::ws::close_code::normal) {
      spdlog::info("WebSocket {}: closing ({} {})", describe_peer(), static_cast<int>(code), reason);
    }
  }

  std::string describe_peer() {
    std::error_code ignored;
    const auto ep = inner_.lowest_layer().remote_endpoint(ignored);
    return ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  // Each line of `bytes` (lines end in LF, CR LF) as one message.
  void frame_lines(std::string_view bytes) {
    using protocol::ws::opcode;
    while (!bytes.empty()) {
      const auto nl = bytes.find('\n');
      std::string_view line = bytes.substr(0, nl);
      bytes.remove_prefix(nl == std::string_view::npos ? bytes.size() : nl + 1);
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (line.empty()) continue;
      if (binary_) {
        protocol::ws::encode_frame(out_, opcode::binary, line);
      } else if (protocol::is_valid_utf8(line)) {
        protocol::ws::encode_frame(out_, opcode::text, line);
      } else {
        // Text frames must be UTF-8; a seed user's or an old client's
        // Latin-1 comes through readable rather than closing the socket.
        protocol::ws::encode_frame(out_, opcode::text, protocol::replace_invalid_utf8(line));
      }
    }
  }

  // Writes out_ (and what is added meanwhile), then calls done_ if set.
  void pump() {
    writing_ = true;
    sending_.swap(out_);
    out_.clear();
    wire_.buffers.assign(1, asio::buffer(sending_));
    inner_.async_write(
        wire_, asio::bind_executor(*strand_, [this, keep = owner_.lock()](std::error_code ec, std::size_t) {
          sending_.clear();
          if (!ec && !out_.empty()) {
            pump();
            return;
          }
          writing_ = false;
          if (auto done = std::exchange(done_, nullptr)) done(ec, 0);
        }));
  }

  Inner inner_;
  std::string reply_;
  std::string early_;
  bool binary_;
  const strand* strand_ = nullptr;
  std::weak_ptr<void> owner_;
  protocol::ws::decoder decoder_;
  std::string lines_;  // what read() returned last
  // Frames waiting to be written, and the ones being written.
  std::string out_;
  std::string sending_;
  write_state wire_;
  write_state hello_;
  bool writing_ = false;
  // Called when the writes pending finish: the connection's handler.
  std::function<void(std::error_code, std::size_t)> done_;
  bool goodbye_ = false;
  bool close_sent_ = false;
  protocol::ws::close_code code_ = protocol::ws::close_code::normal;
  std::string_view reason_;  // static text
};

}  // namespace net
