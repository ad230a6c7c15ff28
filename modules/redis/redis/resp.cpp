// The wrapper around hiredis's reader and command formatter: the only file
// with hiredis's C API, and so the only one with its casts.
#include "redis/resp.hpp"

#include <fmt/format.h>
#include <hiredis.h>

#include <new>
#include <utility>
#include <vector>

namespace redis {
namespace {

// hiredis's own reply-building functions, with createArray guarded: an array
// header past kMaxElements makes it return NULL, which the reader reports
// as out of memory (REDIS_ERR_OOM) instead of allocating what it announced.
redisReplyObjectFunctions guarded_functions() {
  redisReader* probe = redisReaderCreate();
  if (probe == nullptr) throw std::bad_alloc();
  redisReplyObjectFunctions fns = *probe->fn;
  redisReaderFree(probe);
  return fns;
}

const redisReplyObjectFunctions& original_functions() {
  static const redisReplyObjectFunctions fns = guarded_functions();
  return fns;
}

void* create_array_guarded(const redisReadTask* task, int elements) {
  if (elements < 0 || elements > kMaxElements) return nullptr;
  return original_functions().createArray(task, elements);
}

redisReplyObjectFunctions* reader_functions() {
  static redisReplyObjectFunctions fns = [] {
    redisReplyObjectFunctions f = original_functions();
    f.createArray = create_array_guarded;
    return f;
  }();
  return &fns;
}

reply convert(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STATUS:
      return reply::status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
      return reply::error(std::string(r.str, r.len));
    case REDIS_REPLY_STRING:
      return reply::string(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER:
      return reply::number(r.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<reply> elements;
      elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) elements.push_back(convert(*r.element[i]));
      return reply::array(std::move(elements));
    }
    default:
      return reply::nil();
  }
}

struct reply_deleter {
  void operator()(void* r) const noexcept { freeReplyObject(r); }
};

}  // namespace

struct decoder::state {
  redisReader* reader = nullptr;
  std::size_t max_reply_bytes;
  std::size_t fed = 0;          // every byte ever fed
  std::size_t reply_start = 0;  // where (in fed bytes) the reply being read began
  std::optional<resp_error> failed;

  explicit state(std::size_t max) : max_reply_bytes(max) {
    reader = redisReaderCreateWithFunctions(reader_functions());
    if (reader == nullptr) throw std::bad_alloc();
    // The default keeps at most 16 KiB of unused buffer; 0 would mean
    // "never shrink", so leave it.
  }
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  ~state() { redisReaderFree(reader); }

  // Bytes the reader has parsed past, in `fed` coordinates.
  std::size_t consumed() const noexcept { return fed - (reader->len - reader->pos); }
};

decoder::decoder(std::size_t max_reply_bytes) : s_(std::make_unique<state>(max_reply_bytes)) {}
decoder::decoder(decoder&&) noexcept = default;
decoder& decoder::operator=(decoder&&) noexcept = default;
decoder::~decoder() = default;

void decoder::feed(std::string_view bytes) {
  if (s_->failed || bytes.empty()) return;
  if (redisReaderFeed(s_->reader, bytes.data(), bytes.size()) != REDIS_OK) {
    s_->failed = resp_error{resp_errc::too_large, "out of memory buffering a reply"};
    return;
  }
  s_->fed += bytes.size();
}

tl::expected<std::optional<reply>, resp_error> decoder::next() {
  if (s_->failed) return tl::make_unexpected(*s_->failed);
  void* raw = nullptr;
  if (redisReaderGetReply(s_->reader, &raw) != REDIS_OK) {
    if (s_->reader->err == REDIS_ERR_OOM) {
      s_->failed =
          resp_error{resp_errc::too_large,
                     fmt::format("an array reply longer than {} elements (or out of memory)", kMaxElements)};
    } else {
      s_->failed =
          resp_error{resp_errc::protocol, fmt::format("RESP protocol error: {}", s_->reader->errstr)};
    }
    return tl::make_unexpected(*s_->failed);
  }
  if (raw == nullptr) {
    if (s_->fed - s_->reply_start > s_->max_reply_bytes) {
      s_->failed =
          resp_error{resp_errc::too_large, fmt::format("a reply larger than {} bytes", s_->max_reply_bytes)};
      return tl::make_unexpected(*s_->failed);
    }
    return std::optional<reply>{};
  }
  std::unique_ptr<void, reply_deleter> owned(raw);
  // A reply that arrived whole in one feed is held to the same bound.
  const std::size_t end = s_->consumed();
  if (end - s_->reply_start > s_->max_reply_bytes) {
    s_->failed =
        resp_error{resp_errc::too_large, fmt::format("a reply larger than {} bytes", s_->max_reply_bytes)};
    return tl::make_unexpected(*s_->failed);
  }
  s_->reply_start = end;
  return std::optional<reply>{convert(*static_cast<const redisReply*>(raw))};
}

namespace {

template <class Str>
std::string encode(std::span<const Str> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* out = nullptr;
  const int n = redisFormatCommandArgv(&out, static_cast<int>(args.size()), argv.data(), lens.data());
  if (n < 0 || out == nullptr) throw std::bad_alloc();
  std::string wire(out, static_cast<std::size_t>(n));
  redisFreeCommand(out);
  return wire;
}

}  // namespace

std::string encode_command(std::span<const std::string_view> args) {
  return encode(args);
}
std::string encode_command(std::span<const std::string> args) {
  return encode(args);
}

}  // namespace redis
