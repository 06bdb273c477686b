#include "schema/catalog_json.h"

#include <filesystem>

namespace palimpsest {
namespace {

nlohmann::json optional(const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json share(std::int64_t record_id, ProvenanceRole role, double share, std::int64_t frames) {
  return {{"record_id", record_id}, {"role", to_string(role)}, {"share", share}, {"frames", frames}};
}

}  // namespace

nlohmann::json record_json(const RecordRow& r) {
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

nlohmann::json record_summary_json(const RecordRow& r) {
  std::string excerpt = r.text.substr(0, 200);
  // Cut on a character boundary: drop continuation bytes, then a lead byte left without them.
  while (!excerpt.empty() && (static_cast<unsigned char>(excerpt.back()) & 0xC0) == 0x80) excerpt.pop_back();
  if (!excerpt.empty() && static_cast<unsigned char>(excerpt.back()) >= 0xC0) excerpt.pop_back();
  return {{"id", r.id},
          {"kind", to_string(r.kind)},
          {"title", r.title},
          {"excerpt", excerpt},
          {"source_name", std::filesystem::path(r.uri).filename().string()},
          {"ts_ms", r.ts_ms},
          {"dur_ms", optional(r.dur_ms)}};
}

nlohmann::json provenance_entries_json(const std::vector<ProvenanceRow>& rows) {
  nlohmann::json entries = nlohmann::json::array();
  for (const ProvenanceRow& p : rows)
    entries.push_back({{"record_id", p.record_id}, {"role", to_string(p.role)}, {"weight", p.weight}});
  return entries;
}

nlohmann::json frame_provenance_json(const FilmFrameRow& frame, const std::vector<ProvenanceRow>& rows) {
  return {{"frame", frame.frame}, {"shot", frame.shot}, {"diffused", frame.diffused},
          {"entries", provenance_entries_json(rows)}};
}

nlohmann::json share_json(const FilmShareRow& s) { return share(s.record_id, s.role, s.share, s.frames); }
nlohmann::json share_json(const ShotShareRow& s) { return share(s.record_id, s.role, s.share, s.frames); }

nlohmann::json shares_json(const std::vector<FilmShareRow>& shares) {
  nlohmann::json out = nlohmann::json::array();
  for (const FilmShareRow& s : shares) out.push_back(share_json(s));
  return out;
}

}  // namespace palimpsest
