#include "server/record_json.h"

#include "schema/catalog_json.h"

namespace palimpsest::server {
namespace {

std::string record_url(const RecordRow& r) { return "/api/v1/records/" + std::to_string(r.id); }

bool has_thumbnail(const RecordRow& r) { return r.kind == RecordKind::image || r.kind == RecordKind::frame; }

}  // namespace

nlohmann::json api_record_summary_json(const RecordRow& r) {
  nlohmann::json j = palimpsest::record_summary_json(r);
  const std::string base = record_url(r);
  j["thumbnail_url"] = has_thumbnail(r) ? nlohmann::json(base + "/thumbnail.jpg") : nlohmann::json();
  j["url"] = base;
  return j;
}

nlohmann::json api_record_json(const RecordRow& r) {
  nlohmann::json j = palimpsest::record_json(r);
  j.update(api_record_summary_json(r));
  const std::string base = record_url(r);
  j["media_url"] = base + "/media";
  j["films_url"] = base + "/films";
  return j;
}

}  // namespace palimpsest::server
