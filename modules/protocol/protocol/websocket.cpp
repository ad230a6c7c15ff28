#include "protocol/websocket.hpp"

#include "protocol/utf8.hpp"

namespace protocol::ws {

namespace {

tl::unexpected<failure> fail(close_code code, std::string_view reason) {
  return tl::make_unexpected(failure{code, reason});
}

std::uint64_t read_be(std::string_view bytes) {
  std::uint64_t v = 0;
  for (const char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

bool known(unsigned op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

}  // namespace

bool is_valid_close_code(std::uint16_t code) noexcept {
  // 1004-1006 and 1015 are reserved for reports, never sent; 1012-1014 are
  // registered since RFC 6455; 3000-4999 belong to libraries and
  // applications.
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

void decoder::feed(std::string_view bytes) {
  if (pos_ > 0) {
    input_.erase(0, pos_);
    pos_ = 0;
  }
  input_.append(bytes);
}

tl::expected<std::optional<frame_event>, failure> decoder::next() {
  auto failed = [this](close_code code, std::string_view reason) {
    failed_ = true;
    return fail(code, reason);
  };
  if (failed_) return fail(close_code::protocol_error, "connection already failed");
  if (!fragmented_) message_.clear();  // a message returned last time
  for (;;) {
    const std::string_view in(input_.data() + pos_, input_.size() - pos_);
    if (in.size() < 2) return std::nullopt;
    const auto b0 = static_cast<unsigned char>(in[0]);
    const auto b1 = static_cast<unsigned char>(in[1]);
    const bool fin = (b0 & 0x80U) != 0;
    const unsigned op_bits = b0 & 0x0FU;
    // No extension is ever negotiated, so no reserved bit may be set.
    if ((b0 & 0x70U) != 0) return failed(close_code::protocol_error, "reserved bits set");
    if (!known(op_bits)) return failed(close_code::protocol_error, "unknown opcode");
    const auto op = static_cast<opcode>(op_bits);
    const bool masked = (b1 & 0x80U) != 0;
    if (require_mask_ && !masked) return failed(close_code::protocol_error, "client frames must be masked");
    std::uint64_t length = b1 & 0x7FU;
    std::size_t header = 2;
    if (length == 126) {
      if (in.size() < 4) return std::nullopt;
      length = read_be(in.substr(2, 2));
      header = 4;
      if (length < 126) return failed(close_code::protocol_error, "frame length not in its shortest form");
    } else if (length == 127) {
      if (in.size() < 10) return std::nullopt;
      length = read_be(in.substr(2, 8));
      header = 10;
      if ((length >> 63U) != 0) return failed(close_code::protocol_error, "frame length out of range");
      if (length < 65536) return failed(close_code::protocol_error, "frame length not in its shortest form");
    }
    const bool control = op_bits >= 0x8;
    if (control) {
      if (!fin) return failed(close_code::protocol_error, "fragmented control frame");
      if (length > kMaxControlPayload) return failed(close_code::protocol_error, "control frame too long");
    } else {
      if (op == opcode::continuation && !fragmented_) {
        return failed(close_code::protocol_error, "continuation without a message");
      }
      if (op != opcode::continuation && fragmented_) {
        return failed(close_code::protocol_error, "new message inside a fragmented one");
      }
      // Refused from the header alone: nothing of an oversized message is
      // ever buffered.
      const std::uint64_t before = op == opcode::continuation ? message_.size() : 0;
      if (length > max_message_ || before + length > max_message_) {
        return failed(close_code::too_big, "message too big");
      }
    }
    const std::size_t key_at = header;
    if (masked) header += 4;
    if (in.size() < header || in.size() - header < length) return std::nullopt;
    const auto size = static_cast<std::size_t>(length);
    char* payload = input_.data() + pos_ + header;
    if (masked) {
      const char* key = input_.data() + pos_ + key_at;
      for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(payload[i] ^ key[i % 4]);
    }
    pos_ += header + size;
    const std::string_view body(payload, size);

    if (op == opcode::close) {
      if (size == 1) return failed(close_code::protocol_error, "close frame of one byte");
      frame_event ev{op, {}, std::nullopt};
      if (size >= 2) {
        const auto code = static_cast<std::uint16_t>(read_be(body.substr(0, 2)));
        if (!is_valid_close_code(code)) return failed(close_code::protocol_error, "invalid close code");
        ev.close_code = code;
        ev.payload = body.substr(2);
        if (!is_valid_utf8(ev.payload)) return failed(close_code::invalid_data, "close reason is not UTF-8");
      }
      return ev;
    }
    if (control) return frame_event{op, body, std::nullopt};

    if (op != opcode::continuation) {
      if (fin) {
        if (op == opcode::text && !is_valid_utf8(body)) {
          return failed(close_code::invalid_data, "text message is not UTF-8");
        }
        return frame_event{op, body, std::nullopt};
      }
      fragmented_ = op;
      message_.assign(body);
      continue;
    }
    message_.append(body);
    if (!fin) continue;
    const opcode whole = *fragmented_;
    fragmented_.reset();
    if (whole == opcode::text && !is_valid_utf8(message_)) {
      return failed(close_code::invalid_data, "text message is not UTF-8");
    }
    return frame_event{whole, message_, std::nullopt};
  }
}

void encode_frame(std::string& out, opcode op, std::string_view payload,
                  const std::optional<std::array<unsigned char, 4>>& mask) {
  const auto size = static_cast<std::uint64_t>(payload.size());
  const unsigned char mask_bit = mask ? 0x80U : 0x00U;
  out.push_back(static_cast<char>(0x80U | static_cast<unsigned>(op)));
  if (size < 126) {
    out.push_back(static_cast<char>(mask_bit | size));
  } else if (size < 65536) {
    out.push_back(static_cast<char>(mask_bit | 126U));
    out.push_back(static_cast<char>((size >> 8U) & 0xFFU));
    out.push_back(static_cast<char>(size & 0xFFU));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127U));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((size >> shift) & 0xFFU));
  }
  if (!mask) {
    out.append(payload);
    return;
  }
  out.append(reinterpret_cast<const char*>(mask->data()), 4);
  const std::size_t at = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out[at + i] = static_cast<char>(static_cast<unsigned char>(out[at + i]) ^ (*mask)[i % 4]);
  }
}

std::string close_payload(close_code code, std::string_view reason) {
  const auto v = static_cast<std::uint16_t>(code);
  std::string out;
  out.push_back(static_cast<char>(v >> 8U));
  out.push_back(static_cast<char>(v & 0xFFU));
  out.append(utf8_clip(reason, kMaxControlPayload - 2));
  return out;
}

}  // namespace protocol::ws
