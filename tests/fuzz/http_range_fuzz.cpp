// HTTP Range: cpp-httplib's parser, then the server's plan (server/http_ranges.h) against a file
// size taken from the first 8 bytes. A plan is the whole file, one range inside the file, or
// unsatisfiable (a range past its end).
#include <cstdint>
#include <cstring>
#include <string>

#include "server/http_ranges.h"
#include "server/request_head.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  std::uint64_t file_size = 0;
  std::memcpy(&file_size, data, 8);
  file_size %= (std::uint64_t{1} << 40);
  const std::string header(reinterpret_cast<const char*>(data) + 8, size - 8);
  // Longer Range fields never reach cpp-httplib (server/request_head.h: its parser recurses per
  // character and overflows the stack on tens of kilobytes).
  if (header.size() > palimpsest::server::kMaxRangeBytes) return 0;
  httplib::Ranges ranges;
  if (!httplib::detail::parse_range_header(header, ranges)) return 0;
  const palimpsest::server::RangePlan plan = palimpsest::server::plan_ranges(ranges, file_size);
  if (plan.answer == palimpsest::server::RangeAnswer::one &&
      (plan.range.first > plan.range.last || plan.range.last >= file_size))
    __builtin_trap();
  return 0;
}
