#pragma once
// Parameter sweeps: one planned film rendered under every combination of a few parameters' values,
// side by side, so that filmmakers can study what a parameter does (the five variability paths:
// frame-skip and spacing - cadence; the 3D field of view - fov; language-guidance ratios -
// guidance, guidance_curve, guidance_mode; keyframe organisation - invert_keyframes, abstraction;
// camera transforms - zoom, angle, translation_*, rotation_3d_*). `palimpsest sweep` and the
// API's sweep jobs run it. No libtorch in this header.
//
// - Axes: `--vary NAME=V1,V2,...`: NAME is any timeline parameter, alias or choice
//   (retrieval/timeline/parameters.h: guidance, cadence, fov, seed_mode, guidance_mode,
//   guidance_curve, chaos, abstraction...) or one of the render settings `denoiser` and
//   `invert_keyframes` (true / false). Values are split at commas, or at `|` when a value holds
//   commas itself (schedules: "0:(1), 100:(0.2)|0.5"); a lone schedule written with keys
//   ("0:(0), 80:(1)", no `|`) is one value. Every value is checked before anything is
//   rendered; a bad one is refused naming the parameter. A varied parameter replaces the film's
//   and every shot's setting of it.
// - Frames: the sheet's columns (film frame numbers); by default the first, middle and last frame
//   of every chosen shot. `shots` restricts the defaults and the frames allowed. For each frame
//   its sequence (shot) is rendered from its first frame to the end of the frame's cadence block,
//   so a frame is exactly the frame `make` renders for the same settings.
// - Plan reused: the planned timeline is given; every combination renders it.
// - Output (out_dir): c<NN>-<hash>/ per combination (frames/NNNNNN.png, frames/NNNNNN.json with
//   the frame's metrics, combination.json when it is whole), sheet.png (rows = combinations,
//   columns = frames, labelled with the values and the mean CLIP score and flicker), sweep.json
//   and sweep.csv (the metrics per combination: means over every frame rendered for it).
// - Resumable: a frame is done when its PNG and its JSON exist (both written whole-or-nothing);
//   an interrupted sweep (even kill -9) run again renders only the sequences with missing frames
//   and gives the same files as an uninterrupted one (PALIMPSEST_CRASH_AT_SWEEP_FRAME=N kills the
//   process after its N-th frame PNG, before that frame's JSON, for the crash test).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "retrieval/timeline/timeline.h"
#include "schema/catalog.h"
#include "schema/error.h"
#include "synth/render_settings.h"

namespace palimpsest {

// A malformed --vary, --frames or --shots (exit 2, HTTP 400), naming the parameter or value.
class SweepError : public Error {
 public:
  explicit SweepError(const std::string& message) : Error(message, error_class::bad_request) {}
};

struct SweepAxis {
  std::string name;                 // canonical: "guidance" for "cfg"
  std::vector<std::string> values;  // as given, each checked
};

// "guidance=0,3,7" -> {"guidance", {"0", "3", "7"}}. Throws SweepError.
SweepAxis parse_vary(std::string_view text);
// Throws SweepError for no axes or an axis named twice.
void check_axes(const std::vector<SweepAxis>& axes);
// "0,24,48" -> frames; throws SweepError.
std::vector<std::int64_t> parse_frame_list(std::string_view text);
// "0-2", "3", "0,2,5" -> shot indices; throws SweepError.
std::vector<int> parse_shot_list(std::string_view text);

struct SweepSpec {
  std::vector<SweepAxis> axes;       // at least one; names distinct
  std::vector<std::int64_t> frames;  // empty: the defaults above
  std::vector<int> shots;            // empty: every shot
};
nlohmann::json sweep_spec_json(const SweepSpec& spec);
// Throws SweepError for a document that is not one sweep_spec_json wrote (or a bad value in it).
SweepSpec sweep_spec_from_json(const nlohmann::json& document);

struct SweepCombination {
  std::vector<std::pair<std::string, std::string>> parameters;  // axis name -> value, in axis order
  FrameMetrics metrics;               // means over the frames rendered for it
  std::filesystem::path directory;
  std::int64_t frames = 0;            // rendered for it (this run or earlier ones)
  std::int64_t frames_rendered = 0;   // by this run
  double render_seconds = 0;          // rendering its frames, over every run that did
};

struct SweepProgress {
  std::int64_t frames_done = 0;  // over all combinations, reused ones included
  std::int64_t frame_total = 0;
  int combination = 0;           // the one rendering now (0-based)
  int combinations = 0;
  std::string stage;             // "frames", "sheet", "done"
};

struct SweepOptions {
  std::filesystem::path out_dir;
  RenderSettings settings;         // size comes from the timeline
  bool invert_keyframes = false;
  std::filesystem::path clip_model;  // the film's model (synth/film_language.h); empty: the default
  std::function<void(const SweepProgress&)> progress;
  std::function<bool()> cancelled;   // polled between frames; FilmCancelled when true
};

struct SweepResult {
  std::filesystem::path sheet, json, csv;
  std::vector<std::int64_t> frames;  // the sheet's columns
  std::vector<SweepCombination> combinations;
  std::vector<std::string> warnings;
  double seconds = 0;
};

// Renders `timeline` (planned) under every combination of `spec` into options.out_dir. Throws
// SweepError for frames or shots outside the film, and what rendering throws.
SweepResult run_sweep(Catalog& catalog, const Timeline& timeline, const SweepSpec& spec, const SweepOptions& options);

// {"sheet", "json", "csv", "frames", "combinations": [{"parameters": {...}, "metrics": {...},
// "frames", "render_seconds", "directory"}], "warnings"}: what `sweep --json` prints and the API
// returns.
nlohmann::json sweep_result_json(const SweepResult& result);

}  // namespace palimpsest
