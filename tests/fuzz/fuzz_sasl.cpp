// libFuzzer harness for SASL's parsers: base64 both ways, AUTHENTICATE
// chunks, PLAIN, the SCRAM server's client-first and client-final, and the
// stored credential's text. Input: one byte picking the sub-target, then the
// bytes (for SCRAM, client-first NUL client-final).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "protocol/sasl.hpp"

namespace {

namespace sasl = protocol::sasl;

void fuzz_base64(std::string_view input) {
  const auto encoded = sasl::encode_base64(input);
  FUZZ_CHECK(sasl::decode_base64(encoded) == std::string(input));
  if (auto decoded = sasl::decode_base64(input)) {
    FUZZ_CHECK(sasl::decode_base64(sasl::encode_base64(*decoded)) == decoded);
  }
  for (const auto& chunk : sasl::chunks(encoded)) FUZZ_CHECK(chunk.size() <= sasl::kChunk && !chunk.empty());
}

void fuzz_assembler(std::string_view input) {
  // Lines separated by '\n' fed as chunks, as AUTHENTICATE parameters.
  sasl::assembler a;
  std::size_t fed = 0;
  while (!input.empty()) {
    const auto end = input.find('\n');
    const auto chunk = input.substr(0, end);
    const auto step = a.feed(chunk);
    fed += chunk.size();
    if (step == sasl::assembler::step::done) {
      const auto message = a.take();
      FUZZ_CHECK(message.size() <= sasl::kMaxMessage);
      fed = 0;
    } else if (step != sasl::assembler::step::more) {
      fed = 0;
    }
    FUZZ_CHECK(fed <= sasl::kMaxMessage + sasl::kChunk);
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
}

void fuzz_plain(std::string_view input) {
  if (auto p = sasl::parse_plain(input)) {
    FUZZ_CHECK(!p->authcid.empty() && !p->password.empty() && p->password.size() <= sasl::kMaxPassword);
    FUZZ_CHECK(p->authzid.size() + p->authcid.size() + p->password.size() + 2 == input.size());
  }
}

void fuzz_scram(std::string_view input) {
  static const auto credential = sasl::derive_credential("pencil", "salt", sasl::kMinScramIterations);
  const auto nul = input.find('\0');
  sasl::scram_server server("servernonce");
  auto name = server.client_first(input.substr(0, nul));
  if (!name) return;
  const auto first = server.server_first(credential);
  FUZZ_CHECK(first.starts_with("r="));
  if (nul == std::string_view::npos) return;
  // A proof nobody computed from the password never passes.
  auto final = server.client_final(input.substr(nul + 1));
  FUZZ_CHECK(!final.has_value());
}

void fuzz_credential(std::string_view input) {
  if (auto c = sasl::decode_credential(input)) {
    FUZZ_CHECK(c->iterations >= sasl::kMinScramIterations);
    FUZZ_CHECK(sasl::decode_credential(sasl::encode_credential(*c)) == c);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0:
      fuzz_base64(input);
      break;
    case 1:
      fuzz_assembler(input);
      break;
    case 2:
      fuzz_plain(input);
      break;
    case 3:
      fuzz_scram(input);
      break;
    default:
      fuzz_credential(input);
      break;
  }
  return 0;
}
