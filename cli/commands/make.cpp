// palimpsest make MANUSCRIPT : plan the manuscript against the archive and render the film
// (frames, attribution maps, provenance, MP4). Run again after an interruption, it resumes.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/planning_arguments.h"
#include "cli/commands/progress.h"
#include "cli/commands/timeline_arguments.h"
#include "retrieval/film_planning.h"
#include "retrieval/timeline/manuscript.h"
#include "schema/film_store.h"
#include "synth/film_maker.h"

namespace palimpsest::cli {

void register_make(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args {
    std::string manuscript;
    std::int64_t film = 0;
    std::string output;
    std::string out_dir;
    std::string model;
    std::string backend = "archive";
    std::string diffusion_model;
    std::string denoiser = "local";
    std::vector<std::string> schedules;
    double fps = 12;
    std::string size = "320x192";
    int steps = 0;
    std::int64_t seed = -1;
    bool fresh = false;
    bool no_maps = false;
    bool invert = false;
    bool quiet = false;
    PlanningArguments planning;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("make", "Plan a manuscript and render it into a film with provenance");
  cmd->add_option("manuscript", args->manuscript, "Fountain, SRT/WebVTT or plain text");
  cmd->add_option("--film", args->film, "Render (or resume) an already planned film instead");
  cmd->add_option("-o,--output", args->output, "The MP4 to write (default: <film folder>/film.mp4)");
  cmd->add_option("--out-dir", args->out_dir, "Film folder for frames and maps (default: films/<id> beside the catalog)");
  cmd->add_option("--backend", args->backend, "archive (closed-form, exact provenance) or torchscript")
      ->check(CLI::IsMember({"archive", "torchscript"}))
      ->capture_default_str();
  cmd->add_option("--diffusion-model", args->diffusion_model, "Latent diffusion model folder (torchscript backend)");
  cmd->add_option("--denoiser", args->denoiser, "global, local or local_windowed (archive backend; windowed = local_windowed)")
      ->check(CLI::IsMember({"global", "local", "local_windowed", "windowed"}))
      ->capture_default_str();
  cmd->add_option("--schedule", args->schedules, "name=\"0:(0.65), 48:(0.4)\" (repeatable)");
  cmd->add_option("--fps", args->fps, "Frames per second")->capture_default_str()->check(CLI::Range(1.0, 120.0));
  cmd->add_option("--size", args->size, "WIDTHxHEIGHT")->capture_default_str();
  cmd->add_option("--steps", args->steps, "Sampler steps (a film-wide steps schedule)")->check(CLI::Range(1, 1000));
  cmd->add_option("--seed", args->seed, "Seed (a film-wide seed schedule)")->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 53));
  cmd->add_option("--model", args->model, "CLIP model folder (default: palimpsest-tiny)");
  cmd->add_flag("--fresh", args->fresh, "Render every frame again instead of resuming");
  cmd->add_flag("--no-maps", args->no_maps, "Do not write attribution maps");
  cmd->add_flag("--invert-keyframes", args->invert, "Interpolate between DDIM inversions of the keyframe images");
  cmd->add_flag("-q,--quiet", args->quiet, "Only errors and the final line");
  args->planning.add_to(*cmd);
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      if (args->manuscript.empty() == (args->film == 0)) {
        std::cerr << "palimpsest make: give a MANUSCRIPT or --film ID (one of them)\n";
        return kExitUsage;
      }
      if ((args->backend == "torchscript") != !args->diffusion_model.empty()) {
        std::cerr << "palimpsest make: --backend torchscript and --diffusion-model DIR go together\n";
        return kExitUsage;
      }
      Catalog catalog(globals.db);
      std::int64_t film_id = args->film;
      if (!args->manuscript.empty()) {
        TimelineOptions options;
        options.fps = args->fps;
        args->planning.apply_title(options);
        // --steps and --seed are film-wide schedules; a --schedule of the same name replaces them.
        if (args->steps > 0) set_parameter(options.parameters, "steps", "0:(" + std::to_string(args->steps) + ")");
        if (args->seed >= 0) set_parameter(options.parameters, "seed", "0:(" + std::to_string(args->seed) + ")");
        if (auto usage = apply_timeline_arguments(options, args->size, args->schedules)) {
          std::cerr << "palimpsest make: " << *usage << "\n";
          return kExitUsage;
        }
        Timeline timeline = plan_shots(std::filesystem::path(args->manuscript), options);
        const FilmPlanningOptions planning = args->planning.options(catalog);
        PlanningModel model = load_planning_model(
            catalog, args->model.empty() ? std::nullopt : std::optional<std::filesystem::path>(args->model));
        if (!model.dense())
          std::cerr << "palimpsest: note: no embedded records for the model: planning from lexical matches only\n";
        if (model.encoder)
          if (const std::string notice = demo_model_notice(catalog, model.encoder->info().name); !notice.empty())
            std::cerr << "palimpsest: note: " << notice << "\n";
        PlannedFilm planned = plan_film(catalog, std::move(timeline), std::filesystem::absolute(args->manuscript).string(),
                                        model.encoder.get(), model.index.get(), model.model_id, planning);
        film_id = planned.film_id;
        print_planning(planned, stderr);
        if (!args->quiet)
          std::cerr << "film " << film_id << (planned.reused ? " (planned before: resuming)" : " planned") << ": "
                    << planned.timeline.shots.size() << " shots, " << planned.timeline.frame_count << " frames at "
                    << planned.timeline.fps << " fps, " << planned.timeline.width << "x" << planned.timeline.height
                    << ", planning " << static_cast<int>(planned.planning_seconds * 1000) << " ms\n";
      }

      FilmMakeOptions options;
      options.settings.denoiser = *parse_denoiser_kind(args->denoiser);
      if (args->backend == "torchscript") {
        options.backend = SynthesisBackend::torchscript;
        options.diffusion_model = args->diffusion_model;
      }
      options.output_dir = args->out_dir;
      options.video_path = args->output;
      options.fresh = args->fresh;
      options.attribution_maps = !args->no_maps;
      options.invert_keyframes = args->invert;
      ProgressLine line(!args->quiet && ProgressLine::stderr_is_terminal());
      std::int64_t last_logged = -1;
      options.progress = [&](const FilmProgress& p) {
        const double fraction = p.frame_count ? static_cast<double>(p.frames_done) / p.frame_count : 1;
        char text[160];
        std::snprintf(text, sizeof text, "%s frame %lld/%lld  %.2f fps  ETA %s%s", progress_bar(fraction).c_str(),
                      static_cast<long long>(p.frames_done), static_cast<long long>(p.frame_count),
                      p.frames_per_second, format_duration(p.eta_seconds).c_str(),
                      p.stage == "video" ? "  encoding video" : "");
        if (line.enabled()) {
          line.update(text, p.stage != "frames");
        } else if (!args->quiet && (p.stage != "frames" || p.frames_done - last_logged >= 24 ||
                                    p.frames_done == p.frame_count)) {
          std::cerr << text << "\n";
          last_logged = p.frames_done;
        }
      };
      try {
        const FilmResult r = make_film(catalog, film_id, options);
        line.clear();
        std::printf("film %lld: %s (%lld frames rendered, %lld reused, %.1f s)\n", static_cast<long long>(film_id),
                    r.video_path.string().c_str(), static_cast<long long>(r.frames_rendered),
                    static_cast<long long>(r.frames_reused), r.seconds);
        if (!args->quiet) {
          if (auto film = catalog.films().get(film_id); film && film->timeline.is_object())
            std::printf("  pictures: %s\n", summarize(shot_pictures(Timeline::from_json(film->timeline))).to_string().c_str());
          std::printf("  frames and attribution maps: %s\n", r.output_dir.string().c_str());
          std::printf("  provenance of a frame:       palimpsest --db %s provenance %lld --frame 0\n",
                      globals.db.c_str(), static_cast<long long>(film_id));
        }
        return kExitOk;
      } catch (const FilmMakeError& e) {
        line.clear();
        std::cerr << "palimpsest make: " << e.what() << "\n";
        return kExitFailure;
      }
    };
  });
}

}  // namespace palimpsest::cli
