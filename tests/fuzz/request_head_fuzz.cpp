// HTTP request heads (server/request_head.h): the scanner that finds a head's end under the size
// limits, fed in two pieces as a socket would, and the validating parser. A head is refused with a
// 4xx/5xx status or parsed into one framing; the scanner never reports a head longer than its input.
#include <cstdint>
#include <string_view>
#include <variant>

#include "server/request_head.h"

using namespace palimpsest::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const HeadLimits limits;
  HeadScanner scanner(limits);
  const std::size_t split = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
  std::optional<std::size_t> end = scanner.scan(bytes.substr(0, split));
  if (!end && !scanner.refusal()) end = scanner.scan(bytes);
  if (end && *end > bytes.size()) __builtin_trap();
  const std::string_view head = end ? bytes.substr(0, *end) : bytes;
  const auto parsed = parse_request_head(head, limits);
  if (const auto* refusal = std::get_if<HttpRefusal>(&parsed)) {
    if (refusal->status < 400 || refusal->status > 599) __builtin_trap();
  } else {
    const RequestHead& h = std::get<RequestHead>(parsed);
    if (h.framing == BodyFraming::length && h.content_length > limits.max_body_bytes) __builtin_trap();
    h.field("Host");
  }
  log_safe(bytes);
  return 0;
}
