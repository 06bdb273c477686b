// Films: GET/POST /api/v1/films, GET/DELETE /api/v1/films/{id}, its video, frames, attribution
// maps, per-frame and per-film provenance, its metrics, and its timeline as OpenTimelineIO.
//
// Every file is found from the catalog (the film's output_dir and video_path, written by
// make_film) and integers parsed from the request; no request text ever becomes part of a path.
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include "retrieval/film_planning.h"
#include "retrieval/timeline/manuscript.h"
#include "retrieval/timeline/otio_export.h"
#include "retrieval/timeline/schedule.h"
#include "retrieval/timeline/shot_pictures.h"
#include "schema/catalog_json.h"
#include "schema/embedding_store.h"
#include "schema/film_store.h"
#include "schema/job_queue.h"
#include "server/api_context.h"
#include "server/http_ranges.h"
#include "server/record_json.h"
#include "server/render_jobs.h"
#include "server/render_state.h"
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
  auto film = catalog.films().get(id, /*with_timeline=*/false);
  if (!film) throw ApiError{404, "not_found", "no film " + std::to_string(id)};
  return std::move(*film);
}

FilmRow require_film(Catalog& catalog, const std::string& id_text) {
  const std::int64_t id = parse_id(id_text, "film id");
  auto film = catalog.films().get(id);
  if (!film) throw ApiError{404, "not_found", "no film " + std::to_string(id)};
  return std::move(*film);
}

// The film's timeline, read through Timeline::from_json; nullopt before it is planned.
std::optional<Timeline> film_timeline(const FilmRow& film) {
  if (!film.timeline.is_object()) return std::nullopt;
  try {
    return Timeline::from_json(film.timeline);
  } catch (const TimelineError& e) {
    throw ApiError{409, "bad_timeline", std::string("the film's stored timeline does not read: ") + e.what()};
  }
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
  auto frame = catalog.films().frame(film.id, n);
  if (!frame)
    throw ApiError{404, "not_rendered", "frame " + std::to_string(n) + " of film " + std::to_string(film.id) +
                                            " is not rendered (yet)"};
  return *frame;
}

json job_json(const std::optional<JobRow>& job) {
  if (!job) return json();
  return {{"id", job->id},
          {"state", to_string(job->state)},
          {"progress", job->progress},
          {"error", opt_text(job->error)},
          {"attempts", job->attempts},
          {"created_at", job->created_at},
          {"started_at", opt_text(job->started_at)},
          {"finished_at", opt_text(job->finished_at)},
          {"heartbeat_at", opt_text(job->heartbeat_at)}};
}

bool has_video(const FilmRow& f) { return f.status == FilmStatus::done && !f.video_path.empty(); }

json film_summary_json(const FilmRow& f, const std::optional<JobRow>& job, const ServerOptions& options) {
  const std::string base = film_base(f.id);
  return {{"id", f.id},
          {"title", f.title},
          {"manuscript", f.manuscript},
          {"status", to_string(f.status)},
          {"progress", f.progress},
          {"error", opt_text(f.error)},
          {"frame_count", f.frame_count},
          {"frames_rendered", f.frames_rendered},
          {"created_at", f.created_at},
          {"updated_at", opt_text(f.updated_at)},
          {"url", base},
          {"poster_url", f.frames_rendered > 0 ? json(base + "/frames/0.png") : json()},
          {"video_url", has_video(f) ? json(base + "/video.mp4") : json()},
          {"job", job_json(job)},
          {"render", render_state_json(f, job, options)}};
}

// A shot with its records and where its pictures come from (`pictures`: status own, borrowed or
// empty, the lending shot, frames borrowed and empty; shot_pictures.h).
json shot_json(const Shot& shot, const ShotPictures& pictures) {
  json keyframes = json::array(), guidance = json::array();
  for (const ShotKeyframe& k : shot.keyframes)
    keyframes.push_back({{"record_id", k.record_id}, {"frame", k.frame}, {"pinned", k.pinned}});
  for (const GuidanceRecord& g : shot.guidance)
    guidance.push_back({{"record_id", g.record_id}, {"kind", to_string(g.kind)}, {"weight", g.weight}});
  json j = shot_description_json(shot);
  j["index"] = shot.index;
  j["keyframes"] = keyframes;
  j["guidance"] = guidance;
  j["pictures"] = pictures.to_json();
  return j;
}

// Every shot of a timeline as shot_json.
std::vector<json> shots_json(const Timeline& timeline) {
  const std::vector<ShotPictures> pictures = shot_pictures(timeline);
  std::vector<json> out;
  for (std::size_t i = 0; i < timeline.shots.size(); ++i) out.push_back(shot_json(timeline.shots[i], pictures.at(i)));
  return out;
}

// Each film's shots and fps, read once per version of the film row (updated_at).
class ShotCache {
 public:
  struct Shots {
    std::string version;
    double fps = 12;
    std::vector<std::pair<std::int64_t, std::int64_t>> frames;  // each shot's [start, end)
    std::vector<json> shots;                                      // shot_json() of every shot
    const json* at(std::int64_t frame) const {
      for (std::size_t i = 0; i < frames.size(); ++i)
        if (frames[i].first <= frame && frame < frames[i].second) return &shots[i];
      return nullptr;
    }
  };

  std::shared_ptr<const Shots> get(Catalog& catalog, const FilmRow& row) {
    const std::string version = row.updated_at + "|" + row.created_at;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = films_.find(row.id);
      if (it != films_.end() && it->second->version == version) return it->second;
    }
    auto shots = std::make_shared<Shots>();
    shots->version = version;
    if (auto film = catalog.films().get(row.id))
      if (const std::optional<Timeline> timeline = film_timeline(*film)) {
        shots->fps = timeline->fps;
        for (const Shot& s : timeline->shots) shots->frames.emplace_back(s.start_frame, s.end_frame);
        shots->shots = shots_json(*timeline);
      }
    std::lock_guard<std::mutex> lock(mutex_);
    if (films_.size() > 256) films_.clear();
    films_[row.id] = shots;
    return shots;
  }

 private:
  std::mutex mutex_;
  std::map<std::int64_t, std::shared_ptr<const Shots>> films_;
};

// Record summaries for provenance lists, each record read once per request (records recur
// across a film's shares, its shots' shares and its plan); null for a record deleted since.
class RecordSummaries {
 public:
  explicit RecordSummaries(Catalog& catalog) : catalog_(catalog) {}
  const json& operator()(std::int64_t id) {
    auto found = summaries_.find(id);
    if (found == summaries_.end()) {
      auto r = catalog_.record(id);
      found = summaries_.emplace(id, r ? api_record_summary_json(*r) : json()).first;
    }
    return found->second;
  }

 private:
  Catalog& catalog_;
  std::map<std::int64_t, json> summaries_;
};

json film_json(Catalog& catalog, const FilmRow& f, bool with_timeline, const ServerOptions& options) {
  json j = film_summary_json(f, catalog.jobs().latest(f.id), options);
  const std::string base = film_base(f.id);
  const std::optional<Timeline> timeline = film_timeline(f);
  j["fps"] = timeline ? json(timeline->fps) : json();
  j["width"] = timeline ? json(timeline->width) : json();
  j["height"] = timeline ? json(timeline->height) : json();
  j["params"] = f.params;
  json shots = json::array();
  if (timeline) {
    // Each keyframe with its record's summary (thumbnail), so a page can show the shot's pictures.
    RecordSummaries summary(catalog);
    for (json& shot : shots_json(*timeline)) {
      for (json& k : shot["keyframes"]) k["record"] = summary(k["record_id"].get<std::int64_t>());
      shots.push_back(std::move(shot));
    }
  }
  j["shots"] = shots;
  j["pictures"] = timeline ? summarize(shot_pictures(*timeline)).to_json() : json();
  j["warnings"] = timeline ? json(timeline->warnings) : json::array();
  j["frames_url"] = base + "/frames";
  j["frame_url_template"] = base + "/frames/{n}.png";
  j["frame_provenance_url_template"] = base + "/frames/{n}/provenance";
  j["provenance_url"] = base + "/provenance";
  j["metrics_url"] = base + "/metrics";
  j["timeline_otio_url"] = timeline ? json(base + "/timeline.otio") : json();
  if (with_timeline) j["timeline"] = timeline ? f.timeline : json();
  return j;
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
  FilmPlanningOptions planning;
  std::optional<std::string> archive;  // a name, resolved against the catalog when planning
  bool dry_run = false;                // plan and answer the timeline; no film, no job
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

// The planning controls of POST /api/v1/films (the CLI's --kinds, --archive, --exclude, --pin,
// --threshold, --borrow-seconds, --dry-run): kinds ["image", ...], archive "name", exclude [id...],
// pins {"shot": [id...]} or [{"shot": n, "record": id}...], threshold z, borrow_seconds s,
// dry_run true.
void parse_planning_fields(const json& body, FilmRequest& r) {
  if (body.contains("kinds")) {
    const json& kinds = body["kinds"];
    if (!kinds.is_array()) bad_field("kinds", "an array of record kinds");
    for (const json& k : kinds) {
      const std::optional<RecordKind> kind = k.is_string() ? parse_record_kind(k.get<std::string>()) : std::nullopt;
      if (!kind) bad_field("kinds", "an array of record kinds (image, frame, text, subtitle, audio, speech, ocr)");
      if (std::find(r.planning.filter.kinds.begin(), r.planning.filter.kinds.end(), *kind) == r.planning.filter.kinds.end())
        r.planning.filter.kinds.push_back(*kind);
    }
  }
  if (body.contains("archive")) {
    if (!body["archive"].is_string()) bad_field("archive", "an archive name");
    r.archive = body["archive"].get<std::string>();
  }
  if (body.contains("exclude")) {
    const json& ids = body["exclude"];
    if (!ids.is_array()) bad_field("exclude", "an array of record ids");
    for (const json& id : ids) {
      if (!id.is_number_integer() || id.get<std::int64_t>() <= 0) bad_field("exclude", "an array of record ids");
      r.planning.excluded.insert(id.get<std::int64_t>());
    }
  }
  if (body.contains("pins")) {
    const json& pins = body["pins"];
    auto pin = [&](const json& shot, const json& record) {
      if (!shot.is_number_integer() || shot.get<std::int64_t>() < 0 || shot.get<std::int64_t>() > 1'000'000 ||
          !record.is_number_integer() || record.get<std::int64_t>() <= 0)
        bad_field("pins", "{\"SHOT\": [RECORD, ...]} or [{\"shot\": SHOT, \"record\": RECORD}, ...]");
      r.planning.pins[static_cast<int>(shot.get<std::int64_t>())].push_back(record.get<std::int64_t>());
    };
    if (pins.is_array()) {
      for (const json& p : pins) {
        if (!p.is_object() || !p.contains("shot") || !p.contains("record")) pin(json(), json());
        pin(p["shot"], p["record"]);
      }
    } else if (pins.is_object()) {
      for (const auto& [shot, records] : pins.items()) {
        char* end = nullptr;
        const long long index = std::strtoll(shot.c_str(), &end, 10);
        if (shot.empty() || *end != '\0' || !records.is_array()) pin(json(), json());
        for (const json& record : records) pin(json(index), record);
      }
    } else {
      pin(json(), json());
    }
  }
  if (body.contains("threshold")) {
    const json& t = body["threshold"];
    if (!t.is_number() || !std::isfinite(t.get<double>()) || std::fabs(t.get<double>()) > 100) bad_field("threshold", "a number in [-100, 100]");
    r.planning.picture_threshold = t.get<double>();
  }
  if (body.contains("borrow_seconds")) {
    const json& b = body["borrow_seconds"];
    if (!b.is_number() || b.get<double>() < 0 || b.get<double>() > 3600) bad_field("borrow_seconds", "a number in [0, 3600]");
    r.planning.borrow_seconds = b.get<double>();
  }
  if (body.contains("dry_run")) {
    if (!body["dry_run"].is_boolean()) bad_field("dry_run", "a boolean");
    r.dry_run = body["dry_run"].get<bool>();
  }
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
                                                 "size", "steps", "seed", "denoiser", "attribution_maps", "sound",
                                                 "kinds", "archive", "exclude", "pins", "threshold",
                                                 "borrow_seconds", "dry_run"};
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
  const FilmLimits& limits = options.film_limits;
  r.timeline.limits = limits;
  if (body.contains("fps")) {
    if (!body["fps"].is_number() || body["fps"].get<double>() < 1 || body["fps"].get<double>() > limits.max_fps)
      bad_field("fps", "a number in [1, " + std::to_string(static_cast<int>(limits.max_fps)) + "]");
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
  if (body.contains("width")) r.timeline.width = static_cast<int>(int_field(body, "width", 16, limits.max_side));
  if (body.contains("height")) r.timeline.height = static_cast<int>(int_field(body, "height", 16, limits.max_side));
  if (r.timeline.width % 2 || r.timeline.height % 2) throw ApiError{400, "bad_request", "width and height must be even"};
  if (body.contains("steps"))
    set_parameter(r.timeline.parameters, "steps", "0:(" + std::to_string(int_field(body, "steps", 1, limits.max_steps)) + ")");
  if (body.contains("seed"))
    set_parameter(r.timeline.parameters, "seed", "0:(" + std::to_string(int_field(body, "seed", 0, std::int64_t{1} << 53)) + ")");
  if (body.contains("denoiser")) {
    const json& d = body["denoiser"];
    const std::optional<DenoiserKind> kind = d.is_string() ? parse_denoiser_kind(d.get<std::string>()) : std::nullopt;
    if (!kind) bad_field("denoiser", "global, local or local_windowed");
    r.job_options["denoiser"] = to_string(*kind);
  }
  if (body.contains("attribution_maps")) {
    if (!body["attribution_maps"].is_boolean()) bad_field("attribution_maps", "a boolean");
    r.job_options["attribution_maps"] = body["attribution_maps"];
  }
  if (body.contains("sound")) {
    if (!body["sound"].is_boolean()) bad_field("sound", "a boolean");
    r.job_options["sound"] = body["sound"];
  }
  parse_planning_fields(body, r);
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

// The film routes, one named handler each. Handlers run on the server's worker threads; each
// uses its thread's catalog connection.
class FilmRoutes {
 public:
  FilmRoutes(ApiContext& context, RenderJobs& jobs) : context_(context), jobs_(jobs) {}

  // GET /api/v1/films?before=&limit=
  void list(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const int limit = static_cast<int>(query_int(req, "limit", 1, 200).value_or(50));
    const std::int64_t before = query_int(req, "before", 1, INT64_MAX).value_or(0);
    json out = json::array();
    const std::vector<FilmRow> films = catalog.films().list(before, limit);
    for (const FilmRow& f : films) out.push_back(film_summary_json(f, catalog.jobs().latest(f.id), context_.options()));
    const bool more = films.size() == static_cast<std::size_t>(limit);
    send_json(res, {{"films", out}, {"next_before", more ? json(films.back().id) : json()}});
  }

  // POST /api/v1/films: plans the manuscript now, queues its render as a job.
  void create(const httplib::Request& req, httplib::Response& res) {
    FilmRequest request = parse_film_request(req, context_.options());
    Timeline timeline = plan_request_shots(request);  // within the server's film limits
    Catalog& catalog = context_.catalog();
    std::shared_ptr<DenseIndex> index = context_.dense_index(catalog);
    EncoderLease lease = index ? context_.lease_encoder() : EncoderLease();
    ClipEncoder* encoder = lease.get();
    std::int64_t model_id = 0;
    if (encoder)
      if (auto m = catalog.embeddings().find_model(encoder->info().name, encoder->info().weights_sha256)) model_id = m->id;
    const std::string label = "api:" + (timeline.title.empty() ? std::string("manuscript") : timeline.title);
    if (request.archive) {
      auto archive = catalog.find_archive(*request.archive);
      if (!archive) throw ApiError{404, "not_found", "no archive named " + *request.archive};
      request.planning.filter.archive_id = archive->id;
    }
    for (const auto& [shot, records] : request.planning.pins)
      for (std::int64_t id : records)
        if (!catalog.record(id)) throw ApiError{404, "not_found", "pins: no record " + std::to_string(id)};
    request.planning.save = !request.dry_run;
    PlannedFilm planned;
    try {
      // Planning embeds every shot's text with the leased encoder.
      planned = plan_film(catalog, std::move(timeline), label, encoder, index.get(), model_id, request.planning);
    } catch (const ManuscriptError& e) {
      throw ApiError{422, "invalid_manuscript", e.what()};
    }
    if (request.dry_run) {
      const json shots = shots_json(planned.timeline);
      send_json(res, {{"dry_run", true},
                      {"planning_seconds", planned.planning_seconds},
                      {"dense", encoder != nullptr},
                      {"pictures", planned.summary.to_json()},
                      {"warnings", planned.timeline.warnings},
                      {"shots", shots},
                      {"timeline", planned.timeline.to_json(false)}});
      return;
    }
    // The same manuscript planned the same way again is the same film: its render is queued or
    // running already (answered as is), or queued again (it resumes where it stopped).
    if (planned.reused) {
      const std::optional<JobRow> job = catalog.jobs().latest(planned.film_id);
      if (job && (job->state == JobState::queued || job->state == JobState::running)) {
        auto film = catalog.films().get(planned.film_id, /*with_timeline=*/false);
        json body = film_summary_json(*film, job, context_.options());
        body["planning_seconds"] = planned.planning_seconds;
        body["dense"] = encoder != nullptr;
        body["reused"] = true;
        body["pictures"] = planned.summary.to_json();
        body["warnings"] = planned.timeline.warnings;
        res.set_header("Location", film_base(planned.film_id));
        send_json(res, body, 202);
        return;
      }
    }
    json options = request.job_options;
    options["fps"] = planned.timeline.fps;
    options["width"] = planned.timeline.width;
    options["height"] = planned.timeline.height;
    const std::int64_t job_id = catalog.jobs().create(planned.film_id, options);
    jobs_.wake();
    auto film = catalog.films().get(planned.film_id, /*with_timeline=*/false);
    json body = film_summary_json(*film, catalog.jobs().get(job_id), context_.options());
    body["planning_seconds"] = planned.planning_seconds;
    body["dense"] = encoder != nullptr;
    body["reused"] = planned.reused;
    body["pictures"] = planned.summary.to_json();
    body["warnings"] = planned.timeline.warnings;
    res.set_header("Location", film_base(planned.film_id));
    send_json(res, body, 202);
  }

  // GET /api/v1/films/{id}?timeline=0|1
  void get(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const FilmRow film = require_film(catalog, req.matches[1]);
    bool with_timeline = true;
    if (req.has_param("timeline")) {
      const std::string v = req.get_param_value("timeline");
      if (v != "0" && v != "1") throw ApiError{400, "bad_request", "timeline must be 0 or 1"};
      with_timeline = v == "1";
    }
    send_json(res, film_json(catalog, film, with_timeline, context_.options()));
  }

  // DELETE /api/v1/films/{id}: cancels its render, removes its rows and the server's own files.
  void remove(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    catalog.jobs().cancel(film.id, "the film was deleted");
    const bool was_rendering = jobs_.cancel_film(film.id);
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
    catalog.films().remove(film.id);
    send_json(res, {{"deleted", film.id}, {"was_rendering", was_rendering}, {"files_removed", files_removed}});
  }

  // GET /api/v1/films/{id}/video.mp4 (Range)
  void video(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    if (!has_video(film))
      throw ApiError{404, "not_ready", "film " + std::to_string(film.id) + " has no video yet (status " +
                                           std::string(to_string(film.status)) + ")"};
    auto st = stamp(film.video_path);
    auto file = std::make_shared<std::ifstream>(film.video_path, std::ios::binary);
    if (!st || !*file) throw ApiError{410, "gone", "the video of film " + std::to_string(film.id) + " is no longer on disk"};
    if (not_modified(req, res, etag_for("video-" + std::to_string(film.id), *st), "public, max-age=3600")) return;
    check_ranges(req, res, st->size);
    send_file_ranges(res, file, st->size, "video/mp4");
  }

  // GET /api/v1/films/{id}/frames?from=&limit=
  void frames(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    const std::int64_t from = query_int(req, "from", 0, INT64_MAX).value_or(0);
    const std::int64_t limit = query_int(req, "limit", 1, 100000).value_or(10000);
    const std::string base = film_base(film.id);
    json out = json::array();
    std::optional<std::int64_t> next;
    for (const FilmFrameRow& f : catalog.films().frames(film.id)) {
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
  }

  // GET /api/v1/films/{id}/frames/{n}.png
  void frame_png(const httplib::Request& req, httplib::Response& res) { send_frame_image(req, res, "frames"); }

  // GET /api/v1/films/{id}/frames/{n}/map.png
  void frame_map(const httplib::Request& req, httplib::Response& res) { send_frame_image(req, res, "maps"); }

  // GET /api/v1/films/{id}/frames/{n}/provenance: the frame's provenance and what is heard there
  // (the shape of provenance.json and `palimpsest provenance --frame --json`) with its shot,
  // links and record summaries.
  void frame_provenance(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    const std::int64_t n = require_frame_number(film, req.matches[2]);
    const FilmFrameRow frame = require_rendered_frame(catalog, film, n);
    const auto shots = shots_.get(catalog, film);
    json body = frame_provenance_json(frame, catalog.films().frame_provenance(film.id, n),
                                      catalog.films().heard_at_frame(film.id, n));
    RecordSummaries summary(catalog);
    for (json& e : body["entries"]) {
      e["record"] = summary(e["record_id"].get<std::int64_t>());
      add_map_colour(e);
    }
    if (body["heard"].is_object())
      for (json& h : body["heard"]["records"]) h["record"] = summary(h["record_id"].get<std::int64_t>());
    const std::string base = film_base(film.id);
    const std::string num = std::to_string(n);
    const json* shot = shots->at(n);
    body["film_id"] = film.id;
    body["frame_count"] = film.frame_count;
    body["time_s"] = static_cast<double>(n) / shots->fps;
    body["shot"] = shot ? *shot : json();
    body["has_map"] = frame.has_map;
    body["image_url"] = base + "/frames/" + num + ".png";
    body["map_url"] = frame.has_map ? json(base + "/frames/" + num + "/map.png") : json();
    send_json(res, body);
  }

  // GET /api/v1/films/{id}/provenance: each record's share of the film and of every shot, beside
  // what the plan chose for each shot, and each record's share of the sound.
  void film_provenance(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const FilmRow film = require_film(catalog, req.matches[1]);
    RecordSummaries summary(catalog);
    auto with_record = [&](json share) {
      share["record"] = summary(share["record_id"].get<std::int64_t>());
      if (share.contains("role")) add_map_colour(share);
      return share;
    };
    json shares = json::array();
    for (const FilmShareRow& s : catalog.films().shares(film.id)) shares.push_back(with_record(share_json(s)));
    std::map<std::int64_t, json> shot_shares;
    for (const ShotShareRow& s : catalog.films().shot_shares(film.id)) {
      json& list = shot_shares[s.shot];
      if (list.is_null()) list = json::array();
      list.push_back(with_record(share_json(s)));
    }
    json shots = json::array();
    if (const std::optional<Timeline> timeline = film_timeline(film))
      for (json& shot : shots_json(*timeline)) {
        const std::int64_t index = shot["index"].get<std::int64_t>();
        for (json& k : shot["keyframes"]) k["record"] = summary(k["record_id"].get<std::int64_t>());
        for (json& g : shot["guidance"]) g["record"] = summary(g["record_id"].get<std::int64_t>());
        const auto found = shot_shares.find(index);
        shot["shares"] = found == shot_shares.end() ? json::array() : found->second;
        shots.push_back(std::move(shot));
      }
    json sound = soundtrack_json(catalog.films().soundtrack(film.id), catalog.films().sound_shares(film.id));
    if (sound.is_object())
      for (json& s : sound["shares"]) s = with_record(s);
    send_json(res, {{"film_id", film.id}, {"frames_rendered", film.frames_rendered}, {"shares", shares}, {"shots", shots},
                    {"sound", sound}});
  }

  // GET /api/v1/films/{id}/metrics: every rendered frame's metrics (synth/film_metrics.h), their
  // means per shot and over the film, and where the shots start and end (the cuts), for a plot.
  void metrics(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    const auto shots = shots_.get(catalog, film);
    json body = film_metrics_json(catalog.films().frames(film.id));
    for (json& shot : body["shots"]) {
      const std::int64_t index = shot["shot"].get<std::int64_t>();
      const bool known = index >= 0 && index < static_cast<std::int64_t>(shots->frames.size());
      shot["start_frame"] = known ? json(shots->frames[static_cast<std::size_t>(index)].first) : json();
      shot["end_frame"] = known ? json(shots->frames[static_cast<std::size_t>(index)].second) : json();
    }
    json cuts = json::array();
    for (const auto& [start, end] : shots->frames) cuts.push_back(start);
    body["film_id"] = film.id;
    body["frame_count"] = film.frame_count;
    body["frames_rendered"] = film.frames_rendered;
    body["fps"] = shots->fps;
    body["cuts"] = cuts;
    send_json(res, body);
  }

  // GET /api/v1/films/{id}/timeline.otio
  void timeline_otio(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const FilmRow film = require_film(catalog, req.matches[1]);
    const std::optional<Timeline> timeline = film_timeline(film);
    if (!timeline) throw ApiError{404, "not_planned", "film " + std::to_string(film.id) + " has no timeline"};
    const json otio = to_otio(*timeline, [&](std::int64_t id) { return catalog.record(id); });
    res.set_header("Content-Disposition", "attachment; filename=\"film-" + std::to_string(film.id) + ".otio\"");
    send_json(res, otio);
  }

 private:
  // A rendered frame's PNG from the film's frames/ or maps/ folder (a map only where one was made).
  void send_frame_image(const httplib::Request& req, httplib::Response& res, const std::string& folder) {
    Catalog& catalog = context_.catalog();
    const FilmRow film = require_film_row(catalog, req.matches[1]);
    const std::int64_t n = require_frame_number(film, req.matches[2]);
    const FilmFrameRow frame = require_rendered_frame(catalog, film, n);
    const bool map = folder == "maps";
    if (map && !frame.has_map)
      throw ApiError{404, "no_map", "frame " + std::to_string(n) + " of film " + std::to_string(film.id) + " has no attribution map"};
    send_png(req, res, std::filesystem::path(film.output_dir) / folder / frame_file_name(n),
             std::string(map ? "map-" : "frame-") + std::to_string(film.id) + "-" + std::to_string(n));
  }

  ApiContext& context_;
  RenderJobs& jobs_;
  ShotCache shots_;
};

}  // namespace

void register_film_routes(httplib::Server& server, ApiContext& context, RenderJobs& jobs) {
  // The handlers share one instance (and its shot cache); it lives as long as the server's handlers.
  auto routes = std::make_shared<FilmRoutes>(context, jobs);
  auto bind = [routes](void (FilmRoutes::*handler)(const httplib::Request&, httplib::Response&)) {
    return [routes, handler](const httplib::Request& req, httplib::Response& res) { ((*routes).*handler)(req, res); };
  };
  server.Get("/api/v1/films", bind(&FilmRoutes::list));
  server.Post("/api/v1/films", bind(&FilmRoutes::create));
  server.Get(R"(/api/v1/films/([^/]+))", bind(&FilmRoutes::get));
  server.Delete(R"(/api/v1/films/([^/]+))", bind(&FilmRoutes::remove));
  server.Get(R"(/api/v1/films/([^/]+)/video\.mp4)", bind(&FilmRoutes::video));
  server.Get(R"(/api/v1/films/([^/]+)/frames)", bind(&FilmRoutes::frames));
  server.Get(R"(/api/v1/films/([^/]+)/frames/([^/]+)\.png)", bind(&FilmRoutes::frame_png));
  server.Get(R"(/api/v1/films/([^/]+)/frames/([^/]+)/map\.png)", bind(&FilmRoutes::frame_map));
  server.Get(R"(/api/v1/films/([^/]+)/frames/([^/]+)/provenance)", bind(&FilmRoutes::frame_provenance));
  server.Get(R"(/api/v1/films/([^/]+)/provenance)", bind(&FilmRoutes::film_provenance));
  server.Get(R"(/api/v1/films/([^/]+)/timeline\.otio)", bind(&FilmRoutes::timeline_otio));
  server.Get(R"(/api/v1/films/([^/]+)/metrics)", bind(&FilmRoutes::metrics));
}

}  // namespace palimpsest::server
