// GET /api/v1/health, /archives, /records, /records/{id}, /records/{id}/thumbnail.jpg,
// /records/{id}/media, /records/{id}/films.
#include <fstream>

#include "server/api_context.h"
#include "server/http_ranges.h"
#include "server/record_json.h"
#include "schema/film_store.h"

namespace palimpsest::server {
namespace {

std::string media_type(const RecordRow& r, const SourceRow& source) {
  const std::string container = r.meta.value("container", "");
  if (source.kind == SourceKind::video) return "video/mp4";
  if (source.kind == SourceKind::text) return "text/plain; charset=utf-8";
  if (source.kind == SourceKind::subtitle) return "text/plain; charset=utf-8";
  if (container.find("png") != std::string::npos) return "image/png";
  if (container.find("jpeg") != std::string::npos || container.find("mjpeg") != std::string::npos) return "image/jpeg";
  if (container.find("webp") != std::string::npos) return "image/webp";
  if (container.find("gif") != std::string::npos) return "image/gif";
  return "application/octet-stream";
}

// Immutable per record id (ids are never reused): cache hard, validate with the id.
bool not_modified(const httplib::Request& req, httplib::Response& res, const std::string& etag) {
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", "public, max-age=31536000, immutable");
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return true;
  }
  return false;
}

RecordRow require_record(Catalog& catalog, const std::string& id_text) {
  const std::int64_t id = parse_id(id_text, "record id");
  auto record = catalog.record(id);
  if (!record) throw ApiError{404, "not_found", "no record " + std::to_string(id)};
  return *record;
}

}  // namespace

void register_record_routes(httplib::Server& server, ApiContext& context) {
  server.Get("/api/v1/health", [&](const httplib::Request&, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    send_json(res, {{"status", "ok"},
                    {"schema_version", catalog.schema_version()},
                    {"records", catalog.count_records()},
                    {"model", context.encoder() ? nlohmann::json(context.encoder()->info().name) : nlohmann::json()}});
  });

  server.Get("/api/v1/archives", [&](const httplib::Request&, httplib::Response& res) {
    nlohmann::json out = nlohmann::json::array();
    for (const ArchiveRow& a : context.catalog().archives())
      out.push_back({{"id", a.id}, {"name", a.name}, {"root", a.root}, {"created_at", a.created_at}});
    send_json(res, {{"archives", out}});
  });

  server.Get("/api/v1/records", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    RecordFilter filter;
    filter.limit = static_cast<int>(query_int(req, "limit", 1, 1000).value_or(50));
    filter.after_id = query_int(req, "after", 0, INT64_MAX).value_or(0);
    if (req.has_param("kind")) {
      filter.kind = parse_record_kind(req.get_param_value("kind"));
      if (!filter.kind) throw ApiError{400, "bad_request", "kind must be image, frame, text or subtitle"};
    }
    if (req.has_param("archive")) {
      auto archive = catalog.find_archive(req.get_param_value("archive"));
      if (!archive) throw ApiError{404, "not_found", "no archive named " + req.get_param_value("archive")};
      filter.archive_id = archive->id;
    }
    std::vector<RecordRow> rows;
    if (req.has_param("q")) {
      // Text filter: lexical matches in id order, so keyset pagination still holds.
      SearchFilter sf;
      sf.archive_id = filter.archive_id;
      sf.kind = filter.kind;
      std::vector<std::int64_t> ids;
      for (const LexicalHit& h : catalog.lexical_search(req.get_param_value("q"), sf, 10000))
        if (h.record_id > filter.after_id) ids.push_back(h.record_id);
      std::sort(ids.begin(), ids.end());
      if (ids.size() > static_cast<std::size_t>(filter.limit)) ids.resize(filter.limit);
      for (std::int64_t id : ids)
        if (auto r = catalog.record(id)) rows.push_back(std::move(*r));
    } else {
      rows = catalog.records(filter);
    }
    nlohmann::json out = nlohmann::json::array();
    for (const RecordRow& r : rows) out.push_back(api_record_summary_json(r));
    const bool more = rows.size() == static_cast<std::size_t>(filter.limit);
    send_json(res, {{"records", out}, {"next_after", more ? nlohmann::json(rows.back().id) : nlohmann::json()}});
  });

  server.Get(R"(/api/v1/records/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    RecordRow r = require_record(catalog, req.matches[1]);
    nlohmann::json j = api_record_json(r);
    if (auto source = catalog.source(r.source_id)) {
      j["source"] = {{"id", source->id}, {"kind", to_string(source->kind)}, {"uri", source->uri},
                     {"duration_ms", source->duration_ms ? nlohmann::json(*source->duration_ms) : nlohmann::json()},
                     {"linked_source_id", source->linked_source_id ? nlohmann::json(*source->linked_source_id) : nlohmann::json()}};
    }
    send_json(res, j);
  });

  server.Get(R"(/api/v1/records/([^/]+)/thumbnail\.jpg)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    RecordRow r = require_record(catalog, req.matches[1]);
    auto jpeg = catalog.thumbnail(r.id);
    if (!jpeg) throw ApiError{404, "not_found", "record " + std::to_string(r.id) + " has no thumbnail"};
    if (not_modified(req, res, "\"thumb-" + std::to_string(r.id) + "\"")) return;
    res.set_content(*jpeg, "image/jpeg");
  });

  server.Get(R"(/api/v1/records/([^/]+)/media)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    RecordRow r = require_record(catalog, req.matches[1]);
    auto source = catalog.source(r.source_id);
    // Only files the catalog knows are ever opened; the request names a record, never a path.
    if (!source) throw ApiError{404, "not_found", "record " + std::to_string(r.id) + " has no source"};
    auto file = std::make_shared<std::ifstream>(source->uri, std::ios::binary);
    std::error_code ec;
    const auto size = std::filesystem::file_size(source->uri, ec);
    if (!*file || ec) throw ApiError{410, "gone", "the source file of record " + std::to_string(r.id) + " is no longer readable"};
    check_ranges(req, res, size);
    res.set_header("Cache-Control", "public, max-age=3600");
    if (r.kind == RecordKind::frame || r.kind == RecordKind::subtitle)
      res.set_header("X-Palimpsest-Timestamp-Ms", std::to_string(r.ts_ms));
    send_file_ranges(res, file, size, media_type(r, *source));
  });

  server.Get(R"(/api/v1/records/([^/]+)/films)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    RecordRow r = require_record(catalog, req.matches[1]);
    const int limit = static_cast<int>(query_int(req, "limit", 1, 100000).value_or(1000));
    nlohmann::json films = nlohmann::json::array();
    for (const RecordUse& use : catalog.films().record_uses(r.id, limit)) {
      if (films.empty() || films.back()["film_id"] != use.film_id)
        films.push_back({{"film_id", use.film_id}, {"title", use.film_title}, {"frames", nlohmann::json::array()}});
      films.back()["frames"].push_back({{"frame", use.frame}, {"role", use.role}, {"weight", use.weight}});
    }
    send_json(res, {{"record_id", r.id}, {"films", films}});
  });
}

}  // namespace palimpsest::server
