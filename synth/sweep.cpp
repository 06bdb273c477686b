#include "synth/sweep.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "indexer/files/atomic_file.h"
#include "indexer/media/image_codec.h"
#include "schema/catalog_json.h"
#include "synth/contact_sheet.h"
#include "synth/film_language.h"
#include "synth/film_maker.h"
#include "synth/frame_renderer.h"
#include "synth/timeline_plans.h"

namespace fs = std::filesystem;

namespace palimpsest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSheetCellWidth = 160;
constexpr std::size_t kLabelValueChars = 32;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(trim(s));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (true) {
    const std::size_t at = text.find(separator);
    out.emplace_back(trim(text.substr(0, at)));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string v = lower(text);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return std::nullopt;
}

// The one spelling of an axis name: a parameter's canonical name for its aliases.
std::string canonical_name(std::string_view name) {
  const std::string key = lower(name);
  if (const auto parameter = parse_parameter(key)) return std::string(parameter_name(*parameter));
  if (key == "seed_behavior" || key == "seed_behaviour") return "seed_mode";
  if (key == "invert") return "invert_keyframes";
  return key;
}

// Checks one value of an axis; throws SweepError naming the parameter.
void check_value(const std::string& name, const std::string& value) {
  if (value.empty()) throw SweepError("--vary " + name + ": an empty value");
  if (name == "denoiser") {
    if (!parse_denoiser_kind(lower(value)))
      throw SweepError("--vary denoiser: expected global, local or local_windowed, not \"" + value + "\"");
    return;
  }
  if (name == "invert_keyframes") {
    if (!parse_bool(value)) throw SweepError("--vary invert_keyframes: expected true or false, not \"" + value + "\"");
    return;
  }
  ParameterSet probe;
  try {
    if (!set_parameter(probe, name, value))
      throw SweepError("--vary " + name +
                       ": not a parameter (a timeline parameter such as guidance, cadence, fov, zoom, "
                       "guidance_mode, guidance_curve, abstraction, chaos, or denoiser, invert_keyframes)");
  } catch (const ParameterError& e) {
    throw SweepError("--vary " + name + ": " + e.message);
  } catch (const ScheduleError& e) {
    throw SweepError("--vary " + name + ": " + e.problem() + " at position " + std::to_string(e.position()) +
                     " in \"" + e.input() + "\"");
  }
}

// The timeline with `name` set to `value` film-wide and taken out of every shot's settings.
void apply_value(Timeline& timeline, const std::string& name, const std::string& value, RenderSettings& settings,
                 bool& invert) {
  if (name == "denoiser") {
    settings.denoiser = *parse_denoiser_kind(lower(value));
    return;
  }
  if (name == "invert_keyframes") {
    invert = *parse_bool(value);
    return;
  }
  ParameterSet probe;
  set_parameter(probe, name, value);
  auto clear = [&](ParameterSet& set) {
    for (const auto& [parameter, schedule] : probe.schedules) set.schedules.erase(parameter);
    if (probe.seed_mode) set.seed_mode.reset();
    if (probe.init) set.init.reset();
    if (probe.guidance_mode) set.guidance_mode.reset();
    if (probe.guidance_curve) set.guidance_curve.reset();
    if (name == "chaos") set.chaos.clear();
  };
  for (Shot& shot : timeline.shots) clear(shot.parameters);
  set_parameter(timeline.parameters, name, value);
}

// Index of the first plan of the sequence holding plans[i].
std::size_t sequence_start(const std::vector<FramePlan>& plans, std::size_t i) {
  while (i > 0 && !plans[i].restart) --i;
  return i;
}

// The last plan the renderer must reach for plans[f] to come out as in a whole render: the end
// of f's cadence block (FrameRenderer: a sequence's first frame alone, then blocks of `cadence`
// frames read from each block's first plan, cut at the sequence's end).
std::size_t block_end(const std::vector<FramePlan>& plans, std::size_t f) {
  const std::size_t start = sequence_start(plans, f);
  if (f == start) return f;
  std::size_t i = start + 1;
  while (true) {
    std::size_t j = i;
    while (j + 1 < plans.size() && static_cast<int>(j + 1 - i) < plans[i].params.cadence && !plans[j + 1].restart) ++j;
    if (f <= j) return j;
    i = j + 1;
  }
}

struct Range {
  std::size_t first = 0, last = 0;  // plans indices, inclusive
};

// Ranges to render so that every sheet frame comes out as in a whole render: per sequence, from
// its start to the furthest block end it needs.
std::vector<Range> ranges_for(const std::vector<FramePlan>& plans, const std::vector<std::int64_t>& frames) {
  std::map<std::size_t, std::size_t> ends;
  for (std::int64_t f : frames) {
    const std::size_t i = static_cast<std::size_t>(f);
    const std::size_t start = sequence_start(plans, i);
    ends[start] = std::max(ends[start], block_end(plans, i));
  }
  std::vector<Range> out;
  for (const auto& [first, last] : ends) out.push_back({first, last});
  return out;
}

// Fault injection for crash tests: with PALIMPSEST_CRASH_AT_SWEEP_FRAME=N the process kills itself
// (SIGKILL, as `kill -9`) after the N-th frame PNG this process writes (from 1) and before its
// JSON, the spot where a resumed sweep must not take the PNG alone for a finished frame.
void crash_point_after_sweep_frame() {
  static const long long crash_at = [] {
    const char* v = std::getenv("PALIMPSEST_CRASH_AT_SWEEP_FRAME");
    return v ? std::atoll(v) : -1LL;
  }();
  static long long written = 0;
  if (crash_at > 0 && ++written == crash_at) ::kill(::getpid(), SIGKILL);
}

std::string frame_json_name(std::int64_t frame) {
  std::string name = frame_file_name(frame);
  return name.substr(0, name.size() - 4) + ".json";
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::optional<double> metric_of(const nlohmann::json& metrics, const char* key) {
  if (!metrics.is_object() || !metrics.contains(key) || !metrics[key].is_number()) return std::nullopt;
  return metrics[key].get<double>();
}

FrameMetrics metrics_from_json(const nlohmann::json& j) {
  return {metric_of(j, "clip_score"), metric_of(j, "flicker"), metric_of(j, "top_share"), metric_of(j, "entropy"),
          metric_of(j, "novelty")};
}

std::string short_number(const std::optional<double>& v) {
  if (!v) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", *v);
  return text;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The sheet's columns by default: the first, middle and last frame of every chosen shot.
std::vector<std::int64_t> default_frames(const Timeline& timeline, const std::set<int>& shots) {
  std::set<std::int64_t> frames;
  for (const Shot& s : timeline.shots) {
    if (!shots.empty() && !shots.count(s.index)) continue;
    frames.insert({s.start_frame, (s.start_frame + s.end_frame - 1) / 2, s.end_frame - 1});
  }
  return {frames.begin(), frames.end()};
}

}  // namespace

SweepAxis parse_vary(std::string_view text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || trim(text.substr(0, eq)).empty())
    throw SweepError("--vary expects NAME=VALUE,VALUE..., not \"" + std::string(text) + "\"");
  SweepAxis axis;
  axis.name = canonical_name(text.substr(0, eq));
  const std::string_view values = text.substr(eq + 1);
  // Several values are split at `|` when there is one, else at commas; but a schedule's keys are
  // written with commas too ("0:(0), 80:(1)"), so a value with key syntax and no `|` is one value.
  if (values.find('|') != std::string_view::npos) axis.values = split(values, '|');
  else if (values.find('(') != std::string_view::npos) axis.values = {std::string(trim(values))};
  else axis.values = split(values, ',');
  std::set<std::string> seen;
  for (const std::string& value : axis.values) {
    check_value(axis.name, value);
    if (!seen.insert(value).second) throw SweepError("--vary " + axis.name + ": the value \"" + value + "\" is repeated");
  }
  return axis;
}

void check_axes(const std::vector<SweepAxis>& axes) {
  if (axes.empty()) throw SweepError("a sweep needs at least one --vary");
  std::set<std::string> names;
  for (const SweepAxis& a : axes)
    if (!names.insert(a.name).second) throw SweepError("--vary " + a.name + " is given twice");
}

std::vector<std::int64_t> parse_frame_list(std::string_view text) {
  std::vector<std::int64_t> frames;
  for (const std::string& item : split(text, ',')) {
    std::int64_t f = -1;
    const auto r = std::from_chars(item.data(), item.data() + item.size(), f);
    if (item.empty() || r.ec != std::errc() || r.ptr != item.data() + item.size() || f < 0)
      throw SweepError("--frames: \"" + item + "\" is not a frame number (0, 1, 2, ...)");
    frames.push_back(f);
  }
  std::sort(frames.begin(), frames.end());
  frames.erase(std::unique(frames.begin(), frames.end()), frames.end());
  return frames;
}

std::vector<int> parse_shot_list(std::string_view text) {
  std::set<int> shots;
  auto number = [&](std::string_view s) {
    s = trim(s);
    int n = -1;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || n < 0)
      throw SweepError("--shots: \"" + std::string(s) + "\" is not a shot number (shots count from 0)");
    return n;
  };
  for (const std::string& item : split(text, ',')) {
    const std::size_t dash = item.find('-', 1);
    if (dash == std::string::npos) {
      shots.insert(number(item));
      continue;
    }
    const int from = number(std::string_view(item).substr(0, dash)), to = number(std::string_view(item).substr(dash + 1));
    if (to < from) throw SweepError("--shots: the range " + item + " runs backwards");
    for (int s = from; s <= to; ++s) shots.insert(s);
  }
  return {shots.begin(), shots.end()};
}

nlohmann::json sweep_spec_json(const SweepSpec& spec) {
  nlohmann::json axes = nlohmann::json::array();
  for (const SweepAxis& a : spec.axes) axes.push_back({{"name", a.name}, {"values", a.values}});
  return {{"axes", axes}, {"frames", spec.frames}, {"shots", spec.shots}};
}

SweepSpec sweep_spec_from_json(const nlohmann::json& document) {
  SweepSpec spec;
  try {
    for (const auto& a : document.at("axes")) {
      std::string text = a.at("name").get<std::string>() + "=";
      const auto values = a.at("values").get<std::vector<std::string>>();
      bool commas = false;
      for (const std::string& v : values) commas |= v.find(',') != std::string::npos;
      for (std::size_t i = 0; i < values.size(); ++i) text += (i ? (commas ? "|" : ",") : "") + values[i];
      spec.axes.push_back(parse_vary(text));
    }
    spec.frames = document.value("frames", std::vector<std::int64_t>{});
    spec.shots = document.value("shots", std::vector<int>{});
  } catch (const nlohmann::json::exception& e) {
    throw SweepError(std::string("not a sweep: ") + e.what());
  }
  return spec;
}

SweepResult run_sweep(Catalog& catalog, const Timeline& timeline, const SweepSpec& spec, const SweepOptions& options) {
  const auto started = Clock::now();
  check_axes(spec.axes);
  const std::set<int> shots(spec.shots.begin(), spec.shots.end());
  for (int s : shots)
    if (s >= static_cast<int>(timeline.shots.size()))
      throw SweepError("--shots: the film has " + std::to_string(timeline.shots.size()) + " shots (0 .. " +
                       std::to_string(timeline.shots.size() - 1) + "), not " + std::to_string(s));
  std::vector<std::int64_t> frames = spec.frames.empty() ? default_frames(timeline, shots) : spec.frames;
  for (std::int64_t f : frames) {
    if (f >= timeline.frame_count)
      throw SweepError("--frames: the film has " + std::to_string(timeline.frame_count) + " frames (0 .. " +
                       std::to_string(timeline.frame_count - 1) + "), not " + std::to_string(f));
    const Shot* shot = timeline.shot_at(f);
    if (!shots.empty() && (!shot || !shots.count(shot->index)))
      throw SweepError("--frames: frame " + std::to_string(f) + " is not in the chosen --shots");
  }
  if (frames.empty()) throw SweepError("the sweep has no frames to show");

  // Every combination of the axes' values, the last axis varying fastest.
  std::vector<std::vector<std::pair<std::string, std::string>>> combinations(1);
  for (const SweepAxis& axis : spec.axes) {
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& partial : combinations)
      for (const std::string& value : axis.values) {
        next.push_back(partial);
        next.back().emplace_back(axis.name, value);
      }
    combinations = std::move(next);
  }

  FilmLanguage language(catalog, options.clip_model);
  std::map<std::int64_t, std::optional<RecordKind>> kinds;
  const RecordKindLookup kind_of = [&](std::int64_t id) -> std::optional<RecordKind> {
    auto found = kinds.find(id);
    if (found == kinds.end()) {
      const auto r = catalog.record(id);
      found = kinds.emplace(id, r ? std::optional<RecordKind>(r->kind) : std::nullopt).first;
    }
    return found->second;
  };

  // Plans of every combination first: a value the timeline cannot draw fails before rendering.
  struct Work {
    std::vector<FramePlan> plans;
    RenderSettings settings;
    std::vector<Range> ranges;
    fs::path dir;
    nlohmann::json identity;
  };
  std::vector<Work> work;
  SweepProgress progress;
  progress.combinations = static_cast<int>(combinations.size());
  const std::string base = std::to_string(std::hash<std::string>{}(json_text(timeline.to_json(false))));
  for (std::size_t c = 0; c < combinations.size(); ++c) {
    Work w;
    Timeline variant = timeline;
    w.settings = options.settings;
    w.settings.width = timeline.width;
    w.settings.height = timeline.height;
    w.settings.attribution_maps = false;
    bool invert = options.invert_keyframes;
    nlohmann::json parameters = nlohmann::json::object();
    for (const auto& [name, value] : combinations[c]) {
      apply_value(variant, name, value, w.settings, invert);
      parameters[name] = value;
    }
    try {
      w.plans = frame_plans(variant, kind_of);
    } catch (const std::invalid_argument& e) {
      throw SweepError("the film cannot be drawn with " + json_text(parameters) + ": " + e.what());
    }
    language.attach(variant, w.plans);
    if (invert)
      for (FramePlan& plan : w.plans)
        if (plan.blend) plan.blend->invert = true;
    w.ranges = ranges_for(w.plans, frames);
    w.identity = {{"timeline", base},
                  {"parameters", parameters},
                  {"denoiser", to_string(w.settings.denoiser)},
                  {"invert_keyframes", invert},
                  {"clip_model", language.fingerprint()},
                  {"width", w.settings.width},
                  {"height", w.settings.height}};
    char name[64];
    std::snprintf(name, sizeof name, "c%02zu-%016zx", c, std::hash<std::string>{}(json_text(w.identity)));
    w.dir = options.out_dir / name;
    for (const Range& r : w.ranges) progress.frame_total += static_cast<std::int64_t>(r.last - r.first + 1);
    work.push_back(std::move(w));
  }

  fs::create_directories(options.out_dir);
  FilmMeter meter = language.meter();
  const RecordImageSource record_image = catalog_record_images(catalog);
  SweepResult result;
  result.frames = frames;
  auto done = [](const fs::path& dir, std::int64_t f) {
    return fs::is_regular_file(dir / "frames" / frame_file_name(f)) && fs::is_regular_file(dir / "frames" / frame_json_name(f));
  };
  // Frames an earlier run finished count as done from the start.
  for (const Work& w : work)
    if (read_json(w.dir / "identity.json") == w.identity)
      for (const Range& r : w.ranges)
        for (std::size_t i = r.first; i <= r.last; ++i) progress.frames_done += done(w.dir, w.plans[i].frame) ? 1 : 0;
  progress.stage = "frames";
  if (options.progress) options.progress(progress);

  for (std::size_t c = 0; c < work.size(); ++c) {
    Work& w = work[c];
    progress.combination = static_cast<int>(c);
    if (read_json(w.dir / "identity.json") != w.identity) {
      fs::remove_all(w.dir);  // another sweep's frames under this name
      fs::create_directories(w.dir / "frames");
      write_file_atomically(w.dir / "identity.json", json_text(w.identity, 1) + "\n");
    }
    SweepCombination combination;
    combination.parameters = combinations[c];
    combination.directory = w.dir;
    const nlohmann::json before = read_json(w.dir / "combination.json");
    double seconds = before.is_object() ? before.value("render_seconds_partial", 0.0) : 0.0;
    FrameRenderer renderer(w.settings, record_image);
    renderer.set_language_model(language.encoder());
    for (const Range& range : w.ranges) {
      bool complete = true;
      for (std::size_t i = range.first; i <= range.last && complete; ++i) complete = done(w.dir, w.plans[i].frame);
      if (complete) continue;
      const std::vector<FramePlan> todo(w.plans.begin() + static_cast<std::ptrdiff_t>(range.first),
                                        w.plans.begin() + static_cast<std::ptrdiff_t>(range.last) + 1);
      std::optional<RgbImage> previous;
      auto tick = Clock::now();
      renderer.render(todo, [&](RenderedFrame&& frame) {
        if (options.cancelled && options.cancelled()) throw FilmCancelled();
        seconds += std::chrono::duration<double>(Clock::now() - tick).count();
        const FramePlan& plan = w.plans[static_cast<std::size_t>(frame.frame)];
        if (plan.restart) previous.reset();
        if (!done(w.dir, frame.frame)) {
          const FrameMetrics metrics = meter.measure(frame.image, frame.provenance, plan, previous ? &*previous : nullptr);
          nlohmann::json entries = nlohmann::json::array();
          double language_share = 0;
          for (const ProvenanceEntry& e : frame.provenance.entries) {
            entries.push_back({{"record_id", e.record_id}, {"role", to_string(e.role)}, {"weight", e.weight}});
            if (e.role == ProvenanceRole::language) language_share += e.weight;
          }
          const Shot* shot = timeline.shot_at(frame.frame);
          const nlohmann::json record = {{"frame", frame.frame},
                                         {"shot", shot ? shot->index : -1},
                                         {"diffused", frame.provenance.diffused},
                                         {"language", language_share},
                                         {"metrics", metrics_json(metrics)},
                                         {"entries", entries}};
          write_file_atomically(w.dir / "frames" / frame_file_name(frame.frame), encode_png(frame.image));
          crash_point_after_sweep_frame();
          write_file_atomically(w.dir / "frames" / frame_json_name(frame.frame), json_text(record) + "\n");
          ++combination.frames_rendered;
          ++progress.frames_done;
          write_file_atomically(w.dir / "combination.json",
                                nlohmann::json{{"render_seconds_partial", seconds}}.dump() + "\n");
          if (options.progress) options.progress(progress);
        }
        previous = std::move(frame.image);
        tick = Clock::now();
      });
    }
    // The combination's metrics: means over every frame rendered for it.
    std::vector<FrameMetrics> all;
    for (const Range& range : w.ranges)
      for (std::size_t i = range.first; i <= range.last; ++i) {
        const nlohmann::json j = read_json(w.dir / "frames" / frame_json_name(w.plans[i].frame));
        if (j.is_object()) all.push_back(metrics_from_json(j["metrics"]));
      }
    combination.frames = static_cast<std::int64_t>(all.size());
    combination.metrics = mean_metrics(all);
    combination.render_seconds = seconds;
    nlohmann::json parameters = nlohmann::json::object();
    for (const auto& [name, value] : combination.parameters) parameters[name] = value;
    write_file_atomically(w.dir / "combination.json",
                          nlohmann::json{{"parameters", parameters},
                                         {"metrics", metrics_json(combination.metrics)},
                                         {"frames", combination.frames},
                                         {"render_seconds_partial", seconds}}
                                  .dump(1) +
                              "\n");
    result.combinations.push_back(std::move(combination));
  }

  progress.stage = "sheet";
  if (options.progress) options.progress(progress);
  std::vector<std::string> columns;
  for (std::int64_t f : frames) columns.push_back("frame " + std::to_string(f));
  std::vector<SheetRow> rows;
  for (std::size_t c = 0; c < work.size(); ++c) {
    SheetRow row;
    for (const auto& [name, value] : result.combinations[c].parameters)
      row.label.push_back(name + "=" + (value.size() > kLabelValueChars ? value.substr(0, kLabelValueChars - 3) + "..." : value));
    const FrameMetrics& m = result.combinations[c].metrics;
    row.label.push_back("clip " + short_number(m.clip_score) + " flicker " + short_number(m.flicker));
    for (std::int64_t f : frames) {
      std::ifstream in(work[c].dir / "frames" / frame_file_name(f), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      row.cells.push_back(bytes.empty() ? RgbImage() : decode_image_bytes(bytes));
    }
    rows.push_back(std::move(row));
  }
  result.sheet = options.out_dir / "sheet.png";
  write_file_atomically(result.sheet, encode_png(contact_sheet(columns, rows, kSheetCellWidth)));
  result.warnings = language.warnings();
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();

  result.json = options.out_dir / "sweep.json";
  result.csv = options.out_dir / "sweep.csv";
  write_file_atomically(result.json, json_text(sweep_result_json(result), 1) + "\n");
  std::string csv = "combination";
  for (const SweepAxis& a : spec.axes) csv += "," + csv_field(a.name);
  csv += ",clip_score,flicker,top_share,entropy,novelty,frames,render_seconds\n";
  for (std::size_t c = 0; c < result.combinations.size(); ++c) {
    const SweepCombination& comb = result.combinations[c];
    csv += std::to_string(c);
    for (const auto& [name, value] : comb.parameters) csv += "," + csv_field(value);
    for (const auto& v : {comb.metrics.clip_score, comb.metrics.flicker, comb.metrics.top_share, comb.metrics.entropy,
                          comb.metrics.novelty})
      csv += "," + (v ? json_text(nlohmann::json(*v)) : std::string());
    csv += "," + std::to_string(comb.frames) + "," + json_text(nlohmann::json(comb.render_seconds)) + "\n";
  }
  write_file_atomically(result.csv, csv);
  progress.stage = "done";
  if (options.progress) options.progress(progress);
  return result;
}

nlohmann::json sweep_result_json(const SweepResult& result) {
  nlohmann::json combinations = nlohmann::json::array();
  for (const SweepCombination& c : result.combinations) {
    nlohmann::json parameters = nlohmann::json::object();
    for (const auto& [name, value] : c.parameters) parameters[name] = value;
    combinations.push_back({{"parameters", parameters},
                            {"metrics", metrics_json(c.metrics)},
                            {"frames", c.frames},
                            {"render_seconds", c.render_seconds},
                            {"directory", c.directory.string()}});
  }
  return {{"sheet", result.sheet.string()}, {"json", result.json.string()},  {"csv", result.csv.string()},
          {"frames", result.frames},        {"combinations", combinations}, {"warnings", result.warnings},
          {"seconds", result.seconds}};
}

}  // namespace palimpsest
