#include "cli/commands/record_location.h"

#include <filesystem>

#include "indexer/text/timecode.h"

namespace palimpsest::cli {

std::string record_location(const RecordRow& r) {
  std::string where = std::filesystem::path(r.uri).filename().string();
  if (r.meta.contains("page") && r.meta["page"].is_number_integer())
    return where + " p. " + std::to_string(r.meta["page"].get<std::int64_t>());
  const bool timed = r.kind == RecordKind::frame || r.kind == RecordKind::subtitle || r.kind == RecordKind::audio ||
                     r.kind == RecordKind::speech || (r.kind == RecordKind::ocr && r.ts_ms > 0);
  if (!timed) return where;
  where += " @ " + format_timestamp(r.ts_ms);
  if (r.dur_ms && *r.dur_ms > 0 && r.kind != RecordKind::frame) where += "-" + format_timestamp(r.ts_ms + *r.dur_ms);
  return where;
}

}  // namespace palimpsest::cli
