// Sweeps: POST /api/v1/sweeps queues a sweep of a planned film (synth/sweep.h) as a job;
// GET /api/v1/sweeps/{id} says how it stands and, once done, each combination's metrics;
// GET /api/v1/sweeps/{id}/sheet.png is its contact sheet; GET /api/v1/films/{id}/sweeps lists a film's.
//
// Files are found from the job's id (<catalog folder>/sweeps/job-<id>/), never from request text.
#include <filesystem>
#include <fstream>

#include "schema/film_store.h"
#include "schema/job_queue.h"
#include "server/api_context.h"
#include "server/render_jobs.h"
#include "server/sweep_jobs.h"
#include "synth/sweep.h"

namespace palimpsest::server {
namespace {

using nlohmann::json;

// A sweep renders every combination: this many at most per request.
constexpr std::size_t kMaxCombinations = 64;
constexpr std::size_t kMaxSheetFrames = 48;

std::string sweep_base(std::int64_t id) { return "/api/v1/sweeps/" + std::to_string(id); }

json opt_text(const std::string& s) { return s.empty() ? json() : json(s); }

[[noreturn]] void bad_field(const std::string& field, const std::string& expected) {
  throw ApiError{400, "bad_request", field + " must be " + expected};
}

// "vary": {"guidance": [0, 3, 7], "cadence": ["1", "2"]} or ["guidance=0,3,7", ...]. An object's
// axes come in name order (a JSON object has no order); the list keeps the order given.
std::vector<SweepAxis> parse_axes(const json& vary) {
  std::vector<SweepAxis> axes;
  auto value_text = [](const json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number() || v.is_boolean()) return v.dump();
    bad_field("vary", "an object of parameter -> list of values (strings or numbers), or a list of \"NAME=V1,V2\"");
  };
  if (vary.is_object()) {
    for (const auto& [name, values] : vary.items()) {
      if (!values.is_array() || values.empty()) bad_field("vary." + name, "a non-empty list of values");
      std::string text = name + "=";
      bool commas = false;
      std::vector<std::string> parts;
      for (const json& v : values) {
        parts.push_back(value_text(v));
        commas |= parts.back().find(',') != std::string::npos;
      }
      for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? (commas ? "|" : ",") : "") + parts[i];
      axes.push_back(parse_vary(text));
    }
  } else if (vary.is_array()) {
    for (const json& v : vary) {
      if (!v.is_string()) bad_field("vary", "a list of \"NAME=V1,V2\" strings");
      axes.push_back(parse_vary(v.get<std::string>()));
    }
  } else {
    bad_field("vary", "an object of parameter -> list of values, or a list of \"NAME=V1,V2\"");
  }
  check_axes(axes);
  return axes;
}

json sweep_json(Catalog& catalog, const JobRow& job) {
  const std::string base = sweep_base(job.id);
  const std::filesystem::path dir = sweep_job_dir(catalog, job.id);
  json result;
  if (job.state == JobState::done) {
    std::ifstream in(dir / "sweep.json");
    result = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (result.is_discarded()) result = json();
  }
  json combinations = result.is_object() ? result.value("combinations", json::array()) : json();
  // Paths on the server's disk are not the client's business.
  if (combinations.is_array())
    for (json& c : combinations) c.erase("directory");
  return {{"id", job.id},
          {"film_id", job.film_id},
          {"state", to_string(job.state)},
          {"progress", job.progress},
          {"error", opt_text(job.error)},
          {"attempts", job.attempts},
          {"created_at", job.created_at},
          {"started_at", opt_text(job.started_at)},
          {"finished_at", opt_text(job.finished_at)},
          {"spec", job.options.value("spec", json::object())},
          {"denoiser", job.options.value("denoiser", "local")},
          {"url", base},
          {"sheet_url", job.state == JobState::done ? json(base + "/sheet.png") : json()},
          {"frames", result.is_object() ? result.value("frames", json::array()) : json()},
          {"combinations", combinations},
          {"warnings", result.is_object() ? result.value("warnings", json::array()) : json()}};
}

class SweepRoutes {
 public:
  SweepRoutes(ApiContext& context, RenderJobs& jobs) : context_(context), jobs_(jobs) {}

  // POST /api/v1/sweeps {film_id, vary, frames?, shots?, denoiser?}
  void create(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0)
      throw ApiError{415, "unsupported_media_type", "POST /api/v1/sweeps takes an application/json body"};
    const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) throw ApiError{400, "invalid_json", "the body is not valid JSON"};
    if (!body.is_object()) throw ApiError{400, "bad_request", "the body must be a JSON object"};
    for (const auto& [key, value] : body.items())
      if (key != "film_id" && key != "vary" && key != "frames" && key != "shots" && key != "denoiser")
        throw ApiError{400, "bad_request", "unknown field \"" + key + "\""};
    if (!body.contains("film_id") || !body["film_id"].is_number_integer() || body["film_id"].get<std::int64_t>() < 1)
      bad_field("film_id", "the id of a planned film");
    if (!body.contains("vary")) bad_field("vary", "given");
    SweepSpec spec;
    spec.axes = parse_axes(body["vary"]);
    if (body.contains("frames")) {
      if (!body["frames"].is_array()) bad_field("frames", "a list of frame numbers");
      std::string text;
      for (const json& f : body["frames"]) {
        if (!f.is_number_integer()) bad_field("frames", "a list of frame numbers");
        text += (text.empty() ? "" : ",") + f.dump();
      }
      if (!text.empty()) spec.frames = parse_frame_list(text);
    }
    if (body.contains("shots")) {
      const json& s = body["shots"];
      std::string text = s.is_string() ? s.get<std::string>() : "";
      if (s.is_array())
        for (const json& n : s) {
          if (!n.is_number_integer()) bad_field("shots", "\"0-2\" or a list of shot numbers");
          text += (text.empty() ? "" : ",") + n.dump();
        }
      else if (!s.is_string())
        bad_field("shots", "\"0-2\" or a list of shot numbers");
      if (!text.empty()) spec.shots = parse_shot_list(text);
    }
    std::string denoiser = "local";
    if (body.contains("denoiser")) {
      const json& d = body["denoiser"];
      const std::optional<DenoiserKind> kind = d.is_string() ? parse_denoiser_kind(d.get<std::string>()) : std::nullopt;
      if (!kind) bad_field("denoiser", "global, local or local_windowed");
      denoiser = std::string(to_string(*kind));
    }
    std::size_t combinations = 1;
    for (const SweepAxis& a : spec.axes) combinations *= a.values.size();
    if (combinations > kMaxCombinations)
      throw ApiError{422, "too_many", std::to_string(combinations) + " combinations; a sweep renders at most " +
                                          std::to_string(kMaxCombinations)};
    if (spec.frames.size() > kMaxSheetFrames)
      throw ApiError{422, "too_many", "a sweep's sheet shows at most " + std::to_string(kMaxSheetFrames) + " frames"};

    Catalog& catalog = context_.catalog();
    const std::int64_t film_id = body["film_id"].get<std::int64_t>();
    const auto film = catalog.films().get(film_id);
    if (!film) throw ApiError{404, "not_found", "no film " + std::to_string(film_id)};
    if (!film->timeline.is_object()) throw ApiError{409, "not_planned", "film " + std::to_string(film_id) + " has no timeline"};
    const Timeline timeline = Timeline::from_json(film->timeline);
    for (std::int64_t f : spec.frames)
      if (f >= timeline.frame_count)
        throw ApiError{422, "frame_out_of_range", "film " + std::to_string(film_id) + " has " +
                                                      std::to_string(timeline.frame_count) + " frames, not " + std::to_string(f)};
    for (int s : spec.shots)
      if (s >= static_cast<int>(timeline.shots.size()))
        throw ApiError{422, "shot_out_of_range", "film " + std::to_string(film_id) + " has " +
                                                     std::to_string(timeline.shots.size()) + " shots, not " + std::to_string(s)};
    const std::int64_t job_id =
        catalog.jobs().create(film_id, {{"spec", sweep_spec_json(spec)}, {"denoiser", denoiser}}, "sweep");
    jobs_.wake();
    res.set_header("Location", sweep_base(job_id));
    send_json(res, sweep_json(catalog, *catalog.jobs().get(job_id)), 202);
  }

  // GET /api/v1/sweeps/{id}
  void get(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    send_json(res, sweep_json(catalog, require_sweep(catalog, req.matches[1])));
  }

  // GET /api/v1/films/{id}/sweeps: the film's sweeps, newest first, each as GET /sweeps/{id}.
  void of_film(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const std::int64_t film_id = parse_id(req.matches[1], "film id");
    if (!catalog.films().get(film_id, /*with_timeline=*/false))
      throw ApiError{404, "not_found", "no film " + std::to_string(film_id)};
    json sweeps = json::array();
    for (const JobRow& job : catalog.jobs().sweeps(film_id)) sweeps.push_back(sweep_json(catalog, job));
    send_json(res, {{"film_id", film_id}, {"sweeps", sweeps}});
  }

  // GET /api/v1/sweeps/{id}/sheet.png
  void sheet(const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context_.catalog();
    const JobRow job = require_sweep(catalog, req.matches[1]);
    if (job.state != JobState::done)
      throw ApiError{404, "not_ready", "sweep " + std::to_string(job.id) + " is " + std::string(to_string(job.state))};
    std::ifstream in(sweep_job_dir(catalog, job.id) / "sheet.png", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty()) throw ApiError{410, "gone", "the sheet of sweep " + std::to_string(job.id) + " is no longer on disk"};
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::move(bytes), "image/png");
  }

 private:
  JobRow require_sweep(Catalog& catalog, const std::string& id_text) {
    const std::int64_t id = parse_id(id_text, "sweep id");
    const auto job = catalog.jobs().get(id);
    if (!job || job->kind != "sweep") throw ApiError{404, "not_found", "no sweep " + std::to_string(id)};
    return *job;
  }

  ApiContext& context_;
  RenderJobs& jobs_;
};

}  // namespace

void register_sweep_routes(httplib::Server& server, ApiContext& context, RenderJobs& jobs) {
  auto routes = std::make_shared<SweepRoutes>(context, jobs);
  auto bind = [routes](void (SweepRoutes::*handler)(const httplib::Request&, httplib::Response&)) {
    return [routes, handler](const httplib::Request& req, httplib::Response& res) { ((*routes).*handler)(req, res); };
  };
  server.Post("/api/v1/sweeps", bind(&SweepRoutes::create));
  server.Get(R"(/api/v1/sweeps/([^/]+))", bind(&SweepRoutes::get));
  server.Get(R"(/api/v1/sweeps/([^/]+)/sheet\.png)", bind(&SweepRoutes::sheet));
  server.Get(R"(/api/v1/films/([^/]+)/sweeps)", bind(&SweepRoutes::of_film));
}

}  // namespace palimpsest::server
