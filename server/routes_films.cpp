// Films: GET/POST /api/v1/films, GET/DELETE /api/v1/films/{id}, its video, frames, attribution
// maps, per-frame and per-film provenance, and its timeline as OpenTimelineIO.
//
// Every file is found from the catalog (the film's output_dir and video_path, written by
// make_film) and integers parsed from the request; no request text ever becomes part of a path.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "retrieval/film_planning.h"
#include "retrieval/timeline/manuscript.h"
#include "retrieval/timeline/otio_export.h"
#include "retrieval/timeline/schedule.h"
#include "server/api_context.h"
#include "server/http_ranges.h"
#include "server/record_json.h"
#include "server/render_jobs.h"
#include "synth/film_maker.h"

namespace palimpsest::server {
namespace {

using nlohmann::json;

json opt_text(const std::string& s) { return s.empty() ? json() : json(s); }

std::string film_base(std::int64_t id) { return "/api/v1/films/" + std::to_string(id); }

// The film row without its timeline document (which can be large and is parsed on every read):
// for the per-frame endpoints, the hottest ones.
FilmRow require_film_row(Catalog& catalog, const std::string& id_text) {
  const std::int64_t id = parse_id(id_text, "film id");
  if (id < INT64_MAX) {
    std::vector<FilmRow> rows = catalog.films(id + 1, 1);  // newest with id <= the one asked for
    if (!rows.empty() && rows.front().id == id) return std::move(rows.front());
  }
  throw ApiError{404, "not_found", "no film " + std::to_string(id)};
}

// Each film's shots and fps, parsed once per version of the film row (updated_at).
class ShotCache {
 public:
  struct Shots {
    std::string version;
    double fps = 12;
    nlohmann::json shots = nlohmann::json::array();  // shot_json() of every shot
  };
  std::shared_ptr<const Shots> get(Catalog& catalog, const FilmRow& row);

 private:
  std::mutex mutex_;
  std::map<std::int64_t, std::shared_ptr<const Shots>> films_;
};

FilmRow require_film(Catalog& catalog, const std::string& id_text) {
  const std::int64_t id = parse_id(id_text, "film id");
  auto film = catalog.film(id);
  if (!film) throw ApiError{404, "not_found", "no film " + std::to_string(id)};
  return std::move(*film);
}

// A frame number of the film: in range, else 404 (frames are 0 .. frame_count - 1).
std::int64_t require_frame_number(const FilmRow& film, const std::string& text) {
  const std::int64_t n = parse_id(text, "frame number");
  if (n >= film.frame_count)
    throw ApiError{404, "frame_out_of_range",
                   "film " + std::to_string(film.id) + " has " + std::to_string(film.frame_count) +
                       " frames (0 .. " + std::to_string(std::max<std::int64_t>(0, film.frame_count - 1)) + ")"};
  return n;
}

FilmFrameRow require_rendered_frame(Catalog& catalog, const FilmRow& film, std::int64_t n) {
  auto frame = catalog.film_frame(film.id, n);
  if (!frame)
    throw ApiError{404, "not_rendered", "frame " + std::to_string(n) + " of film " + std::to_string(film.id) +
                                            " is not rendered (yet)"};
  return *frame;
}

json job_json(const std::optional<JobRow>& job) {
  if (!job) return json();
  return {{"id", job->id},
          {"state", job->state},
          {"progress", job->progress},
          {"error", opt_text(job->error)},
          {"attempts", job->attempts},
          {"created_at", job->created_at},
          {"started_at", opt_text(job->started_at)},
          {"finished_at", opt_text(job->finished_at)},
          {"heartbeat_at", opt_text(job->heartbeat_at)}};
}

bool has_video(const FilmRow& f) { return f.status == "done" && !f.video_path.empty(); }

json film_summary_json(const FilmRow& f, const std::optional<JobRow>& job) {
  const std::string base = film_base(f.id);
  return {{"id", f.id},
          {"title", f.title},
          {"manuscript", f.manuscript},
          {"status", f.status},
          {"progress", f.progress},
          {"error", opt_text(f.error)},
          {"frame_count", f.frame_count},
          {"frames_rendered", f.frames_rendered},
          {"created_at", f.created_at},
          {"updated_at", opt_text(f.updated_at)},
          {"url", base},
          {"poster_url", f.frames_rendered > 0 ? json(base + "/frames/0.png") : json()},
          {"video_url", has_video(f) ? json(base + "/video.mp4") : json()},
          {"job", job_json(job)}};
}

json shot_json(const json& shot) {
  json keyframes = json::array(), guidance = json::array();
  for (const json& k : shot.value("keyframes", json::array()))
    keyframes.push_back({{"record_id", k.value("record", 0)}, {"frame", k.value("frame", 0)}, {"pinned", k.value("pinned", false)}});
  for (const json& g : shot.value("guidance", json::array()))
    guidance.push_back({{"record_id", g.value("record", 0)}, {"kind", g.value("kind", "")}, {"weight", g.value("weight", 0.0)}});
  return {{"index", shot.value("index", 0)},
          {"kind", shot.value("kind", "")},
          {"text", shot.value("text", "")},
          {"raw_text", shot.value("raw_text", "")},
          {"character", shot.value("character", "")},
          {"scene", shot.value("scene", "")},
          {"source_line", shot.value("source_line", 0)},
          {"start_frame", shot.value("start_frame", 0)},
          {"end_frame", shot.value("end_frame", 0)},
          {"keyframes", keyframes},
          {"guidance", guidance}};
}

std::shared_ptr<const ShotCache::Shots> ShotCache::get(Catalog& catalog, const FilmRow& row) {
  const std::string version = row.updated_at + "|" + row.created_at;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = films_.find(row.id);
    if (it != films_.end() && it->second->version == version) return it->second;
  }
  auto shots = std::make_shared<Shots>();
  shots->version = version;
  if (auto film = catalog.film(row.id); film && film->timeline.is_object()) {
    shots->fps = film->timeline.value("fps", 12.0);
    if (film->timeline.contains("shots") && film->timeline["shots"].is_array())
      for (const json& s : film->timeline["shots"]) shots->shots.push_back(shot_json(s));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (films_.size() > 256) films_.clear();
  films_[row.id] = shots;
  return shots;
}

json film_json(Catalog& catalog, const FilmRow& f, bool with_timeline) {
  json j = film_summary_json(f, catalog.latest_job(f.id));
  const std::string base = film_base(f.id);
  const json& t = f.timeline;
  const bool planned = t.is_object();
  j["fps"] = planned ? json(t.value("fps", 12.0)) : json();
  j["width"] = planned ? json(t.value("width", 0)) : json();
  j["height"] = planned ? json(t.value("height", 0)) : json();
  j["params"] = f.params;
  json shots = json::array();
  if (planned && t.contains("shots") && t["shots"].is_array())
    for (const json& s : t["shots"]) shots.push_back(shot_json(s));
  j["shots"] = shots;
  j["frames_url"] = base + "/frames";
  j["frame_url_template"] = base + "/frames/{n}.png";
  j["frame_provenance_url_template"] = base + "/frames/{n}/provenance";
  j["provenance_url"] = base + "/provenance";
  j["timeline_otio_url"] = planned ? json(base + "/timeline.otio") : json();
  if (with_timeline) j["timeline"] = planned ? t : json();
  return j;
}

// A record's summary for provenance lists (null when it has been deleted since).
json record_or_null(Catalog& catalog, std::int64_t id) {
  auto r = catalog.record(id);
  return r ? record_summary_json(*r) : json();
}

struct FileStamp {
  std::uintmax_t size = 0;
  std::int64_t mtime_ns = 0;
};

std::optional<FileStamp> stamp(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileStamp{static_cast<std::uintmax_t>(st.st_size),
                   static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// Frames and maps do not change once written, except when a film is rendered again with other
// settings: a validator from the file's size and time catches that.
bool not_modified(const httplib::Request& req, httplib::Response& res, const std::string& etag,
                  const char* cache_control) {
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", cache_control);
  const std::string inm = req.get_header_value("If-None-Match");
  if (!inm.empty() && (inm == "*" || inm.find(etag) != std::string::npos)) {
    res.status = 304;
    return true;
  }
  return false;
}

std::string etag_for(const std::string& what, const FileStamp& s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "-%jx-%llx", static_cast<std::uintmax_t>(s.size), static_cast<unsigned long long>(s.mtime_ns));
  return "\"" + what + buf + "\"";
}

void send_png(const httplib::Request& req, httplib::Response& res, const std::filesystem::path& path,
              const std::string& what) {
  auto st = stamp(path);
  if (!st) throw ApiError{410, "gone", what + " is no longer on disk"};
  if (not_modified(req, res, etag_for(what, *st), "public, max-age=3600")) return;
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) throw ApiError{410, "gone", what + " is not readable"};
  res.set_content(std::move(bytes), "image/png");
}

// ---- POST /api/v1/films ----

struct FilmRequest {
  std::string manuscript;
  std::optional<ManuscriptFormat> format;
  TimelineOptions timeline;
  json job_options = json::object();
};

[[noreturn]] void bad_field(const std::string& field, const std::string& expected) {
  throw ApiError{400, "bad_request", field + " must be " + expected};
}

std::int64_t int_field(const json& body, const std::string& name, std::int64_t min, std::int64_t max) {
  const json& v = body[name];
  if (!v.is_number_integer() || v.get<std::int64_t>() < min || v.get<std::int64_t>() > max)
    bad_field(name, "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return v.get<std::int64_t>();
}

FilmRequest parse_film_request(const httplib::Request& req, const ServerOptions& options) {
  const std::string type = req.get_header_value("Content-Type");
  // Also keeps other web pages out: a cross-site form cannot send application/json without CORS.
  if (type.rfind("application/json", 0) != 0)
    throw ApiError{415, "unsupported_media_type", "POST /api/v1/films takes an application/json body"};
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) throw ApiError{400, "invalid_json", "the body is not valid JSON"};
  if (!body.is_object()) throw ApiError{400, "bad_request", "the body must be a JSON object"};
  static const std::vector<std::string> known = {"manuscript", "format", "title", "fps", "width", "height",
                                                 "size", "steps", "seed", "denoiser", "attribution_maps"};
  for (const auto& [key, value] : body.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw ApiError{400, "bad_request", "unknown field \"" + key + "\""};
  FilmRequest r;
  if (!body.contains("manuscript") || !body["manuscript"].is_string() || body["manuscript"].get<std::string>().empty())
    bad_field("manuscript", "a non-empty string (the manuscript's text)");
  r.manuscript = body["manuscript"].get<std::string>();
  if (r.manuscript.size() > options.max_manuscript_bytes)
    throw ApiError{413, "payload_too_large", "the manuscript is larger than " + std::to_string(options.max_manuscript_bytes) + " bytes"};
  if (body.contains("format")) {
    if (!body["format"].is_string()) bad_field("format", "fountain, srt, webvtt or text");
    r.format = parse_manuscript_format(body["format"].get<std::string>());
    if (!r.format) bad_field("format", "fountain, srt, webvtt or text");
  }
  if (body.contains("title")) {
    if (!body["title"].is_string() || body["title"].get<std::string>().size() > 200) bad_field("title", "a string of at most 200 bytes");
    r.timeline.title = body["title"].get<std::string>();
  }
  if (body.contains("fps")) {
    if (!body["fps"].is_number() || body["fps"].get<double>() < 1 || body["fps"].get<double>() > 60) bad_field("fps", "a number in [1, 60]");
    r.timeline.fps = body["fps"].get<double>();
  }
  if (body.contains("size")) {
    if (body.contains("width") || body.contains("height")) throw ApiError{400, "bad_request", "give size or width/height, not both"};
    int w = 0, h = 0;
    char rest = 0;
    if (!body["size"].is_string() || std::sscanf(body["size"].get<std::string>().c_str(), "%dx%d%c", &w, &h, &rest) != 2)
      bad_field("size", "\"WIDTHxHEIGHT\"");
    body["width"] = w;
    body["height"] = h;
  }
  if (body.contains("width")) r.timeline.width = static_cast<int>(int_field(body, "width", 16, 1024));
  if (body.contains("height")) r.timeline.height = static_cast<int>(int_field(body, "height", 16, 1024));
  if (r.timeline.width % 2 || r.timeline.height % 2) throw ApiError{400, "bad_request", "width and height must be even"};
  if (body.contains("steps"))
    set_parameter(r.timeline.parameters, "steps", "0:(" + std::to_string(int_field(body, "steps", 1, 200)) + ")");
  if (body.contains("seed"))
    set_parameter(r.timeline.parameters, "seed", "0:(" + std::to_string(int_field(body, "seed", 0, std::int64_t{1} << 53)) + ")");
  if (body.contains("denoiser")) {
    const json& d = body["denoiser"];
    if (!d.is_string() || (d != "global" && d != "local" && d != "local_windowed")) bad_field("denoiser", "global, local or local_windowed");
    r.job_options["denoiser"] = d;
  }
  if (body.contains("attribution_maps")) {
    if (!body["attribution_maps"].is_boolean()) bad_field("attribution_maps", "a boolean");
    r.job_options["attribution_maps"] = body["attribution_maps"];
  }
  return r;
}

Timeline plan_request_shots(const FilmRequest& r) {
  try {
    const ManuscriptFormat format =
        r.format ? *r.format : detect_manuscript_format("manuscript", std::string_view(r.manuscript).substr(0, 8192));
    return plan_shots(r.manuscript, format, r.timeline, "manuscript");
  } catch (const ManuscriptError& e) {
    throw ApiError{422, "invalid_manuscript", e.what()};
  } catch (const ScheduleError& e) {
    throw ApiError{422, "invalid_manuscript", e.what()};
  } catch (const ParameterError& e) {
    throw ApiError{422, "invalid_manuscript", e.what()};
  } catch (const std::invalid_argument& e) {
    throw ApiError{400, "bad_request", e.what()};
  }
}

}  // namespace

void register_film_routes(httplib::Server& server, ApiContext& context, RenderJobs& jobs) {
  server.Get("/api/v1/films", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const int limit = static_cast<int>(query_int(req, "limit", 1, 200).value_or(50));
    const std::int64_t before = query_int(req, "before", 1, INT64_MAX).value_or(0);
    json out = json::array();
    const std::vector<FilmRow> films = catalog.films(before, limit);
    for (const FilmRow& f : films) out.push_back(film_summary_json(f, catalog.latest_job(f.id)));
    const bool more = films.size() == static_cast<std::size_t>(limit);
    send_json(res, {{"films", out}, {"next_before", more ? json(films.back().id) : json()}});
  });

  server.Post("/api/v1/films", [&](const httplib::Request& req, httplib::Response& res) {
    FilmRequest request = parse_film_request(req, context.options());
    Timeline timeline = plan_request_shots(request);
    if (timeline.frame_count > context.options().max_film_frames)
      throw ApiError{422, "too_long", "the film would have " + std::to_string(timeline.frame_count) +
                                          " frames; this server renders at most " +
                                          std::to_string(context.options().max_film_frames)};
    Catalog& catalog = context.catalog();
    std::shared_ptr<DenseIndex> index = context.dense_index(catalog);
    EncoderLease lease = index ? context.lease_encoder() : EncoderLease();
    ClipEncoder* encoder = lease.get();
    std::int64_t model_id = 0;
    if (encoder)
      if (auto m = catalog.find_model(encoder->info().name, encoder->info().weights_sha256)) model_id = m->id;
    const std::string label = "api:" + (timeline.title.empty() ? std::string("manuscript") : timeline.title);
    PlannedFilm planned;
    try {
      // Planning embeds every shot's text with the leased encoder.
      planned = plan_and_save_film(catalog, std::move(timeline), label, encoder, index.get(), model_id);
    } catch (const ManuscriptError& e) {
      throw ApiError{422, "invalid_manuscript", e.what()};
    }
    json options = request.job_options;
    options["fps"] = planned.timeline.fps;
    options["width"] = planned.timeline.width;
    options["height"] = planned.timeline.height;
    const std::int64_t job_id = catalog.create_job(planned.film_id, options);
    jobs.wake();
    auto film = catalog.film(planned.film_id);
    json body = film_summary_json(*film, catalog.job(job_id));
    body["planning_seconds"] = planned.planning_seconds;
    body["dense"] = encoder != nullptr;
    res.set_header("Location", film_base(planned.film_id));
    send_json(res, body, 202);
  });

  server.Get(R"(/api/v1/films/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const FilmRow film = require_film(catalog, req.matches[1]);
    bool with_timeline = true;
    if (req.has_param("timeline")) {
      const std::string v = req.get_param_value("timeline");
      if (v != "0" && v != "1") throw ApiError{400, "bad_request", "timeline must be 0 or 1"};
      with_timeline = v == "1";
    }
    send_json(res, film_json(catalog, film, with_timeline));
  });

  server.Delete(R"(/api/v1/films/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const FilmRow film = require_film(catalog, req.matches[1]);
    catalog.cancel_jobs(film.id, "the film was deleted");
    const bool was_rendering = jobs.cancel_film(film.id);
    // Files go only from the folder the server itself renders into (<catalog folder>/films/<id>);
    // a film rendered elsewhere (`palimpsest make -o`) keeps its files.
    bool files_removed = false;
    std::error_code ec;
    const std::filesystem::path own = default_film_dir(catalog, film.id);
    if (!film.output_dir.empty() &&
        std::filesystem::weakly_canonical(film.output_dir, ec) == std::filesystem::weakly_canonical(own, ec) &&
        std::filesystem::is_directory(own, ec)) {
      files_removed = std::filesystem::remove_all(own, ec) > 0 && !ec;
    }
    catalog.delete_film(film.id);
    send_json(res, {{"deleted", film.id}, {"was_rendering", was_rendering}, {"files_removed", files_removed}});
  });

  server.Get(R"(/api/v1/films/([^/]+)/video\.mp4)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    if (!has_video(film))
      throw ApiError{404, "not_ready", "film " + std::to_string(film.id) + " has no video yet (status " + film.status + ")"};
    auto st = stamp(film.video_path);
    auto file = std::make_shared<std::ifstream>(film.video_path, std::ios::binary);
    if (!st || !*file) throw ApiError{410, "gone", "the video of film " + std::to_string(film.id) + " is no longer on disk"};
    if (not_modified(req, res, etag_for("video-" + std::to_string(film.id), *st), "public, max-age=3600")) return;
    check_ranges(req, res, st->size);
    send_file_ranges(res, file, st->size, "video/mp4");
  });

  server.Get(R"(/api/v1/films/([^/]+)/frames)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    const std::int64_t from = query_int(req, "from", 0, INT64_MAX).value_or(0);
    const std::int64_t limit = query_int(req, "limit", 1, 100000).value_or(10000);
    const std::string base = film_base(film.id);
    json out = json::array();
    std::optional<std::int64_t> next;
    for (const FilmFrameRow& f : catalog.film_frames(film.id)) {
      if (f.frame < from) continue;
      if (static_cast<std::int64_t>(out.size()) == limit) {
        next = f.frame;
        break;
      }
      const std::string n = std::to_string(f.frame);
      out.push_back({{"frame", f.frame},
                     {"shot", f.shot},
                     {"diffused", f.diffused},
                     {"has_map", f.has_map},
                     {"url", base + "/frames/" + n + ".png"},
                     {"map_url", f.has_map ? json(base + "/frames/" + n + "/map.png") : json()},
                     {"provenance_url", base + "/frames/" + n + "/provenance"}});
    }
    send_json(res, {{"film_id", film.id}, {"frame_count", film.frame_count}, {"frames", out},
                    {"next_from", next ? json(*next) : json()}});
  });

  server.Get(R"(/api/v1/films/([^/]+)/frames/([^/]+)\.png)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    const std::int64_t n = require_frame_number(film, req.matches[2]);
    require_rendered_frame(catalog, film, n);
    send_png(req, res, std::filesystem::path(film.output_dir) / "frames" / frame_file_name(n),
             "frame-" + std::to_string(film.id) + "-" + std::to_string(n));
  });

  server.Get(R"(/api/v1/films/([^/]+)/frames/([^/]+)/map\.png)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    const std::int64_t n = require_frame_number(film, req.matches[2]);
    const FilmFrameRow frame = require_rendered_frame(catalog, film, n);
    if (!frame.has_map)
      throw ApiError{404, "no_map", "frame " + std::to_string(n) + " of film " + std::to_string(film.id) + " has no attribution map"};
    send_png(req, res, std::filesystem::path(film.output_dir) / "maps" / frame_file_name(n),
             "map-" + std::to_string(film.id) + "-" + std::to_string(n));
  });

  auto shot_cache = std::make_shared<ShotCache>();
  server.Get(R"(/api/v1/films/([^/]+)/frames/([^/]+)/provenance)", [&context, shot_cache](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    const std::int64_t n = require_frame_number(film, req.matches[2]);
    const FilmFrameRow frame = require_rendered_frame(catalog, film, n);
    const std::string base = film_base(film.id);
    const auto shots = shot_cache->get(catalog, film);
    json entries = json::array();
    for (const ProvenanceRow& p : catalog.frame_provenance(film.id, n))
      entries.push_back({{"record_id", p.record_id}, {"role", p.role}, {"weight", p.weight},
                         {"record", record_or_null(catalog, p.record_id)}});
    const double fps = shots->fps;
    const json* shot = nullptr;
    for (const json& s : shots->shots)
      if (s["start_frame"].get<std::int64_t>() <= n && n < s["end_frame"].get<std::int64_t>()) shot = &s;
    const std::string num = std::to_string(n);
    send_json(res, {{"film_id", film.id},
                    {"frame", n},
                    {"frame_count", film.frame_count},
                    {"time_s", static_cast<double>(n) / fps},
                    {"shot", shot ? *shot : json()},
                    {"diffused", frame.diffused},
                    {"has_map", frame.has_map},
                    {"image_url", base + "/frames/" + num + ".png"},
                    {"map_url", frame.has_map ? json(base + "/frames/" + num + "/map.png") : json()},
                    {"entries", entries}});
  });

  server.Get(R"(/api/v1/films/([^/]+)/provenance)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const FilmRow film = require_film(catalog, req.matches[1]);
    // The same records recur in the film's shares, every shot's shares and its plan: each is
    // read from the catalog once per request.
    std::map<std::int64_t, json> summaries;
    auto summary = [&](std::int64_t id) -> const json& {
      auto found = summaries.find(id);
      if (found == summaries.end()) found = summaries.emplace(id, record_or_null(catalog, id)).first;
      return found->second;
    };
    json shares = json::array();
    for (const FilmShareRow& s : catalog.film_shares(film.id))
      shares.push_back({{"record_id", s.record_id}, {"role", s.role}, {"share", s.share}, {"frames", s.frames},
                        {"record", summary(s.record_id)}});
    // What the rendered frames of each shot drew on (keyframes, guidance and the denoiser's
    // records), beside what the plan chose for it.
    std::map<std::int64_t, json> shot_shares;
    for (const ShotShareRow& s : catalog.film_shot_shares(film.id)) {
      json& list = shot_shares[s.shot];
      if (list.is_null()) list = json::array();
      list.push_back({{"record_id", s.record_id}, {"role", s.role}, {"share", s.share}, {"frames", s.frames},
                      {"record", summary(s.record_id)}});
    }
    json shots = json::array();
    if (film.timeline.is_object() && film.timeline.contains("shots") && film.timeline["shots"].is_array())
      for (const json& s : film.timeline["shots"]) {
        json shot = shot_json(s);
        for (json& k : shot["keyframes"]) k["record"] = summary(k["record_id"].get<std::int64_t>());
        for (json& g : shot["guidance"]) g["record"] = summary(g["record_id"].get<std::int64_t>());
        const auto found = shot_shares.find(shot["index"].get<std::int64_t>());
        shot["shares"] = found == shot_shares.end() ? json::array() : found->second;
        shots.push_back(std::move(shot));
      }
    send_json(res, {{"film_id", film.id}, {"frames_rendered", film.frames_rendered}, {"shares", shares}, {"shots", shots}});
  });

  server.Get(R"(/api/v1/films/([^/]+)/timeline\.otio)", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    const FilmRow film = require_film(catalog, req.matches[1]);
    if (!film.timeline.is_object())
      throw ApiError{404, "not_planned", "film " + std::to_string(film.id) + " has no timeline"};
    Timeline timeline;
    try {
      timeline = Timeline::from_json(film.timeline);
    } catch (const TimelineError& e) {
      throw ApiError{409, "bad_timeline", std::string("the film's stored timeline does not read: ") + e.what()};
    }
    const json otio = to_otio(timeline, [&](std::int64_t id) { return catalog.record(id); });
    res.set_header("Content-Disposition", "attachment; filename=\"film-" + std::to_string(film.id) + ".otio\"");
    send_json(res, otio);
  });
}

}  // namespace palimpsest::server
