// chat-client: a console client for the seed protocol, the original Python
// client's behaviour in one coroutine program: it asks for a username, prints
// every frame it receives, and sends each line typed (`!logout` to quit).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/signal_set.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include "net/asio.hpp"
#include "protocol/seed.hpp"

namespace {

using net::awaitable;
using net::tcp;
using net::use_nothrow;

// Prints every frame the server sends until it closes the connection.
awaitable<void> receive(tcp::socket& socket, bool& done) {
  protocol::seed::frame_decoder decoder;
  for (;;) {
    auto space = decoder.prepare(4096);
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(space.data(), space.size()), use_nothrow);
    if (ec) {
      if (!done) std::cout << "Connection closed by the server" << std::endl;
      break;
    }
    decoder.commit(n);
    for (;;) {
      auto frame = decoder.next();
      if (!frame.has_value()) {
        std::cout << "Invalid data from the server: " << protocol::describe(frame.error()) << std::endl;
        co_return;
      }
      if (!frame->has_value()) break;
      std::cout << **frame << std::endl;
    }
  }
  done = true;
}

// Sends each line of standard input as one frame.
awaitable<void> send_lines(tcp::socket& socket, asio::posix::stream_descriptor& input, bool& done) {
  asio::streambuf buffer;
  for (;;) {
    auto [ec, n] = co_await asio::async_read_until(input, buffer, '\n', use_nothrow);
    if (ec) break;  // end of input: leave like !logout
    std::string line(asio::buffers_begin(buffer.data()),
                     asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n - 1));
    buffer.consume(n);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "!logout") {
      std::cout << "Logging out..." << std::endl;
      break;
    }
    if (line.empty()) continue;
    auto [wec, written] =
        co_await asio::async_write(socket, asio::buffer(protocol::seed::encode_frame(line)), use_nothrow);
    if (wec) break;
  }
  done = true;
  std::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  std::string port = "1234";
  std::string username;
  CLI::App app{"Console chat client for the seed protocol (the original Python chatroom's)."};
  app.add_option("--host", host, "Server address")->capture_default_str();
  app.add_option("--port", port, "Server port")->capture_default_str();
  app.add_option("--user,-u", username, "Username (asked for if not given)");
  CLI11_PARSE(app, argc, argv);

  if (username.empty()) {
    std::cout << "Username: " << std::flush;
    if (!std::getline(std::cin, username)) return EXIT_FAILURE;
  }

  try {
    asio::io_context io;
    tcp::socket socket(io);
    tcp::resolver resolver(io);
    asio::connect(socket, resolver.resolve(host, port));
    socket.set_option(tcp::no_delay(true));
    asio::write(socket, asio::buffer(protocol::seed::encode_frame(username)));

    asio::posix::stream_descriptor input(io, ::dup(STDIN_FILENO));
    bool done = false;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    // Every way out ends the receiver (the sender closes the socket); its
    // end releases everything else so that run() returns.
    asio::co_spawn(io, receive(socket, done), [&](std::exception_ptr) {
      std::error_code ignored;
      input.close(ignored);
      signals.cancel(ignored);
    });
    asio::co_spawn(io, send_lines(socket, input, done), asio::detached);
    signals.async_wait([&](std::error_code ec, int) {
      if (ec) return;
      done = true;
      std::error_code ignored;
      socket.close(ignored);
      input.close(ignored);
    });
    io.run();
    std::cout << "Client program exited" << std::endl;
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    std::cerr << "chat-client: " << e.what() << std::endl;
    return EXIT_FAILURE;
  }
}
