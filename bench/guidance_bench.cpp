// Language guidance on the demo film: for guidance 0, record-level guidance (guidance_mode
// records) and pixel-level CLIP guidance (guidance_mode clip), the mean CLIP score of the frames
// against their shot's text and the mean flicker (synth/film_metrics.h), and the render time of
// each, measured in the same run on the same planned film with the embedded palimpsest-tiny.
// Guidance 0 is the baseline: the targets (issue 16) are clip mode >= +0.05 CLIP score over it,
// flicker <= +20 %, render time <= 2x.
//
//   build/bench/guidance_bench [--out DIR] [--size 320x192] [--shots 0-6] [--guidance 7]
//                              [--denoiser local] [--repeat 1] [--curve SCHEDULE]
//
// --curve adds a fourth configuration: clip mode with that guidance_curve (e.g. "0:(1), 50:(0)",
// guided in the first half of each frame's steps only), reported against the same baseline.
//
// The demo archive is generated, ingested and embedded into DIR on the first run (as
// `palimpsest demo` does) and reused after. Each configuration renders every frame of the chosen
// shots (a sweep whose sheet shows each shot's last frame), in the order baseline, records, clip,
// repeated --repeat times in turn; times are wall and process CPU seconds (on a shared machine
// the CPU time is the fairer ratio).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/model_location.h"
#include "indexer/demo/demo_archive.h"
#include "indexer/ingest/embedding_pass.h"
#include "indexer/ingest/ingester.h"
#include "retrieval/film_planning.h"
#include "retrieval/timeline/manuscript.h"
#include "schema/embedded_file.h"
#include "schema/film_store.h"
#include "synth/sweep.h"

using namespace palimpsest;
namespace fs = std::filesystem;

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

struct Config {
  const char* name;
  std::string guidance;
  std::string mode;
  double clip = 0, flicker = 0, wall = 0, cpu = 0;
  int runs = 0;
};

}  // namespace

int main(int argc, char** argv) {
  fs::path out = fs::temp_directory_path() / "palimpsest-guidance-bench";
  std::string size = "320x192", shots, guidance = "7", denoiser = "local";
  int repeat = 1;
  std::string curve;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--out") out = value;
    else if (flag == "--size") size = value;
    else if (flag == "--shots") shots = value;
    else if (flag == "--guidance") guidance = value;
    else if (flag == "--denoiser") denoiser = value;
    else if (flag == "--repeat") repeat = std::max(1, std::stoi(value));
    else if (flag == "--curve") curve = value;
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  fs::create_directories(out);  // the first run makes the folder
  const fs::path db = out / "palimpsest.db";
  Catalog catalog(db);
  const auto model_dir = default_model_dir();
  if (!model_dir) {
    std::cerr << "no palimpsest-tiny found\n";
    return 1;
  }
  if (catalog.records(RecordFilter{}).empty()) {
    std::cerr << "generating, ingesting and embedding the demo archive in " << out << "\n";
    demo::write_demo_archive(out / "archive", demo::DemoArchiveOptions{});
    IngestOptions ingest;
    ingest.archive = "demo";
    Ingester(catalog, ingest).run({out / "archive"});
    auto encoder = ClipEncoder::load(*model_dir);
    embed_missing_records(catalog, *encoder);
  }
  TimelineOptions options;
  if (std::sscanf(size.c_str(), "%dx%d", &options.width, &options.height) != 2) return 2;
  const EmbeddedFile& script = embedded_demo_files().front();
  PlanningModel model = load_planning_model(catalog, std::nullopt);
  PlannedFilm planned = plan_film(catalog, plan_shots(script.content, ManuscriptFormat::fountain, options, std::string(script.name)),
                                  std::string(script.name), model.encoder.get(), model.index.get(), model.model_id);
  const Timeline& timeline = planned.timeline;

  SweepSpec base;
  if (!shots.empty()) base.shots = parse_shot_list(shots);
  for (const Shot& s : timeline.shots)
    if (base.shots.empty() || std::count(base.shots.begin(), base.shots.end(), s.index)) base.frames.push_back(s.end_frame - 1);

  std::vector<Config> configs = {{"guidance 0 (baseline)", "0", "records"},
                                 {"record-level", guidance, "records"},
                                 {"clip mode", guidance, "clip"}};
  if (!curve.empty()) configs.push_back({"clip mode, --curve", guidance, "clip"});
  std::printf("demo film %lld: %zu shots, %lld frames at %dx%d, palimpsest-tiny, denoiser %s, guidance %s\n",
              static_cast<long long>(planned.film_id), timeline.shots.size(), static_cast<long long>(timeline.frame_count),
              timeline.width, timeline.height, denoiser.c_str(), guidance.c_str());
  for (int r = 0; r < repeat; ++r) {
    for (std::size_t c = 0; c < configs.size(); ++c) {
      SweepSpec spec = base;
      spec.axes = {parse_vary("guidance=" + configs[c].guidance), parse_vary("guidance_mode=" + configs[c].mode)};
      if (c == 3) spec.axes.push_back(SweepAxis{"guidance_curve", {curve}});  // one value, commas and all
      SweepOptions sweep;
      sweep.out_dir = out / ("run" + std::to_string(r) + "-" + std::to_string(c));
      fs::remove_all(sweep.out_dir);  // render every frame each time
      sweep.settings.denoiser = *parse_denoiser_kind(denoiser);
      const double cpu0 = cpu_seconds();
      const auto t0 = std::chrono::steady_clock::now();
      const SweepResult result = run_sweep(catalog, timeline, spec, sweep);
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const SweepCombination& comb = result.combinations.front();
      configs[c].clip += comb.metrics.clip_score.value_or(0);
      configs[c].flicker += comb.metrics.flicker.value_or(0);
      configs[c].wall += comb.render_seconds;
      configs[c].cpu += cpu_seconds() - cpu0;
      configs[c].runs += 1;
      for (const std::string& w : result.warnings) std::cerr << "warning: " << w << "\n";
      std::fprintf(stderr, "  run %d %-22s %lld frames, %.1f s wall (%.1f s with metrics)\n", r, configs[c].name,
                   static_cast<long long>(comb.frames), comb.render_seconds, wall);
    }
  }
  const Config& b = configs[0];
  std::printf("%-22s %10s %10s %10s %10s %9s %9s\n", "", "clip score", "flicker", "render s", "cpu s", "time x", "cpu x");
  for (const Config& c : configs) {
    const double n = c.runs;
    std::printf("%-22s %10.4f %10.4f %10.1f %10.1f %9.2f %9.2f\n", c.name, c.clip / n, c.flicker / n, c.wall / n,
                c.cpu / n, c.wall / b.wall, c.cpu / b.cpu);
  }
  for (std::size_t c = 2; c < configs.size(); ++c) {
    const Config& clip = configs[c];
    const double gain = (clip.clip - b.clip) / b.runs, flicker = clip.flicker / b.flicker - 1;
    const double time = clip.wall / b.wall, cpu = clip.cpu / b.cpu;
    std::printf("%s vs guidance 0: CLIP score %+.4f (target >= +0.05: %s), flicker %+.1f %% (target <= +20 %%: %s), "
                "render time %.2fx (target <= 2x: %s; CPU %.2fx)\n",
                clip.name, gain, gain >= 0.05 ? "met" : "MISSED", 100 * flicker, flicker <= 0.20 ? "met" : "MISSED",
                time, time <= 2.0 ? "met" : "MISSED", cpu);
  }
  return 0;
}
