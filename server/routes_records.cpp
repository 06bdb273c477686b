// GET /api/v1/health, /archives, /records, /records/{id}, /records/{id}/thumbnail.jpg,
// /records/{id}/media, /records/{id}/films (where a record is seen and heard),
// /records/{id}/similar (its nearest records by its own vector).
#include <cmath>
#include <fstream>
#include <map>

#include "indexer/audio/audio_clip.h"
#include "indexer/audio/audio_format.h"
#include "indexer/media/image_codec.h"
#include "indexer/pdf/page_renderer.h"
#include "indexer/pdf/pdf_document.h"
#include "schema/catalog_json.h"
#include "server/api_context.h"
#include "server/http_ranges.h"
#include "server/record_json.h"
#include "schema/catalog_json.h"
#include "schema/embedding_store.h"
#include "schema/film_store.h"

namespace palimpsest::server {
namespace {

// What the source file is, for Content-Type: by the source's kind, and a picture by its first
// bytes (any record of an image file: the image, its OCR).
std::string media_type(const SourceRow& source) {
  if (source.kind == SourceKind::video) return "video/mp4";
  if (source.kind == SourceKind::text) return "text/plain; charset=utf-8";
  if (source.kind == SourceKind::subtitle) return "text/plain; charset=utf-8";
  if (source.kind == SourceKind::pdf) return "application/pdf";
  std::ifstream file(source.uri, std::ios::binary);
  std::string head(16, '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(file.gcount()));
  if (head.starts_with("RIFF") && head.size() >= 12 && head.compare(8, 4, "WEBP") == 0) return "image/webp";
  if (head.starts_with("GIF8")) return "image/gif";
  return std::string(image_mime_type(head));
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

std::int64_t meta_int(const RecordRow& r, const char* key, std::int64_t otherwise) {
  const auto it = r.meta.find(key);
  return it != r.meta.end() && it->is_number_integer() ? it->get<std::int64_t>() : otherwise;
}

void require_readable(const RecordRow& r, const SourceRow& source) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(source.uri, ec))
    throw ApiError{410, "gone", "the source file of record " + std::to_string(r.id) + " is no longer readable"};
}

// An audio segment or an utterance as a playable excerpt: AAC in MP4, cut from the source's sound
// at the record's time (a video's time line moved back onto its sound track's own: the audio
// record's stream_offset_ms). An utterance is played from its audio record's stream.
void send_audio_clip(Catalog& catalog, const httplib::Request& req, httplib::Response& res, const RecordRow& r,
                     const SourceRow& source) {
  std::optional<RecordRow> audio = r;
  if (r.kind == RecordKind::speech) audio = catalog.record(meta_int(r, "audio_record_id", 0));
  if (!audio) throw ApiError{404, "not_found", "the audio record of record " + std::to_string(r.id) + " is gone"};
  if (!r.dur_ms || *r.dur_ms <= 0) throw ApiError{404, "not_found", "record " + std::to_string(r.id) + " has no duration to play"};
  require_readable(r, source);
  if (not_modified(req, res, "\"clip-" + std::to_string(r.id) + "\"")) return;
  const double start_s = std::max<double>(0, r.ts_ms - meta_int(*audio, "stream_offset_ms", 0)) / 1000.0;
  const double duration_s = std::min(kMaxClipSeconds, *r.dur_ms / 1000.0);
  EncodedAudioClip clip;
  try {
    clip = encode_audio_clip(source.uri, start_s, duration_s, static_cast<int>(meta_int(*audio, "stream", -1)));
  } catch (const AudioError& e) {
    throw ApiError{422, "bad_input", e.what()};
  }
  auto bytes = std::make_shared<const std::string>(std::move(clip.bytes));
  check_ranges(req, res, bytes->size());
  res.set_header("X-Palimpsest-Timestamp-Ms", std::to_string(r.ts_ms));
  send_bytes_ranges(res, bytes, clip.mime_type);
}

// A PDF page's image record: the page rendered (PNG) at the resolution its record names.
void send_pdf_page(const httplib::Request& req, httplib::Response& res, const RecordRow& r, const SourceRow& source) {
  require_readable(r, source);
  if (not_modified(req, res, "\"page-" + std::to_string(r.id) + "\"")) return;
  PageRenderOptions options;
  if (const auto dpi = r.meta.find("media_dpi"); dpi != r.meta.end() && dpi->is_number()) options.dpi = dpi->get<double>();
  std::string png;
  try {
    const PdfDocument pdf(source.uri);
    const PdfPage page = pdf.page(static_cast<int>(meta_int(r, "page", 1)));
    png = encode_png(render_page(pdf, page, options).image);
  } catch (const PdfError& e) {
    throw ApiError{422, "bad_input", e.what()};
  }
  auto bytes = std::make_shared<const std::string>(std::move(png));
  check_ranges(req, res, bytes->size());
  send_bytes_ranges(res, bytes, "image/png");
}

// GET /api/v1/records/{id}/similar?k=&kind=: the records nearest this one's vector of the
// server's model (itself left out), in the shape of search hits with their dense score.
void send_similar(ApiContext& context, const httplib::Request& req, httplib::Response& res) {
  Catalog& catalog = context.catalog();
  const RecordRow r = require_record(catalog, req.matches[1]);
  const int k = static_cast<int>(query_int(req, "k", 1, 200).value_or(12));
  SearchFilter filter;
  filter.kind = kind_parameter(req);
  std::shared_ptr<DenseIndex> index = context.dense_index(catalog);
  ClipEncoder* encoder = context.encoder();
  if (!index || !encoder) throw ApiError{409, "no_model", "finding similar records needs an embedding model and embedded records"};
  const ClipModelInfo& model = encoder->info();
  const auto model_row = catalog.embeddings().find_model(model.name, model.weights_sha256);
  const auto vector = model_row ? catalog.embeddings().get(r.id, model_row->id) : std::nullopt;
  if (!vector) {
    // Audio segments and unsure transcripts are never embedded; anything else is, by ingest.
    const bool never = r.kind == RecordKind::audio || is_low_confidence_speech(r);
    throw ApiError{409, "no_vector", "record " + std::to_string(r.id) + " has no vector of model " + model.name +
                                         (never ? " (audio segments and low-confidence transcripts are not embedded)"
                                                : " yet (ingest embeds it)")};
  }
  std::map<std::int64_t, std::optional<RecordRow>> rows;
  auto row = [&](std::int64_t id) -> const std::optional<RecordRow>& {
    auto it = rows.find(id);
    if (it == rows.end()) it = rows.emplace(id, catalog.record(id)).first;
    return it->second;
  };
  const auto hits = index->search(*vector, k, [&](std::int64_t id) {
    return id != r.id && row(id) && catalog.record_matches(*row(id), filter);
  });
  nlohmann::json results = nlohmann::json::array();
  for (const ScoredId& hit : hits) {
    const std::optional<RecordRow>& found = row(hit.record_id);
    if (!found) continue;
    nlohmann::json j = api_record_summary_json(*found);
    j["rank"] = results.size() + 1;
    j["dense_score"] = hit.score;
    results.push_back(std::move(j));
  }
  send_json(res, {{"record_id", r.id}, {"model", model.name}, {"results", results}});
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
    filter.kind = kind_parameter(req);
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
    auto thumbnail = catalog.thumbnail(r.id);
    if (!thumbnail) throw ApiError{404, "not_found", "record " + std::to_string(r.id) + " has no thumbnail"};
    if (not_modified(req, res, "\"thumb-" + std::to_string(r.id) + "\"")) return;
    // JPEG for pictures, PNG for the waveforms of audio records: the bytes say which.
    res.set_content(*thumbnail, std::string(image_mime_type(*thumbnail)));
  });

  server.Get(R"(/api/v1/records/([^/]+)/media)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    RecordRow r = require_record(catalog, req.matches[1]);
    auto source = catalog.source(r.source_id);
    // Only files the catalog knows are ever opened; the request names a record, never a path.
    if (!source) throw ApiError{404, "not_found", "record " + std::to_string(r.id) + " has no source"};
    if (r.kind == RecordKind::audio || r.kind == RecordKind::speech) return send_audio_clip(catalog, req, res, r, *source);
    if (source->kind == SourceKind::pdf && r.kind == RecordKind::image) return send_pdf_page(req, res, r, *source);
    auto file = std::make_shared<std::ifstream>(source->uri, std::ios::binary);
    std::error_code ec;
    const auto size = std::filesystem::file_size(source->uri, ec);
    if (!*file || ec) throw ApiError{410, "gone", "the source file of record " + std::to_string(r.id) + " is no longer readable"};
    check_ranges(req, res, size);
    res.set_header("Cache-Control", "public, max-age=3600");
    if (r.kind == RecordKind::frame || r.kind == RecordKind::subtitle || (r.kind == RecordKind::ocr && r.ts_ms > 0))
      res.set_header("X-Palimpsest-Timestamp-Ms", std::to_string(r.ts_ms));
    send_file_ranges(res, file, size, media_type(*source));
  });

  server.Get(R"(/api/v1/records/([^/]+)/similar)",
             [&](const httplib::Request& req, httplib::Response& res) { send_similar(context, req, res); });

  server.Get(R"(/api/v1/records/([^/]+)/films)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    RecordRow r = require_record(catalog, req.matches[1]);
    const int limit = static_cast<int>(query_int(req, "limit", 1, 100000).value_or(1000));
    // Per film (by id): the frames the record made (its picture provenance) and the intervals
    // in which it is heard (the provenance of the film's sound).
    std::map<std::int64_t, nlohmann::json> films;
    auto film = [&](std::int64_t id, const std::string& title) -> nlohmann::json& {
      nlohmann::json& f = films[id];
      if (f.is_null())
        f = {{"film_id", id}, {"title", title}, {"frames", nlohmann::json::array()}, {"heard", nlohmann::json::array()}};
      return f;
    };
    for (const RecordUse& use : catalog.films().record_uses(r.id, limit))
      film(use.film_id, use.film_title)["frames"].push_back({{"frame", use.frame}, {"role", std::string(to_string(use.role))}, {"weight", use.weight}});
    for (const RecordHeard& heard : catalog.films().record_heard(r.id, limit))
      film(heard.film_id, heard.film_title)["heard"].push_back(record_heard_json(heard));
    nlohmann::json list = nlohmann::json::array();
    for (auto& [id, f] : films) list.push_back(std::move(f));
    send_json(res, {{"record_id", r.id}, {"films", list}});
  });
}

}  // namespace palimpsest::server
