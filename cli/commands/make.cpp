// palimpsest make MANUSCRIPT : plan the manuscript against the archive and render the film
// (frames, attribution maps, provenance, MP4 with its soundtrack). Run again after an
// interruption, it resumes.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/film_sound_summary.h"
#include "cli/commands/commands.h"
#include "cli/commands/terminal_text.h"
#include "cli/commands/planning_arguments.h"
#include "cli/commands/progress.h"
#include "cli/commands/timeline_arguments.h"
#include "retrieval/film_planning.h"
#include "retrieval/timeline/timeline.h"
#include "schema/catalog_json.h"
#include "schema/film_store.h"
#include "synth/film_maker.h"

namespace palimpsest::cli {

void register_make(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args : FilmArguments {
    std::string output;
    std::string out_dir;
    std::string backend = "archive";
    std::string diffusion_model;
    std::string denoiser = "local";
    bool fresh = false;
    bool no_maps = false;
    bool invert = false;
    bool no_sound = false;
    bool quiet = false;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("make", "Plan a manuscript and render it into a film with provenance");
  add_film_arguments(*cmd, *args);
  cmd->add_option("-o,--output", args->output, "The MP4 to write (default: <film folder>/film.mp4)");
  cmd->add_option("--out-dir", args->out_dir, "Film folder for frames and maps (default: films/<id> beside the catalog)");
  cmd->add_option("--backend", args->backend, "archive (closed-form, exact provenance) or torchscript")
      ->check(CLI::IsMember({"archive", "torchscript"}))
      ->capture_default_str();
  cmd->add_option("--diffusion-model", args->diffusion_model, "Latent diffusion model folder (torchscript backend)");
  cmd->add_option("--denoiser", args->denoiser, "global, local or local_windowed (archive backend; windowed = local_windowed)")
      ->check(CLI::IsMember({"global", "local", "local_windowed", "windowed"}))
      ->capture_default_str();
  cmd->add_flag("--fresh", args->fresh, "Render every frame again instead of resuming");
  cmd->add_flag("--no-maps", args->no_maps, "Do not write attribution maps");
  cmd->add_flag("--no-sound", args->no_sound, "Render a silent MP4 (no soundtrack, no sound provenance)");
  cmd->add_flag("--invert-keyframes", args->invert, "Interpolate between DDIM inversions of the keyframe images");
  cmd->add_flag("-q,--quiet", args->quiet, "Only errors and the final line");
  cmd->add_flag("--json", args->json, "Print the result and the film's metrics as JSON");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      if (!check_film_arguments(*args, "make")) return kExitUsage;
      if ((args->backend == "torchscript") != !args->diffusion_model.empty()) {
        std::cerr << "palimpsest make: --backend torchscript and --diffusion-model DIR go together\n";
        return kExitUsage;
      }
      Catalog catalog(globals.db);
      const std::optional<std::int64_t> film = film_from_arguments(catalog, *args, "make", args->quiet || args->json);
      if (!film) return kExitUsage;
      const std::int64_t film_id = *film;

      FilmMakeOptions options;
      options.settings.denoiser = *parse_denoiser_kind(args->denoiser);
      if (args->backend == "torchscript") {
        options.backend = SynthesisBackend::torchscript;
        options.diffusion_model = args->diffusion_model;
      }
      options.output_dir = args->out_dir;
      options.video_path = args->output;
      options.fresh = args->fresh;
      options.limits = args->limits;
      options.attribution_maps = !args->no_maps;
      options.invert_keyframes = args->invert;
      options.sound = !args->no_sound;
      options.clip_model = model_argument(globals.db, args->model).value_or(std::filesystem::path());
      ProgressLine line(!args->quiet && !args->json && ProgressLine::stderr_is_terminal());
      std::int64_t last_logged = -1;
      options.progress = [&](const FilmProgress& p) {
        const double fraction = p.frame_count ? static_cast<double>(p.frames_done) / p.frame_count : 1;
        char text[160];
        std::snprintf(text, sizeof text, "%s frame %lld/%lld  %.2f fps  ETA %s%s", progress_bar(fraction).c_str(),
                      static_cast<long long>(p.frames_done), static_cast<long long>(p.frame_count),
                      p.frames_per_second, format_duration(p.eta_seconds).c_str(),
                      p.stage == "video" ? "  encoding video" : p.stage == "sound" ? "  mixing the soundtrack" : "");
        if (line.enabled()) {
          line.update(text, p.stage != "frames");
        } else if (!args->quiet && !args->json && (p.stage != "frames" || p.frames_done - last_logged >= 24 ||
                                    p.frames_done == p.frame_count)) {
          std::cerr << text << "\n";
          last_logged = p.frames_done;
        }
      };
      try {
        const FilmResult r = make_film(catalog, film_id, options);
        line.clear();
        for (const std::string& w : r.warnings) std::cerr << "palimpsest: warning: " << w << "\n";
        if (args->json) {
          nlohmann::json out = {{"film_id", film_id},
                                {"video", r.video_path.string()},
                                {"output_dir", r.output_dir.string()},
                                {"frames_rendered", r.frames_rendered},
                                {"frames_reused", r.frames_reused},
                                {"seconds", r.seconds},
                                {"warnings", r.warnings},
                                {"metrics", film_metrics_json(catalog.films().frames(film_id))}};
          std::printf("%s\n", json_text(out, 2).c_str());
          return kExitOk;
        }
        std::printf("film %lld: %s (%lld frames rendered, %lld reused, %.1f s)\n", static_cast<long long>(film_id),
                    shown(r.video_path.native()).c_str(), static_cast<long long>(r.frames_rendered),
                    static_cast<long long>(r.frames_reused), r.seconds);
        for (const std::string& w : r.sound_warnings) std::cerr << "palimpsest: warning: sound: " << w << "\n";
        if (!args->quiet) {
          if (auto film = catalog.films().get(film_id); film && film->timeline.is_object())
            std::printf("  pictures: %s\n", summarize(shot_pictures(Timeline::from_json(film->timeline))).to_string().c_str());
          std::printf("  %s\n", describe_soundtrack(r).c_str());
          std::printf("  frames and attribution maps: %s\n", shown(r.output_dir.native()).c_str());
          std::printf("  provenance of a frame:       palimpsest --db %s provenance %lld --frame 0\n",
                      shown(globals.db).c_str(), static_cast<long long>(film_id));
        }
        return kExitOk;
      } catch (const FilmMakeError& e) {
        line.clear();
        std::cerr << "palimpsest make: " << error_line(e.what()) << "\n";
        return kExitFailure;
      }
    };
  });
}

}  // namespace palimpsest::cli
