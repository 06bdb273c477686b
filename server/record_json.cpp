#include "server/record_json.h"

#include <filesystem>

namespace palimpsest::server {
namespace {
nlohmann::json optional(const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

bool has_thumbnail(const RecordRow& r) { return r.kind == RecordKind::image || r.kind == RecordKind::frame; }
}  // namespace

nlohmann::json record_summary_json(const RecordRow& r) {
  const std::string base = "/api/v1/records/" + std::to_string(r.id);
  std::string excerpt = r.text.substr(0, 200);
  while (!excerpt.empty() && (static_cast<unsigned char>(excerpt.back()) & 0xC0) == 0x80) excerpt.pop_back();
  if (!excerpt.empty() && static_cast<unsigned char>(excerpt.back()) >= 0xC0) excerpt.pop_back();
  return {{"id", r.id},
          {"kind", to_string(r.kind)},
          {"title", r.title},
          {"excerpt", excerpt},
          {"source_name", std::filesystem::path(r.uri).filename().string()},
          {"ts_ms", r.ts_ms},
          {"dur_ms", optional(r.dur_ms)},
          {"thumbnail_url", has_thumbnail(r) ? nlohmann::json(base + "/thumbnail.jpg") : nlohmann::json()},
          {"url", base}};
}

nlohmann::json record_json(const RecordRow& r) {
  nlohmann::json j = record_summary_json(r);
  const std::string base = "/api/v1/records/" + std::to_string(r.id);
  j["archive_id"] = r.archive_id;
  j["source_id"] = r.source_id;
  j["uri"] = r.uri;
  j["sha256"] = r.sha256;
  j["width"] = optional(r.width);
  j["height"] = optional(r.height);
  j["text"] = r.text;
  j["meta"] = r.meta;
  j["created_at"] = r.created_at;
  j["media_url"] = base + "/media";
  j["films_url"] = base + "/films";
  return j;
}

}  // namespace palimpsest::server
