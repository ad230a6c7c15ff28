// Microbenchmarks of the hot paths: seed framing, UTF-8 validation and room
// fan-out in-process (no sockets). Run: build/release/bench/chat-micro
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "chat/room.hpp"
#include "net/outbox.hpp"
#include "protocol/seed.hpp"
#include "protocol/utf8.hpp"

namespace {

namespace seed = protocol::seed;

void BM_SeedEncode(benchmark::State& state) {
  const std::string text(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    auto bytes = seed::encode_frame(text);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * (state.range(0) + 10));
}
BENCHMARK(BM_SeedEncode)->Arg(16)->Arg(256)->Arg(4096);

void BM_SeedDecodeStream(benchmark::State& state) {
  // 1,000 frames of the given size in one buffer, fed in 4 KiB reads.
  std::string stream;
  const std::string text(static_cast<std::size_t>(state.range(0)), 'x');
  for (int i = 0; i < 1000; ++i) seed::append_frame(stream, text);
  for (auto _ : state) {
    seed::frame_decoder decoder;
    std::size_t frames = 0;
    for (std::size_t at = 0; at < stream.size(); at += 4096) {
      decoder.feed(std::string_view(stream).substr(at, 4096));
      for (;;) {
        auto f = decoder.next();
        if (!f.has_value() || !f->has_value()) break;
        ++frames;
      }
    }
    benchmark::DoNotOptimize(frames);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_SeedDecodeStream)->Arg(16)->Arg(256);

void BM_ParseCommand(benchmark::State& state) {
  const std::string msg = "!msg someone a private message of ordinary length";
  for (auto _ : state) {
    auto cmd = seed::parse_command(msg);
    benchmark::DoNotOptimize(cmd);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseCommand);

void BM_Utf8Ascii(benchmark::State& state) {
  const std::string text(static_cast<std::size_t>(state.range(0)), 'a');
  for (auto _ : state) benchmark::DoNotOptimize(protocol::is_valid_utf8(text));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Utf8Ascii)->Arg(64)->Arg(4096);

void BM_Utf8Mixed(benchmark::State& state) {
  std::string text;
  while (text.size() < static_cast<std::size_t>(state.range(0)))
    text += "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 ";
  for (auto _ : state) benchmark::DoNotOptimize(protocol::is_valid_utf8(text));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Utf8Mixed)->Arg(64)->Arg(4096);

// A member that does what a seed door does on delivery: render once per
// event into the shared cache, then queue the buffer in a bounded outbox.
class outbox_member final : public chat::member {
 public:
  static inline std::int64_t said = 0;  // deliveries of said events (one thread)

  chat::delivery deliver(const chat::event_ptr& ev) override {
    if (ev->kind != chat::event_kind::said) return chat::delivery::queued;
    ++said;
    auto frame = ev->rendered.get(chat::make_render_key(1, 0),
                                  [&] { return seed::encode_frame(seed::said_text(ev->from, ev->text)); });
    if (box_.push(std::move(frame)) == net::outbox::push_result::overflow) std::abort();
    if (++pending_ == 64) {  // play the writer: drain in batches
      batch_.clear();
      while (box_.take(batch_, 64) == net::outbox::take_result::items) {
        for (const auto& p : batch_) box_.written(p->size());
        batch_.clear();
      }
      pending_ = 0;
    }
    return chat::delivery::queued;
  }

  chat::member_info info() const override { return {}; }

 private:
  net::outbox box_{1 << 20};
  std::vector<net::payload> batch_;
  int pending_ = 0;
};

void BM_RoomFanOut(benchmark::State& state) {
  asio::io_context io(1);
  auto room = std::make_shared<chat::room>(io.get_executor(), "#bench", /*persistent=*/true);
  const auto members = static_cast<int>(state.range(0));
  // The sender is a member too (the first, so the fan-out reaches it as well).
  const chat::actor sender{std::make_shared<outbox_member>(), "sender", "sender!u@localhost"};
  room->join(sender);
  for (int i = 1; i < members; ++i) {
    const auto nick = "u" + std::to_string(i);
    room->join(chat::actor{std::make_shared<outbox_member>(), nick, nick + "!u@localhost"});
  }
  io.run();
  io.restart();
  outbox_member::said = 0;
  for (auto _ : state) {
    auto said = chat::new_event(chat::event_kind::said, "#bench", "sender", nullptr);
    said->text = "hello, everyone";
    room->say(sender, std::move(said));
    io.run();
    io.restart();
  }
  if (outbox_member::said != state.iterations() * members) {
    state.SkipWithError("a delivery went missing");
  }
  state.SetItemsProcessed(outbox_member::said);  // deliveries
  state.counters["deliveries/s"] =
      benchmark::Counter(static_cast<double>(outbox_member::said), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RoomFanOut)->Arg(1000)->Arg(10000);

}  // namespace

BENCHMARK_MAIN();
