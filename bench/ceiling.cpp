// chat-ceiling: the least IRC server chat-bench can measure, as a yardstick.
//
//   chat-ceiling [port]        (default 6668; listens on 127.0.0.1 only)
//
// One thread, level-triggered epoll, written the way Redis writes its
// replies: every ready socket is read and its lines handled, then every
// client with pending output is written once. It speaks just enough IRC for
// chat-bench (NICK, USER, JOIN, PRIVMSG/NOTICE to a channel or a nick, PING,
// QUIT) and does nothing else a server must: no validation of names or
// lengths, no flood control, no modes, no JOIN shown to other members, nick
// case matters. What it measures is what this machine and chat-bench allow
// a server that does almost nothing per message: the ceiling our server's
// numbers in bench/RESULTS.md are read against. Never run it for people.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

constexpr int kBacklog = 4096;                                    // as our server's default
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;        // one recv at most
constexpr std::size_t kMaxLine = 512;                             // a longer line drops the client
constexpr std::size_t kMaxOutput = std::size_t{8} * 1024 * 1024;  // unsent bytes before a client is dropped
constexpr int kEventsPerWait = 1024;

struct client {
  int fd = -1;
  std::string in;
  std::string out;
  std::string nick;
  std::string prefix;  // ":nick!nick@127.0.0.1 ", built once at registration
  bool user_seen = false;
  bool registered = false;
  bool dirty = false;       // on the pending list
  bool watching = false;    // EPOLLOUT armed
  bool overflowed = false;  // dropped at the end of the round
  bool dead = false;
  std::vector<std::string> channels;
};

class server {
 public:
  explicit server(int listener) : listener_(listener), epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    add(listener_, EPOLLIN, nullptr);
  }

  [[noreturn]] void run() {
    std::array<epoll_event, kEventsPerWait> events{};
    std::array<char, kReadChunk> buffer{};
    for (;;) {
      const int ready = epoll_wait(epoll_, events.data(), kEventsPerWait, -1);
      for (const epoll_event& e : std::span(events.data(), static_cast<std::size_t>(std::max(ready, 0)))) {
        auto* c = static_cast<client*>(e.data.ptr);
        if (c == nullptr) {
          accept_all();
          continue;
        }
        if (c->dead) continue;
        if ((e.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) read_from(*c, buffer);
        if (!c->dead && (e.events & EPOLLOUT) != 0) write_to(*c);
      }
      // Every client written once per round, with all the round produced.
      for (client* c : pending_) {
        c->dirty = false;
        if (!c->dead) write_to(*c);
      }
      pending_.clear();
      for (client* c : overflowed_) drop(*c);
      overflowed_.clear();
      for (client* c : doomed_) release(c);
      doomed_.clear();
    }
  }

 private:
  void add(int fd, std::uint32_t events, client* c) const {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = c;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }

  void watch(client& c, bool on) const {
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0U);
    ev.data.ptr = &c;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    c.watching = on;
  }

  void accept_all() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or out of descriptors: try again next round
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto owned = std::make_unique<client>();
      owned->fd = fd;
      add(fd, EPOLLIN, owned.get());
      clients_.push_back(std::move(owned));
    }
  }

  void read_from(client& c, std::array<char, kReadChunk>& buffer) {
    const ssize_t n = recv(c.fd, buffer.data(), buffer.size(), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return drop(c);
    if (n < 0) return;
    std::string_view data(buffer.data(), static_cast<std::size_t>(n));
    if (!c.in.empty()) {
      c.in.append(data);
      data = c.in;
    }
    std::size_t used = 0;
    for (std::size_t eol; !c.dead && (eol = data.find('\n', used)) != std::string_view::npos;
         used = eol + 1) {
      auto line = data.substr(used, eol - used);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      handle(c, line);
    }
    if (c.dead) return;
    if (data.size() - used > kMaxLine) return drop(c);
    c.in = std::string(data.substr(used));  // the partial line, if any
  }

  static std::string_view word(std::string_view& rest) {
    const auto start = std::min(rest.find_first_not_of(' '), rest.size());
    rest.remove_prefix(start);
    if (!rest.empty() && rest.front() == ':') {
      const auto all = rest.substr(1);
      rest = {};
      return all;
    }
    const auto end = std::min(rest.find(' '), rest.size());
    const auto w = rest.substr(0, end);
    rest.remove_prefix(end);
    return w;
  }

  void handle(client& c, std::string_view line) {
    auto rest = line;
    const auto command = word(rest);
    if (command == "PRIVMSG" || command == "NOTICE") {
      if (!c.registered) return;
      const auto target = word(rest);
      const auto text = word(rest);
      std::string out = c.prefix;
      out.append(command).append(" ").append(target).append(" :").append(text).append("\r\n");
      if (target.starts_with('#')) {
        auto it = channels_.find(std::string(target));
        if (it == channels_.end()) return;
        for (client* m : it->second) {
          if (m != &c) queue(*m, out);
        }
      } else if (auto it = nicks_.find(std::string(target)); it != nicks_.end()) {
        queue(*it->second, out);
      }
    } else if (command == "PING") {
      queue(c, ":ceiling PONG ceiling :" + std::string(word(rest)) + "\r\n");
    } else if (command == "NICK" && c.nick.empty()) {
      const std::string nick(word(rest));
      if (nick.empty() || !nicks_.try_emplace(nick, &c).second) {
        queue(c, ":ceiling 433 * " + nick + " :Nickname is already in use\r\n");
        return;
      }
      c.nick = nick;
      finish_registration(c);
    } else if (command == "USER") {
      c.user_seen = true;
      finish_registration(c);
    } else if (command == "JOIN" && c.registered) {
      const std::string name(word(rest));
      auto& members = channels_[name];
      if (std::find(members.begin(), members.end(), &c) != members.end()) return;
      members.push_back(&c);
      c.channels.push_back(name);
      queue(c, c.prefix + "JOIN " + name + "\r\n:ceiling 366 " + c.nick + " " + name +
                   " :End of /NAMES list\r\n");
    } else if (command == "QUIT") {
      drop(c);
    }
  }

  void finish_registration(client& c) {
    if (c.registered || c.nick.empty() || !c.user_seen) return;
    c.registered = true;
    c.prefix = ":" + c.nick + "!" + c.nick + "@127.0.0.1 ";
    queue(c, ":ceiling 001 " + c.nick + " :Welcome\r\n:ceiling 422 " + c.nick + " :No MOTD\r\n");
  }

  // Never drops a client itself: it runs inside loops over channel members.
  void queue(client& c, std::string_view bytes) {
    if (c.dead || c.overflowed) return;
    c.out.append(bytes);
    if (c.out.size() > kMaxOutput) {
      c.overflowed = true;
      overflowed_.push_back(&c);
      return;
    }
    if (!c.dirty && !c.watching) {
      c.dirty = true;
      pending_.push_back(&c);
    }
  }

  void write_to(client& c) {
    if (c.out.empty()) {
      if (c.watching) watch(c, false);
      return;
    }
    const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return drop(c);
    if (n > 0) c.out.erase(0, static_cast<std::size_t>(n));
    if (c.out.empty() != !c.watching) watch(c, !c.out.empty());
  }

  void drop(client& c) {
    if (c.dead) return;
    c.dead = true;
    for (const auto& name : c.channels) {
      auto& members = channels_[name];
      members.erase(std::remove(members.begin(), members.end(), &c), members.end());
      if (members.empty()) channels_.erase(name);
    }
    if (auto it = nicks_.find(c.nick); it != nicks_.end() && it->second == &c) nicks_.erase(it);
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    doomed_.push_back(&c);  // freed after the round: events may still name it
  }

  void release(client* c) {
    auto it = std::find_if(clients_.begin(), clients_.end(), [c](const auto& p) { return p.get() == c; });
    if (it != clients_.end()) {
      std::swap(*it, clients_.back());
      clients_.pop_back();
    }
  }

  int listener_;
  int epoll_;
  std::vector<std::unique_ptr<client>> clients_;
  std::unordered_map<std::string, client*> nicks_;
  std::unordered_map<std::string, std::vector<client*>> channels_;
  std::vector<client*> pending_;
  std::vector<client*> overflowed_;
  std::vector<client*> doomed_;
};

}  // namespace

int main(int argc, char** argv) {
  const long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 6668;
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "usage: chat-ceiling [port]   (listens on 127.0.0.1)\n");
    return 2;
  }
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, kBacklog) != 0) {
    std::perror("chat-ceiling: 127.0.0.1");
    return 1;
  }
  std::printf("chat-ceiling listening on 127.0.0.1:%ld\n", port);
  std::fflush(stdout);
  server(listener).run();
}
