#include "cli/commands/record_json.h"

namespace palimpsest::cli {

nlohmann::json record_json(const RecordRow& r) {
  auto optional = [](const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  return {{"id", r.id},
          {"archive_id", r.archive_id},
          {"source_id", r.source_id},
          {"kind", to_string(r.kind)},
          {"uri", r.uri},
          {"ts_ms", r.ts_ms},
          {"dur_ms", optional(r.dur_ms)},
          {"width", optional(r.width)},
          {"height", optional(r.height)},
          {"title", r.title},
          {"text", r.text},
          {"meta", r.meta},
          {"sha256", r.sha256},
          {"created_at", r.created_at}};
}

}  // namespace palimpsest::cli
