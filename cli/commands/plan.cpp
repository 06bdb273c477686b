// palimpsest plan MANUSCRIPT : manuscript -> timeline (shots, keyframes, guidance), saved as a
// planned film.   palimpsest export FILM --otio out.otio : the film's timeline for editors.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/commands.h"
#include "cli/commands/terminal_text.h"
#include "cli/commands/timeline_arguments.h"
#include "indexer/files/atomic_file.h"
#include "retrieval/film_planning.h"
#include "retrieval/timeline/manuscript.h"
#include "retrieval/timeline/otio_export.h"
#include "schema/film_store.h"
#include "schema/catalog_json.h"

namespace palimpsest::cli {

void register_plan(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args {
    std::string manuscript;
    std::string model;
    std::vector<std::string> schedules;
    double fps = 12;
    std::string size = "320x192";
    FilmLimits limits;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("plan", "Plan a manuscript into a timeline without rendering");
  cmd->add_option("manuscript", args->manuscript, "Fountain, SRT/WebVTT or plain text")->required();
  cmd->add_option("--schedule", args->schedules, "name=\"0:(0.65), 48:(0.4)\" (repeatable)");
  add_film_options(*cmd, args->fps, args->limits);
  cmd->add_option("--size", args->size, "WIDTHxHEIGHT")->capture_default_str();
  cmd->add_option("--model", args->model, "CLIP model: a store name or a folder (default: the catalog's current model)");
  cmd->add_flag("--json", args->json, "Print the timeline JSON");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      TimelineOptions options;
      options.fps = args->fps;
      options.limits = args->limits;
      if (auto usage = apply_timeline_arguments(options, args->size, args->schedules)) {
        std::cerr << "palimpsest plan: " << *usage << "\n";
        return kExitUsage;
      }
      Timeline timeline = plan_shots(std::filesystem::path(args->manuscript), options);

      Catalog catalog(globals.db);
      PlanningModel model = load_planning_model(catalog, model_argument(globals.db, args->model));
      if (!model.dense()) std::cerr << "palimpsest: note: no embedded records for the model: planning from lexical matches only\n";
      PlannedFilm planned = plan_and_save_film(catalog, std::move(timeline),
                                               std::filesystem::absolute(args->manuscript).string(),
                                               model.encoder.get(), model.index.get(), model.model_id);
      const std::int64_t film = planned.film_id;
      const double seconds = planned.planning_seconds;
      timeline = std::move(planned.timeline);
      const nlohmann::json doc = timeline.to_json(/*include_evaluated=*/true);
      if (args->json) {
        std::cout << json_text(doc, 2) << "\n";
        return kExitOk;
      }
      std::printf("film %lld planned: \"%s\", %zu shots, %lld frames at %g fps (%dx%d), planning %.0f ms\n",
                  static_cast<long long>(film), shown(timeline.title).c_str(), timeline.shots.size(),
                  static_cast<long long>(timeline.frame_count), timeline.fps, timeline.width, timeline.height,
                  seconds * 1000);
      for (const auto& w : timeline.warnings) std::cerr << "palimpsest: warning: " << error_line(w) << "\n";
      for (const auto& shot : timeline.shots) {
        std::string keys;
        for (const auto& k : shot.keyframes) keys += (keys.empty() ? "#" : ", #") + std::to_string(k.record_id);
        std::printf("  shot %-3d frames %5lld-%-5lld keyframes %-18s %s\n", shot.index,
                    static_cast<long long>(shot.start_frame), static_cast<long long>(shot.end_frame),
                    keys.empty() ? "-" : keys.c_str(), one_line(shot.text, 60).c_str());
      }
      std::printf("export it: palimpsest export %lld --otio film.otio\n", static_cast<long long>(film));
      return kExitOk;
    };
  });

  auto film_id = std::make_shared<std::int64_t>(0);
  auto otio_path = std::make_shared<std::string>();
  auto* exp = app.add_subcommand("export", "Export a film's timeline (OpenTimelineIO)");
  exp->add_option("film", *film_id, "Film id")->required();
  exp->add_option("--otio", *otio_path, "Output .otio file")->required();
  exp->callback([&globals, &dispatch, film_id, otio_path] {
    dispatch.action = [&globals, film_id, otio_path]() -> int {
      Catalog catalog(globals.db);
      auto film = catalog.films().get(*film_id);
      if (!film) {
        std::cerr << "palimpsest: no film " << *film_id << "\n";
        return kExitFailure;
      }
      if (film->timeline.is_null() || film->timeline.is_discarded()) {
        std::cerr << "palimpsest: film " << *film_id << " has no timeline\n";
        return kExitFailure;
      }
      const Timeline timeline = Timeline::from_json(film->timeline);
      const nlohmann::json otio = to_otio(timeline, [&](std::int64_t id) { return catalog.record(id); });
      try {
        write_file_atomically(*otio_path, json_text(otio, 2) + "\n");
      } catch (const std::runtime_error& e) {
        std::cerr << "palimpsest: " << error_line(e.what()) << "\n";
        return kExitFailure;
      }
      std::cout << "wrote " << shown(*otio_path) << " (" << timeline.shots.size() << " clips)\n";
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli
