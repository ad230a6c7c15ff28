// Netstring frames: encode, and decode with every bound checked.
#include "protocol/cluster_frame.hpp"

#include <charconv>

namespace protocol::cluster {

std::string_view describe(frame_error e) noexcept {
  switch (e) {
    case frame_error::too_large:
      return "frame larger than its limit";
    case frame_error::too_many_fields:
      return "too many fields";
    case frame_error::bad_length:
      return "a field length is not a number";
    case frame_error::truncated:
      return "a field runs past the end";
    case frame_error::no_comma:
      return "a field lacks its comma";
    case frame_error::wrong_version:
      return "another format version";
    case frame_error::no_type:
      return "no message type";
  }
  return "unknown frame error";
}

namespace {

void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}

}  // namespace

std::string encode_frame(const std::vector<std::string_view>& fields) {
  std::size_t size = kFrameVersion.size() + 4;
  for (const auto f : fields) size += f.size() + 8;
  std::string out;
  out.reserve(size);
  put(out, kFrameVersion);
  for (const auto f : fields) put(out, f);
  return out;
}

tl::expected<std::vector<std::string_view>, frame_error> decode_frame(std::string_view bytes) {
  if (bytes.size() > kMaxFrameBytes) return tl::make_unexpected(frame_error::too_large);
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (fields.size() == kMaxFrameFields) return tl::make_unexpected(frame_error::too_many_fields);
    const auto colon = bytes.find(':', at);
    // At most six digits: no field of a frame within kMaxFrameBytes needs more.
    if (colon == std::string_view::npos || colon == at || colon - at > 6) {
      return tl::make_unexpected(frame_error::bad_length);
    }
    std::size_t length = 0;
    const auto* first = bytes.data() + at;
    const auto* last = bytes.data() + colon;
    const auto [end, ec] = std::from_chars(first, last, length);
    if (ec != std::errc{} || end != last) return tl::make_unexpected(frame_error::bad_length);
    const std::size_t begin = colon + 1;
    if (length > bytes.size() - begin) return tl::make_unexpected(frame_error::truncated);
    if (begin + length == bytes.size() || bytes[begin + length] != ',') {
      return tl::make_unexpected(frame_error::no_comma);
    }
    fields.push_back(bytes.substr(begin, length));
    at = begin + length + 1;
  }
  if (fields.empty() || fields.front() != kFrameVersion)
    return tl::make_unexpected(frame_error::wrong_version);
  if (fields.size() < 2) return tl::make_unexpected(frame_error::no_type);
  return fields;
}

}  // namespace protocol::cluster
