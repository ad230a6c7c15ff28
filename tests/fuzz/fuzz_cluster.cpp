// libFuzzer harness for the cluster's wire format: any bytes as a frame
// from Redis. Whatever decodes must encode and decode to the same message
// (the round-trip law), and nothing may crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "protocol/cluster_frame.hpp"
#include "protocol/cluster_message.hpp"

namespace cluster = protocol::cluster;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto fields = cluster::decode_frame(input)) {
    FUZZ_CHECK(fields->size() >= 2 && fields->size() <= cluster::kMaxFrameFields);
    FUZZ_CHECK((*fields)[0] == cluster::kFrameVersion);
  }
  if (auto m = cluster::decode_message(input)) {
    const auto again = cluster::decode_message(cluster::encode_message(*m));
    FUZZ_CHECK(again.has_value() && *again == *m);
  }
  return 0;
}
