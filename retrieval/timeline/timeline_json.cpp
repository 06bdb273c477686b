// The Timeline's JSON form (schema/timeline.schema.json) and its validation. Reading checks every
// value it uses and names the offending field by its JSON path, because timelines are edited by
// hand between renders and "invalid timeline" alone would not say where.

#include <cmath>

#include "retrieval/timeline/timeline.h"
#include "indexer/text/printable.h"
#include "retrieval/timeline/shot_pictures.h"

namespace palimpsest {
namespace {

using nlohmann::json;

// ---- writing ---------------------------------------------------------------------------------

json shot_pictures_json(const ShotPictures& p) {
  return {{"status", std::string(to_string(p.status))},
          {"from_shot", p.from_shot >= 0 ? json(p.from_shot) : json()},
          {"borrowed_frames", p.borrowed_frames},
          {"empty_frames", p.empty_frames}};
}

json parameters_to_json(const ParameterSet& set) {
  json out = json::object();
  for (const auto& [parameter, schedule] : set.schedules) out[std::string(parameter_name(parameter))] = schedule.to_string();
  if (set.seed_mode) out["seed_mode"] = std::string(to_string(*set.seed_mode));
  if (set.init) out["init"] = to_string(*set.init);
  if (set.guidance_mode) out["guidance_mode"] = std::string(to_string(*set.guidance_mode));
  if (set.guidance_curve) out["guidance_curve"] = set.guidance_curve->to_string();
  if (!set.chaos.empty()) out["chaos"] = chaos_to_string(set.chaos);
  return out;
}

json shot_to_json(const Shot& shot, double fps, const ShotPictures* pictures) {
  json terms = json::array();
  for (const PromptTerm& term : shot.terms) terms.push_back({{"text", term.text}, {"weight", term.weight}});
  json keyframes = json::array();
  for (const ShotKeyframe& k : shot.keyframes)
    keyframes.push_back({{"record", k.record_id}, {"frame", k.frame}, {"pinned", k.pinned}, {"score", k.score}});
  json guidance = json::array();
  for (const GuidanceRecord& g : shot.guidance)
    guidance.push_back({{"record", g.record_id},
                        {"kind", std::string(to_string(g.kind))},
                        {"weight", g.weight},
                        {"similarity", g.similarity},
                        {"pinned", g.pinned}});
  json negatives = json::array();
  for (const NegativeRecord& n : shot.negatives) negatives.push_back({{"record", n.record_id}, {"similarity", n.similarity}});
  return {
      {"index", shot.index},
      {"kind", std::string(to_string(shot.kind))},
      {"raw_text", shot.raw_text},
      {"text", shot.text},
      {"character", shot.character},
      {"scene", shot.scene},
      {"source_line", shot.source_line},
      {"start_frame", shot.start_frame},
      {"end_frame", shot.end_frame},
      {"duration", static_cast<double>(shot.frame_count()) / fps},
      {"duration_source", shot.duration_source},
      {"prompt", {{"terms", terms}, {"negative", shot.negative}}},
      {"pinned_records", shot.pinned_records},
      {"parameters", parameters_to_json(shot.parameters)},
      {"keyframes", keyframes},
      {"guidance", guidance},
      {"negatives", negatives},
      {"pictures", pictures ? shot_pictures_json(*pictures) : json()},
  };
}

// Columns rather than one object per frame: the same numbers in a fraction of the size.
json evaluated_to_json(const Timeline& timeline) {
  const std::vector<FrameParameters> frames = timeline.evaluate_all();
  json out = json::object();
  auto column = [&](const char* name, auto get) {
    json values = json::array();
    for (const FrameParameters& f : frames) values.push_back(get(f));
    out[name] = std::move(values);
  };
  column("shot", [](const FrameParameters& f) { return f.shot; });
  column("strength", [](const FrameParameters& f) { return f.strength; });
  column("noise", [](const FrameParameters& f) { return f.noise; });
  column("guidance", [](const FrameParameters& f) { return f.guidance; });
  column("steps", [](const FrameParameters& f) { return f.steps; });
  column("seed", [](const FrameParameters& f) { return f.seed; });
  column("zoom", [](const FrameParameters& f) { return f.zoom; });
  column("angle", [](const FrameParameters& f) { return f.angle; });
  column("translation_x", [](const FrameParameters& f) { return f.translation_x; });
  column("translation_y", [](const FrameParameters& f) { return f.translation_y; });
  column("translation_z", [](const FrameParameters& f) { return f.translation_z; });
  column("rotation_3d_x", [](const FrameParameters& f) { return f.rotation_3d_x; });
  column("rotation_3d_y", [](const FrameParameters& f) { return f.rotation_3d_y; });
  column("rotation_3d_z", [](const FrameParameters& f) { return f.rotation_3d_z; });
  column("fov", [](const FrameParameters& f) { return f.fov; });
  column("cadence", [](const FrameParameters& f) { return f.cadence; });
  column("seed_mode", [](const FrameParameters& f) { return std::string(to_string(f.seed_mode)); });
  column("init", [](const FrameParameters& f) { return to_string(f.init); });
  column("abstraction", [](const FrameParameters& f) { return f.abstraction ? json(*f.abstraction) : json(); });
  column("guidance_mode", [](const FrameParameters& f) { return std::string(to_string(f.guidance_mode)); });
  return out;
}

// ---- reading ---------------------------------------------------------------------------------

std::string join_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}
std::string index_path(const std::string& parent, std::size_t i) { return parent + "[" + std::to_string(i) + "]"; }

[[noreturn]] void fail(const std::string& path, std::string message) { throw TimelineError(path, std::move(message)); }

const char* type_name(const json& value) { return value.type_name(); }

bool one_of(const std::string& value, std::initializer_list<std::string_view> choices) {
  for (std::string_view choice : choices)
    if (value == choice) return true;
  return false;
}

void expect_object(const json& value, const std::string& path) {
  if (!value.is_object()) fail(path, std::string("expected an object, found ") + type_name(value));
}
void expect_array(const json& value, const std::string& path) {
  if (!value.is_array()) fail(path, std::string("expected an array, found ") + type_name(value));
}

const json& required(const json& object, std::string_view key, const std::string& path) {
  const auto it = object.find(key);
  if (it == object.end()) fail(join_path(path, key), "missing (required)");
  return *it;
}

const json* optional(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string read_string(const json& value, const std::string& path) {
  if (!value.is_string()) fail(path, std::string("expected a string, found ") + type_name(value));
  return value.get<std::string>();
}

std::int64_t read_int(const json& value, const std::string& path) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  fail(path, std::string("expected a whole number, found ") + (value.is_number() ? value.dump() : type_name(value)));
}

double read_number(const json& value, const std::string& path) {
  if (!value.is_number()) fail(path, std::string("expected a number, found ") + type_name(value));
  const double d = value.get<double>();
  if (!std::isfinite(d)) fail(path, "expected a finite number");
  return d;
}

bool read_bool(const json& value, const std::string& path) {
  if (!value.is_boolean()) fail(path, std::string("expected true or false, found ") + type_name(value));
  return value.get<bool>();
}

std::int64_t read_record_id(const json& value, const std::string& path) {
  const std::int64_t id = read_int(value, path);
  if (id <= 0) fail(path, "record ids are whole numbers from 1");
  return id;
}

ParameterSet read_parameters(const json& value, const std::string& path) {
  expect_object(value, path);
  ParameterSet set;
  for (const auto& [key, entry] : value.items()) {
    const std::string field = join_path(path, key);
    std::string text;
    if (entry.is_number()) {
      text = entry.dump();
    } else if (entry.is_string()) {
      text = entry.get<std::string>();
    } else {
      fail(field, std::string("expected a schedule string or a number, found ") + type_name(entry));
    }
    try {
      if (!set_parameter(set, key, text)) fail(field, "unknown parameter");
    } catch (const ScheduleError& e) {
      fail(field, e.what());
    } catch (const ParameterError& e) {
      fail(field, e.message);
    }
  }
  return set;
}

Prompt read_prompt(const json& value, const std::string& path) {
  expect_object(value, path);
  Prompt prompt;
  if (const json* terms = optional(value, "terms")) {
    const std::string terms_path = join_path(path, "terms");
    expect_array(*terms, terms_path);
    for (std::size_t i = 0; i < terms->size(); ++i) {
      const json& term = (*terms)[i];
      const std::string term_path = index_path(terms_path, i);
      expect_object(term, term_path);
      PromptTerm t;
      t.text = read_string(required(term, "text", term_path), join_path(term_path, "text"));
      if (const json* weight = optional(term, "weight")) {
        t.weight = read_number(*weight, join_path(term_path, "weight"));
        if (t.weight < 0) fail(join_path(term_path, "weight"), "weights must be 0 or more");
      }
      prompt.terms.push_back(std::move(t));
    }
  }
  if (const json* negative = optional(value, "negative")) prompt.negative_text = read_string(*negative, join_path(path, "negative"));
  return prompt;
}

template <typename Item, typename ReadItem>
std::vector<Item> read_array(const json& shot, std::string_view key, const std::string& path, ReadItem read_item) {
  std::vector<Item> out;
  const json* array = optional(shot, key);
  if (!array) return out;
  const std::string array_path = join_path(path, key);
  expect_array(*array, array_path);
  for (std::size_t i = 0; i < array->size(); ++i) out.push_back(read_item((*array)[i], index_path(array_path, i)));
  return out;
}

Shot read_shot(const json& value, const std::string& path) {
  expect_object(value, path);
  Shot shot;
  shot.index = static_cast<int>(read_int(required(value, "index", path), join_path(path, "index")));
  const std::string kind = read_string(required(value, "kind", path), join_path(path, "kind"));
  const auto parsed_kind = parse_shot_kind(kind);
  if (!parsed_kind) fail(join_path(path, "kind"), "unknown shot kind " + quoted_excerpt(kind));
  shot.kind = *parsed_kind;
  shot.text = read_string(required(value, "text", path), join_path(path, "text"));
  shot.start_frame = read_int(required(value, "start_frame", path), join_path(path, "start_frame"));
  shot.end_frame = read_int(required(value, "end_frame", path), join_path(path, "end_frame"));
  auto string_field = [&](std::string_view key, std::string& out) {
    if (const json* v = optional(value, key)) out = read_string(*v, join_path(path, key));
  };
  string_field("raw_text", shot.raw_text);
  string_field("character", shot.character);
  string_field("scene", shot.scene);
  string_field("duration_source", shot.duration_source);
  if (!one_of(shot.duration_source, {"", "explicit", "words", "subtitle"}))
    fail(join_path(path, "duration_source"), "expected explicit, words or subtitle, not " + quoted_excerpt(shot.duration_source));
  if (const json* line = optional(value, "source_line"))
    shot.source_line = static_cast<int>(read_int(*line, join_path(path, "source_line")));
  if (const json* prompt = optional(value, "prompt")) {
    Prompt p = read_prompt(*prompt, join_path(path, "prompt"));
    shot.terms = std::move(p.terms);
    shot.negative = std::move(p.negative_text);
  }
  shot.pinned_records = read_array<std::int64_t>(value, "pinned_records", path, read_record_id);
  if (const json* parameters = optional(value, "parameters"))
    shot.parameters = read_parameters(*parameters, join_path(path, "parameters"));

  shot.keyframes = read_array<ShotKeyframe>(value, "keyframes", path, [](const json& k, const std::string& p) {
    expect_object(k, p);
    ShotKeyframe keyframe;
    keyframe.record_id = read_record_id(required(k, "record", p), join_path(p, "record"));
    keyframe.frame = read_int(required(k, "frame", p), join_path(p, "frame"));
    if (const json* pinned = optional(k, "pinned")) keyframe.pinned = read_bool(*pinned, join_path(p, "pinned"));
    if (const json* score = optional(k, "score")) keyframe.score = read_number(*score, join_path(p, "score"));
    return keyframe;
  });
  shot.guidance = read_array<GuidanceRecord>(value, "guidance", path, [](const json& g, const std::string& p) {
    expect_object(g, p);
    GuidanceRecord record;
    record.record_id = read_record_id(required(g, "record", p), join_path(p, "record"));
    record.weight = read_number(required(g, "weight", p), join_path(p, "weight"));
    if (record.weight < 0) fail(join_path(p, "weight"), "weights must be 0 or more");
    if (const json* kind = optional(g, "kind")) {
      const std::string name = read_string(*kind, join_path(p, "kind"));
      const auto parsed = parse_record_kind(name);
      if (!parsed) fail(join_path(p, "kind"), "unknown record kind " + quoted_excerpt(name));
      record.kind = *parsed;
    }
    if (const json* similarity = optional(g, "similarity")) record.similarity = read_number(*similarity, join_path(p, "similarity"));
    if (const json* pinned = optional(g, "pinned")) record.pinned = read_bool(*pinned, join_path(p, "pinned"));
    return record;
  });
  shot.negatives = read_array<NegativeRecord>(value, "negatives", path, [](const json& n, const std::string& p) {
    expect_object(n, p);
    NegativeRecord record;
    record.record_id = read_record_id(required(n, "record", p), join_path(p, "record"));
    if (const json* similarity = optional(n, "similarity")) record.similarity = read_number(*similarity, join_path(p, "similarity"));
    return record;
  });
  return shot;
}

// Frame ranges: in order, disjoint, inside the film; keyframes inside their shot.
void check_frames(const Timeline& timeline) {
  std::int64_t previous_end = 0;
  for (std::size_t i = 0; i < timeline.shots.size(); ++i) {
    const Shot& shot = timeline.shots[i];
    const std::string path = index_path("shots", i);
    if (shot.index != static_cast<int>(i)) fail(join_path(path, "index"), "expected " + std::to_string(i) + " (shots are numbered in order from 0)");
    if (shot.start_frame < previous_end)
      fail(join_path(path, "start_frame"), std::to_string(shot.start_frame) + " overlaps the shot before, which ends at " +
                                               std::to_string(previous_end));
    if (shot.end_frame <= shot.start_frame) fail(join_path(path, "end_frame"), "must be after start_frame (at least one frame)");
    if (shot.end_frame > timeline.frame_count)
      fail(join_path(path, "end_frame"), std::to_string(shot.end_frame) + " is past frame_count " + std::to_string(timeline.frame_count));
    for (std::size_t k = 0; k < shot.keyframes.size(); ++k)
      if (shot.keyframes[k].frame < shot.start_frame || shot.keyframes[k].frame >= shot.end_frame)
        fail(join_path(index_path(join_path(path, "keyframes"), k), "frame"), "outside the shot's frames");
    previous_end = shot.end_frame;
  }
}

}  // namespace

json Timeline::to_json(bool include_evaluated) const {
  json shots_json = json::array();
  std::vector<ShotPictures> pictures;
  if (planned) pictures = shot_pictures(*this);
  for (std::size_t i = 0; i < shots.size(); ++i)
    shots_json.push_back(shot_to_json(shots[i], fps, i < pictures.size() ? &pictures[i] : nullptr));
  json out = {
      {"version", version},
      {"title", title},
      {"fps", fps},
      {"width", width},
      {"height", height},
      {"frame_count", frame_count},
      {"manuscript", {{"file", manuscript.file}, {"format", manuscript.format}}},
      {"parameters", parameters_to_json(parameters)},
      {"planned", planned},
      {"borrow_seconds", borrow_seconds},
      {"shots", std::move(shots_json)},
      {"warnings", warnings},
  };
  if (planned) out["pictures"] = summarize(pictures).to_json();
  if (include_evaluated) out["evaluated"] = evaluated_to_json(*this);
  return out;
}

Timeline Timeline::from_json(const json& document) {
  expect_object(document, "");
  Timeline timeline;
  const std::int64_t version = read_int(required(document, "version", ""), "version");
  if (version != kTimelineVersion)
    fail("version", "unsupported timeline version " + std::to_string(version) + " (this build reads version " +
                        std::to_string(kTimelineVersion) + ")");
  timeline.version = static_cast<int>(version);
  timeline.fps = read_number(required(document, "fps", ""), "fps");
  if (timeline.fps <= 0 || timeline.fps > 1000) fail("fps", "must be above 0 and at most 1000");
  const std::int64_t width = read_int(required(document, "width", ""), "width");
  const std::int64_t height = read_int(required(document, "height", ""), "height");
  if (width < 1 || width > 16384) fail("width", "must be 1 .. 16384");
  if (height < 1 || height > 16384) fail("height", "must be 1 .. 16384");
  timeline.width = static_cast<int>(width);
  timeline.height = static_cast<int>(height);
  timeline.frame_count = read_int(required(document, "frame_count", ""), "frame_count");
  if (timeline.frame_count < 1) fail("frame_count", "must be at least 1");
  if (const json* title = optional(document, "title")) timeline.title = read_string(*title, "title");
  if (const json* manuscript = optional(document, "manuscript")) {
    expect_object(*manuscript, "manuscript");
    if (const json* file = optional(*manuscript, "file")) timeline.manuscript.file = read_string(*file, "manuscript.file");
    if (const json* format = optional(*manuscript, "format")) timeline.manuscript.format = read_string(*format, "manuscript.format");
    if (!one_of(timeline.manuscript.format, {"", "fountain", "srt", "webvtt", "text"}))
      fail("manuscript.format", "expected fountain, srt, webvtt or text, not " + quoted_excerpt(timeline.manuscript.format));
  }
  if (const json* parameters = optional(document, "parameters")) timeline.parameters = read_parameters(*parameters, "parameters");
  if (const json* planned = optional(document, "planned")) timeline.planned = read_bool(*planned, "planned");
  if (const json* borrow = optional(document, "borrow_seconds")) {
    timeline.borrow_seconds = read_number(*borrow, "borrow_seconds");
    if (timeline.borrow_seconds < 0 || timeline.borrow_seconds > 3600) fail("borrow_seconds", "must be 0 .. 3600");
  }
  timeline.warnings = read_array<std::string>(document, "warnings", "", read_string);
  const json& shots = required(document, "shots", "");
  expect_array(shots, "shots");
  for (std::size_t i = 0; i < shots.size(); ++i) timeline.shots.push_back(read_shot(shots[i], index_path("shots", i)));
  check_frames(timeline);
  return timeline;
}

nlohmann::json shot_description_json(const Shot& shot) {
  return {{"kind", std::string(to_string(shot.kind))},
          {"text", shot.text},
          {"raw_text", shot.raw_text},
          {"character", shot.character},
          {"scene", shot.scene},
          {"source_line", shot.source_line},
          {"start_frame", shot.start_frame},
          {"end_frame", shot.end_frame}};
}

}  // namespace palimpsest
