// chat-store-bench: how fast the store commits history, how quickly it
// answers CHATHISTORY LATEST on a full file, and how long open() takes on
// it. Real SQLite file, realistic line sizes, two producer threads.
//
//   chat-store-bench                       # 1,000,000 lines in a fresh temp dir
//   chat-store-bench --dir /var/tmp/sb --rows 200000 --keep
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "chat/event.hpp"
#include "store/store.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct settings {
  std::string dir;
  std::size_t rows = 1'000'000;
  std::size_t producers = 2;
  std::size_t channels = 100;
  std::size_t pairs = 50;      // private conversations
  double private_share = 0.1;  // of all lines
  std::size_t queries = 1000;
  double paced_rate = 20'000;  // lines/s in the paced phase (a busy server)
  bool keep = false;
  bool backpressure = true;
};

// What one producer appends: 100-byte text, a 26-character msgid (the
// server's own), a source of about 40 bytes, 100 channels and some
// private conversations.
store::line make(std::mt19937_64& rng, const settings& s, std::size_t n) {
  store::line l;
  const bool priv = std::uniform_real_distribution<double>(0, 1)(rng) < s.private_share;
  const auto who = rng() % 5000;
  l.source = fmt::format("user{:04}!~user{:04}@host-{:03}.example.org", who, who, who % 1000);
  l.account = fmt::format("user{:04}", who);
  if (priv) {
    const auto p = rng() % s.pairs;
    const std::string a = fmt::format("user{:04}", p);
    const std::string b = fmt::format("peer{:04}", p);
    l.target = store::private_key(a, b);
    l.to = b;
  } else {
    l.target = fmt::format("#channel-{:03}", rng() % s.channels);
    l.to = l.target;
  }
  l.msgid = chat::next_message_id().to_string();
  l.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  l.text = fmt::format("{:08} ", n);
  l.text.resize(100, 'x');
  return l;
}

// Waits (polling the stats, no flush: the commit interval counts) until
// every line taken is committed; how long that took.
double wait_committed(store::store& st, clock_type::time_point from) {
  for (;;) {
    const auto now = st.snapshot();
    if (now.committed + now.dropped >= now.queued) return ms_between(from, clock_type::now());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

int run(int argc, char** argv) {
  settings s;
  CLI::App app{"Store benchmark: group-commit throughput, LATEST latency, open time"};
  app.add_option("--dir", s.dir, "Data directory (default: a fresh one under $TMPDIR, removed after)");
  app.add_option("--rows", s.rows, "History lines to append")->capture_default_str();
  app.add_option("--producers", s.producers, "Threads appending")->capture_default_str();
  app.add_option("--queries", s.queries, "LATEST 100 queries to time")->capture_default_str();
  app.add_option("--paced-rate", s.paced_rate, "Lines/s for the paced phase's lag (one second)")
      ->capture_default_str();
  app.add_flag("--keep", s.keep, "Keep the directory afterwards");
  app.add_flag("!--no-backpressure", s.backpressure,
               "Append without pausing when the queue nears kMaxPendingRows (lines past it are dropped)");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  bool made_dir = false;
  if (s.dir.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "chat-store-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    s.dir = pattern;
    made_dir = true;
  }
  store::options o;
  o.dir = s.dir;
  std::filesystem::remove(o.dir / store::kDatabaseFile);
  auto opened = store::store::open(o);
  if (!opened) {
    fmt::print(stderr, "open: {}\n", opened.error());
    return 1;
  }
  auto st = std::move(*opened);

  // Appends, as fast as the producers can make lines; with backpressure
  // they pause while the queue is near full, so that the rate measured is
  // what the disk sustains with nothing dropped.
  std::atomic<std::size_t> peak{0};
  std::atomic<bool> done{false};
  const auto t0 = clock_type::now();
  std::vector<std::thread> producers;
  for (std::size_t p = 0; p < s.producers; ++p) {
    producers.emplace_back([&, p] {
      std::mt19937_64 rng(p + 1);
      const std::size_t mine = s.rows / s.producers + (p < s.rows % s.producers ? 1 : 0);
      for (std::size_t i = 0; i < mine; ++i) {
        if (s.backpressure && i % 1024 == 0) {
          while (st->snapshot().pending > store::kMaxPendingRows * 3 / 4) std::this_thread::yield();
        }
        st->append(make(rng, s, i));
      }
    });
  }
  std::thread sampler([&] {
    while (!done.load()) {
      peak = std::max(peak.load(), st->snapshot().pending);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  for (auto& t : producers) t.join();
  const auto t_appended = clock_type::now();
  const double flood_lag = wait_committed(*st, t_appended);
  const auto t_committed = clock_type::now();
  done = true;
  sampler.join();
  const auto after = st->snapshot();

  const double secs = ms_between(t0, t_committed) / 1000.0;
  fmt::print(
      "append {} lines from {} threads: {:.0f} lines/s committed ({:.2f} s), appended at {:.0f} lines/s\n",
      s.rows, s.producers, static_cast<double>(after.committed) / secs, secs,
      static_cast<double>(after.queued) / (ms_between(t0, t_appended) / 1000.0));
  fmt::print(
      "  commits {} ({:.0f} lines each), peak pending {}, dropped {}, failures {}\n", after.commits,
      static_cast<double>(after.committed) / static_cast<double>(std::max<std::uint64_t>(after.commits, 1)),
      peak.load(), after.dropped, after.failures);
  fmt::print("  lag from the last append to committed: {:.1f} ms (the backlog the producers built)\n",
             flood_lag);

  // Paced: a steady rate for a second, then the lag of the last line.
  {
    std::mt19937_64 rng(7);
    const auto start = clock_type::now();
    const auto n = static_cast<std::size_t>(s.paced_rate);
    for (std::size_t i = 0; i < n; ++i) {
      std::this_thread::sleep_until(start +
                                    std::chrono::duration<double>(static_cast<double>(i) / s.paced_rate));
      st->append(make(rng, s, i));
    }
    const double lag = wait_committed(*st, clock_type::now());
    fmt::print(
        "paced {:.0f} lines/s for 1 s: lag from the last append to committed {:.1f} ms (commit interval {} "
        "ms)\n",
        s.paced_rate, lag, store::kCommitInterval.count());
  }

  // LATEST 100 on random channels of the full file.
  std::mt19937_64 rng(99);
  std::vector<double> lat;
  lat.reserve(s.queries);
  std::size_t lines_back = 0;
  for (std::size_t i = 0; i < s.queries; ++i) {
    store::query q;
    q.what = store::query::kind::latest;
    q.target = fmt::format("#channel-{:03}", rng() % s.channels);
    q.a.none = true;
    q.limit = 100;
    const auto a = clock_type::now();
    auto r = store::wait<std::vector<store::line>>([&](auto cb) { st->history(q, cb); });
    lat.push_back(ms_between(a, clock_type::now()));
    if (r) lines_back += r->size();
  }
  fmt::print("history(latest, 100) x{}: p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms ({} lines each)\n",
             s.queries, percentile(lat, 0.5), percentile(lat, 0.99), percentile(lat, 1.0),
             lines_back / std::max<std::size_t>(s.queries, 1));

  st->close();
  st.reset();
  const auto size = std::filesystem::file_size(o.dir / store::kDatabaseFile);
  const auto t_open = clock_type::now();
  auto again = store::store::open(o);
  const double open_ms = ms_between(t_open, clock_type::now());
  if (!again) {
    fmt::print(stderr, "reopen: {}\n", again.error());
    return 1;
  }
  fmt::print("open() on the {}-line file ({:.0f} MiB): {:.1f} ms\n", after.committed,
             static_cast<double>(size) / (1024.0 * 1024.0), open_ms);
  (*again)->close();
  again->reset();

  if (made_dir && !s.keep) std::filesystem::remove_all(s.dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "chat-store-bench: {}\n", e.what());
    return 1;
  }
}
