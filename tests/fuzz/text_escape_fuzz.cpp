// What every writer of outside text relies on (issue 15.1, 15.10): printable() and its excerpts
// are valid UTF-8 without control characters, and json_text() writes any bytes as JSON that
// parses back.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "indexer/text/printable.h"
#include "indexer/text/utf8.h"
#include "schema/catalog_json.h"

namespace {
void check_printable(const std::string& out) {
  if (palimpsest::find_invalid_utf8(out)) __builtin_trap();
  for (unsigned char c : out)
    if (c < 0x20 || c == 0x7f) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string out = palimpsest::printable(text);
  check_printable(out);
  if (palimpsest::printable(out) != out) __builtin_trap();
  const std::size_t focus = size ? data[0] % size : 0;
  check_printable(palimpsest::printable_excerpt(text, 1 + size % 50, focus));
  const std::string json = palimpsest::json_text({{"text", text}, {text, {text, 1}}});
  if (nlohmann::json::parse(json, nullptr, false).is_discarded()) __builtin_trap();
  return 0;
}
