// metrics: per-thread counters and their Prometheus text, read back through
// a strict checker of the format (support/prometheus_text). Counters are
// process-wide, so every test compares before and after.
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "metrics/metrics.hpp"
#include "support/prometheus_text.hpp"
#include "version/version.hpp"

using namespace std::chrono_literals;

namespace {

test::exposition scrape() {
  auto e = test::parse_exposition(metrics::render());
  INFO(metrics::render());
  for (const auto& err : e.errors) FAIL_CHECK(err);
  return e;
}

// How much `series` grew from `before` to `after`.
double grew(const test::exposition& before, const test::exposition& after, const std::string& series) {
  const auto b = before.value(series);
  const auto a = after.value(series);
  INFO(series);
  REQUIRE(b.has_value());
  REQUIRE(a.has_value());
  return *a - *b;
}

std::string bucket(const char* le) {
  return std::string("chat_fanout_duration_seconds_bucket{le=\"") + le + "\"}";
}

}  // namespace

TEST_CASE("render() is valid exposition text with every series from the start", "[metrics]") {
  const auto e = scrape();
  CHECK(e.types.at("chat_build_info") == "gauge");
  CHECK(e.types.at("chat_process_start_time_seconds") == "gauge");
  CHECK(e.types.at("chat_connections") == "gauge");
  CHECK(e.types.at("chat_fanout_duration_seconds") == "histogram");
  for (const auto& [family, type] : e.types) {
    CHECK(family.starts_with("chat_"));
    // Counters say so in their names.
    if (type == "counter") CHECK(family.ends_with("_total"));
  }
  for (const char* door : {"irc", "seed"}) {
    for (const char* transport : {"tcp", "tls", "ws", "wss"}) {
      const auto labels = std::string("{door=\"") + door + "\",transport=\"" + transport + "\"}";
      CHECK(e.value("chat_connections_opened_total" + labels).has_value());
      CHECK(e.value("chat_connections" + labels).has_value());
    }
    CHECK(e.value(std::string("chat_registrations_total{door=\"") + door + "\"}").has_value());
    CHECK(e.value(std::string("chat_messages_received_total{door=\"") + door + "\"}").has_value());
  }
  for (const char* reason : {"quit", "closed", "error", "sendq", "flood", "ping_timeout", "login_timeout",
                             "kill", "refused", "shutdown"}) {
    CHECK(e.value(std::string("chat_disconnects_total{reason=\"") + reason + "\"}").has_value());
  }
  for (const char* code : {"101", "200", "304", "400", "403", "404", "405", "408", "413", "414", "426", "431",
                           "500", "503", "other"}) {
    CHECK(e.value(std::string("chat_http_requests_total{code=\"") + code + "\"}").has_value());
  }
  CHECK(e.value("chat_messages_sent_total").has_value());
  CHECK(e.value("chat_deliveries_total").has_value());
  CHECK(e.value(bucket("+Inf")).has_value());
  CHECK(e.value("chat_fanout_duration_seconds_sum").has_value());
  // Dimensions are all there: 8 + 8 connection series, 10 reasons, 15 codes, 11 buckets.
  std::size_t buckets = 0;
  for (const auto& [series, v] : e.samples)
    buckets += series.starts_with("chat_fanout_duration_seconds_bucket");
  CHECK(buckets == 11);

  const auto info = std::string("chat_build_info{version=\"") + std::string(chat::version()) + "\"}";
  CHECK(e.value(info) == 1.0);
  const auto started = e.value("chat_process_start_time_seconds");
  REQUIRE(started.has_value());
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(*started > 0);
  CHECK(*started <= now);
}

TEST_CASE("counters from several threads are summed, and outlive their threads", "[metrics]") {
  constexpr int kEach = 10'000;
  const auto before = scrape();
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < kEach; ++i) {
        metrics::message_in(metrics::door_kind::seed);
        metrics::message_out(3);
        metrics::delivered(2);
      }
      metrics::registered(metrics::door_kind::irc);
    });
  }
  for (auto& t : threads) t.join();
  // The threads are gone; what they counted is not.
  const auto after = scrape();
  CHECK(grew(before, after, "chat_messages_received_total{door=\"seed\"}") == 2 * kEach);
  CHECK(grew(before, after, "chat_messages_received_total{door=\"irc\"}") == 0);
  CHECK(grew(before, after, "chat_messages_sent_total") == 2 * 3 * kEach);
  CHECK(grew(before, after, "chat_deliveries_total") == 2 * 2 * kEach);
  CHECK(grew(before, after, "chat_registrations_total{door=\"irc\"}") == 2);
}

TEST_CASE("connections: the gauge is opened minus closed, each close counts its reason", "[metrics]") {
  using metrics::disconnect;
  using metrics::door_kind;
  using metrics::transport;
  const std::string irc_tls = "{door=\"irc\",transport=\"tls\"}";
  const std::string seed_tcp = "{door=\"seed\",transport=\"tcp\"}";
  const auto before = scrape();
  metrics::connection_opened(door_kind::irc, transport::tls);
  metrics::connection_opened(door_kind::irc, transport::tls);
  metrics::connection_opened(door_kind::seed, transport::tcp);
  // Closed on another thread than it was opened: still one gauge.
  std::thread([] {
    metrics::connection_closed(door_kind::irc, transport::tls, disconnect::ping_timeout);
  }).join();
  const auto after = scrape();
  CHECK(grew(before, after, "chat_connections_opened_total" + irc_tls) == 2);
  CHECK(grew(before, after, "chat_connections_opened_total" + seed_tcp) == 1);
  CHECK(grew(before, after, "chat_connections" + irc_tls) == 1);
  CHECK(grew(before, after, "chat_connections" + seed_tcp) == 1);
  CHECK(grew(before, after, "chat_connections{door=\"irc\",transport=\"tcp\"}") == 0);
  CHECK(grew(before, after, "chat_disconnects_total{reason=\"ping_timeout\"}") == 1);
  CHECK(grew(before, after, "chat_disconnects_total{reason=\"quit\"}") == 0);
  metrics::connection_closed(door_kind::irc, transport::tls, disconnect::quit);
  metrics::connection_closed(door_kind::seed, transport::tcp, disconnect::sendq);
  const auto last = scrape();
  CHECK(grew(before, last, "chat_connections" + irc_tls) == 0);
  CHECK(grew(before, last, "chat_connections" + seed_tcp) == 0);
  CHECK(grew(after, last, "chat_disconnects_total{reason=\"quit\"}") == 1);
  CHECK(grew(after, last, "chat_disconnects_total{reason=\"sendq\"}") == 1);
}

TEST_CASE("fan-out histogram: le is inclusive, buckets are cumulative, sum in seconds", "[metrics]") {
  const auto before = scrape();
  metrics::fanout_time(1ns);         // le="1e-06"
  metrics::fanout_time(1us);         // exactly on the first bound: le="1e-06" too
  metrics::fanout_time(10us);        // exactly 1e-05
  metrics::fanout_time(10us + 1ns);  // just past: le="5e-05"
  metrics::fanout_time(100ms);       // the last finite bound
  metrics::fanout_time(2s);          // past every bound: +Inf only
  const auto after = scrape();
  CHECK(grew(before, after, bucket("1e-06")) == 2);
  CHECK(grew(before, after, bucket("5e-06")) == 2);
  CHECK(grew(before, after, bucket("1e-05")) == 3);
  CHECK(grew(before, after, bucket("5e-05")) == 4);
  CHECK(grew(before, after, bucket("0.01")) == 4);
  CHECK(grew(before, after, bucket("0.1")) == 5);
  CHECK(grew(before, after, bucket("+Inf")) == 6);
  CHECK(grew(before, after, "chat_fanout_duration_seconds_count") == 6);
  const double sum_s = 1e-9 + 1e-6 + 1e-5 + (1e-5 + 1e-9) + 0.1 + 2;
  CHECK(grew(before, after, "chat_fanout_duration_seconds_sum") == Approx(sum_s).epsilon(1e-9));
}

TEST_CASE("HTTP responses are counted by a bounded set of codes", "[metrics]") {
  const auto before = scrape();
  metrics::http_request(200);
  metrics::http_request(200);
  metrics::http_request(101);
  metrics::http_request(404);
  metrics::http_request(299);  // not one the server sends: other
  metrics::http_request(-1);
  const auto after = scrape();
  CHECK(grew(before, after, "chat_http_requests_total{code=\"200\"}") == 2);
  CHECK(grew(before, after, "chat_http_requests_total{code=\"101\"}") == 1);
  CHECK(grew(before, after, "chat_http_requests_total{code=\"404\"}") == 1);
  CHECK(grew(before, after, "chat_http_requests_total{code=\"500\"}") == 0);
  CHECK(grew(before, after, "chat_http_requests_total{code=\"other\"}") == 2);
}

TEST_CASE("a label value is escaped: backslash, quote and line feed", "[metrics]") {
  const std::string version = "1.0 \"odd\" C:\\build\nnext";
  const auto text = metrics::render(version);
  CHECK(text.find("chat_build_info{version=\"1.0 \\\"odd\\\" C:\\\\build\\nnext\"} 1\n") !=
        std::string::npos);
  const auto e = test::parse_exposition(text);
  for (const auto& err : e.errors) FAIL_CHECK(err);
  std::string series;
  for (const auto& [key, v] : e.samples) {
    if (key.starts_with("chat_build_info")) series = key;
  }
  CHECK(test::label_value(series, "version") == version);
}

TEST_CASE("the format checker refuses what breaks the rules", "[metrics]") {
  auto broken = [](const char* text) {
    INFO(text);
    const auto e = test::parse_exposition(text);
    return !e.errors.empty();
  };
  const char* good =
      "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\n"
      "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n";
  CHECK_FALSE(broken(good));
  CHECK(broken("a_total 1\n"));                                          // no TYPE
  CHECK(broken("# TYPE a_total counter\na_total 1\n"));                  // no HELP
  CHECK(broken("# HELP a A.\n# TYPE a gauge\na 1"));                     // no final line feed
  CHECK(broken("# HELP 1a A.\n# TYPE 1a gauge\n1a 1\n"));                // bad name
  CHECK(broken("# HELP a A.\n# TYPE a gauge\na{x=\"\\t\"} 1\n"));        // bad escape
  CHECK(broken("# HELP a A.\n# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n"));  // label twice
  CHECK(broken("# HELP a A.\n# TYPE a gauge\na 1\na 2\n"));              // series twice
  CHECK(broken("# HELP a A.\n# TYPE a gauge\nb 1\n"));                   // not of the family
  CHECK(broken("# HELP a A.\n# TYPE a counter\na -1\n"));                // negative counter
  CHECK(broken("# HELP a A.\n# TYPE a gauge\na one\n"));                 // bad value
  CHECK(broken("# HELP a A.\n# TYPE a gauge\n# HELP b B.\n# TYPE b gauge\nb 1\na 1\n"));  // not contiguous
  CHECK(
      broken("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
             "h_sum 3\nh_count 1\n"));  // not cumulative
  CHECK(broken("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 3\nh_count 1\n"));  // no +Inf
  CHECK(
      broken("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 1\n"));  // != count
  CHECK(
      broken("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
             "h_bucket{le=\"+Inf\"} 1\nh_sum 3\nh_count 1\n"));  // le falls
}
