// palimpsest sweep MANUSCRIPT --vary NAME=V1,V2 [--vary ...] : render the planned film under every
// combination of the values and lay the chosen frames side by side in a labelled contact sheet,
// with the film metrics of each combination (synth/sweep.h). Run again after an interruption, it
// resumes.
#include <cstdio>
#include <iostream>

#include "schema/catalog_json.h"
#include "cli/commands/app.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/commands.h"
#include "cli/commands/progress.h"
#include "cli/commands/timeline_arguments.h"
#include "schema/film_store.h"
#include "synth/film_maker.h"
#include "synth/sweep.h"

namespace palimpsest::cli {
namespace {

std::string metric_text(const std::optional<double>& v) {
  if (!v) return "     -";
  char text[16];
  std::snprintf(text, sizeof text, "%6.3f", *v);
  return text;
}

}  // namespace

void register_sweep(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args : FilmArguments {
    std::vector<std::string> vary;
    std::string frames;
    std::string shots;
    std::string out;
    std::string denoiser = "local";
    bool invert = false;
    bool quiet = false;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("sweep", "Render a film under every combination of parameter values, side by side");
  add_film_arguments(*cmd, *args);
  cmd->add_option("--vary", args->vary, "NAME=V1,V2,... (repeatable; values split at | when they hold commas; one schedule with keys is one value)")
      ->required();
  cmd->add_option("--frames", args->frames, "Frames in the sheet, e.g. 0,24,48 (default: first, middle, last of each shot)");
  cmd->add_option("--shots", args->shots, "Shots to sweep, e.g. 0-2 or 1,3 (default: all)");
  cmd->add_option("--out", args->out, "Output folder (default: sweeps/film-<id>-<hash> beside the catalog)");
  cmd->add_option("--denoiser", args->denoiser, "global, local or local_windowed (unless varied)")
      ->check(CLI::IsMember({"global", "local", "local_windowed", "windowed"}))
      ->capture_default_str();
  cmd->add_flag("--invert-keyframes", args->invert, "Interpolate between DDIM inversions of the keyframe images");
  cmd->add_flag("-q,--quiet", args->quiet, "Only errors and the final lines");
  cmd->add_flag("--json", args->json, "Print the sheet's path and each combination's metrics as JSON");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      if (!check_film_arguments(*args, "sweep")) return kExitUsage;
      // Every --vary value is checked before anything is planned or rendered.
      SweepSpec spec;
      try {
        for (const std::string& v : args->vary) spec.axes.push_back(parse_vary(v));
        check_axes(spec.axes);
        if (!args->frames.empty()) spec.frames = parse_frame_list(args->frames);
        if (!args->shots.empty()) spec.shots = parse_shot_list(args->shots);
      } catch (const SweepError& e) {
        std::cerr << "palimpsest sweep: " << e.what() << "\n";
        return kExitUsage;
      }
      Catalog catalog(globals.db);
      const bool quiet = args->quiet || args->json;
      const std::optional<std::int64_t> film_id = film_from_arguments(catalog, *args, "sweep", quiet);
      if (!film_id) return kExitUsage;
      const auto film = catalog.films().get(*film_id);
      if (!film || !film->timeline.is_object()) {
        std::cerr << "palimpsest sweep: film " << *film_id << " has no planned timeline\n";
        return kExitFailure;
      }
      SweepOptions options;
      options.settings.denoiser = *parse_denoiser_kind(args->denoiser);
      options.invert_keyframes = args->invert;
      options.clip_model = model_argument(globals.db, args->model).value_or(std::filesystem::path());
      char folder[64];
      std::snprintf(folder, sizeof folder, "film-%lld-%08zx", static_cast<long long>(*film_id),
                    std::hash<std::string>{}(json_text(sweep_spec_json(spec)) + args->denoiser + (args->invert ? "i" : "")) &
                        0xffffffffu);
      options.out_dir = args->out.empty() ? std::filesystem::absolute(catalog.path()).parent_path() / "sweeps" / folder
                                          : std::filesystem::absolute(args->out);
      ProgressLine line(!quiet && ProgressLine::stderr_is_terminal());
      std::int64_t last_logged = -1;
      options.progress = [&](const SweepProgress& p) {
        const double fraction = p.frame_total ? static_cast<double>(p.frames_done) / p.frame_total : 1;
        char text[160];
        std::snprintf(text, sizeof text, "%s frame %lld/%lld  combination %d/%d%s", progress_bar(fraction).c_str(),
                      static_cast<long long>(p.frames_done), static_cast<long long>(p.frame_total),
                      std::min(p.combination + 1, p.combinations), p.combinations,
                      p.stage == "sheet" ? "  drawing the sheet" : "");
        if (line.enabled()) {
          line.update(text, p.stage != "frames");
        } else if (!quiet && (p.stage != "frames" || p.frames_done - last_logged >= 24)) {
          std::cerr << text << "\n";
          last_logged = p.frames_done;
        }
      };
      const SweepResult r = run_sweep(catalog, Timeline::from_json(film->timeline), spec, options);
      line.clear();
      for (const std::string& w : r.warnings) std::cerr << "palimpsest: warning: " << w << "\n";
      if (args->json) {
        std::printf("%s\n", json_text(sweep_result_json(r), 2).c_str());
        return kExitOk;
      }
      std::printf("sweep of film %lld: %zu combinations x %zu frames (%.1f s)\n", static_cast<long long>(*film_id),
                  r.combinations.size(), r.frames.size(), r.seconds);
      std::printf("  sheet:   %s\n  metrics: %s, %s\n", r.sheet.string().c_str(), r.json.string().c_str(),
                  r.csv.string().c_str());
      std::printf("  #   clip  flicker    top  entropy novelty  parameters\n");
      for (std::size_t c = 0; c < r.combinations.size(); ++c) {
        const SweepCombination& comb = r.combinations[c];
        std::string parameters;
        for (const auto& [name, value] : comb.parameters) parameters += (parameters.empty() ? "" : " ") + name + "=" + value;
        std::printf("%3zu %s %s %s %s %s  %s\n", c, metric_text(comb.metrics.clip_score).c_str(),
                    metric_text(comb.metrics.flicker).c_str(), metric_text(comb.metrics.top_share).c_str(),
                    metric_text(comb.metrics.entropy).c_str(), metric_text(comb.metrics.novelty).c_str(),
                    parameters.c_str());
      }
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli
