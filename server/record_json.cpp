#include "server/record_json.h"

#include <cstdio>

#include "schema/catalog_json.h"
#include "synth/provenance.h"

namespace palimpsest::server {
namespace {

std::string record_url(const RecordRow& r) { return "/api/v1/records/" + std::to_string(r.id); }

// Pictures have a JPEG thumbnail, audio segments a PNG waveform.
bool has_thumbnail(const RecordRow& r) {
  return r.kind == RecordKind::image || r.kind == RecordKind::frame || r.kind == RecordKind::audio;
}

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
  j["links"] = record_links_json(r);
  return j;
}

std::string record_colour_hex(std::int64_t record_id) {
  std::uint8_t rgb[3];
  record_colour(record_id, rgb);
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return text;
}

void add_map_colour(nlohmann::json& entry) {
  const bool lends_pixels = entry.value("role", std::string()) != to_string(ProvenanceRole::guidance);
  entry["colour"] = lends_pixels ? nlohmann::json(record_colour_hex(entry["record_id"].get<std::int64_t>())) : nlohmann::json();
}

}  // namespace palimpsest::server
