#include "indexer/text/timecode.h"

#include <cstdio>

namespace palimpsest {

std::string format_timestamp(std::int64_t ms) {
  if (ms < 0) return "-" + format_timestamp(-ms);
  char buffer[40];
  const long long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, f = ms % 1000;
  if (h > 0) {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld.%03lld", h, m, s, f);
  } else {
    std::snprintf(buffer, sizeof buffer, "%02lld:%02lld.%03lld", m, s, f);
  }
  return buffer;
}

}  // namespace palimpsest
