// palimpsest plan MANUSCRIPT : manuscript -> timeline (shots, keyframes, guidance), saved as a
// planned film (unless --dry-run, or --json without --save); planning the same manuscript with the
// same settings again reuses the film.   palimpsest export FILM --otio out.otio : the film's timeline for editors.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/commands.h"
#include "cli/commands/terminal_text.h"
#include "cli/commands/planning_arguments.h"
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
    PlanningArguments planning;
    bool json = false;
    bool save = false;
    bool dry_run = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("plan", "Plan a manuscript into a timeline without rendering");
  cmd->add_option("manuscript", args->manuscript, "Fountain, SRT/WebVTT or plain text")->required();
  cmd->add_option("--schedule", args->schedules, "name=\"0:(0.65), 48:(0.4)\" (repeatable)");
  add_film_options(*cmd, args->fps, args->limits);
  cmd->add_option("--size", args->size, "WIDTHxHEIGHT")->capture_default_str();
  cmd->add_option("--model", args->model, "CLIP model: a store name or a folder (default: the catalog's current model)");
  args->planning.add_to(*cmd);
  cmd->add_flag("--json", args->json, "Print the timeline JSON (no film is saved unless --save)");
  cmd->add_flag("--save", args->save, "With --json: also save the film");
  cmd->add_flag("--dry-run", args->dry_run, "Plan and report, but save no film");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      if (args->save && args->dry_run) {
        std::cerr << "palimpsest plan: --save and --dry-run contradict each other\n";
        return kExitUsage;
      }
      TimelineOptions options;
      options.fps = args->fps;
      options.limits = args->limits;
      args->planning.apply_title(options);
      if (auto usage = apply_timeline_arguments(options, args->size, args->schedules)) {
        std::cerr << "palimpsest plan: " << *usage << "\n";
        return kExitUsage;
      }
      Timeline timeline = plan_shots(std::filesystem::path(args->manuscript), options);

      Catalog catalog(globals.db);
      FilmPlanningOptions planning = args->planning.options(catalog);
      planning.save = !args->dry_run && (!args->json || args->save);
      PlannedFilm planned = plan_against_catalog(catalog, std::move(timeline), args->manuscript, args->model, planning);
      const std::int64_t film = planned.film_id;
      timeline = std::move(planned.timeline);
      if (args->json) {
        nlohmann::json doc = timeline.to_json(/*include_evaluated=*/true);
        doc["film_id"] = film ? nlohmann::json(film) : nlohmann::json();
        std::cout << json_text(doc, 2) << "\n";
        for (const auto& w : timeline.warnings) std::cerr << "palimpsest: warning: " << error_line(w) << "\n";
        return kExitOk;
      }
      const std::string what = film == 0 ? std::string("dry run (no film saved)")
                                          : "film " + std::to_string(film) + (planned.reused ? " (planned before, reused)" : " planned");
      std::printf("%s: \"%s\", %zu shots, %lld frames at %g fps (%dx%d), planning %.0f ms\n", what.c_str(),
                  shown(timeline.title).c_str(), timeline.shots.size(), static_cast<long long>(timeline.frame_count), timeline.fps,
                  timeline.width, timeline.height, planned.planning_seconds * 1000);
      for (std::size_t i = 0; i < timeline.shots.size(); ++i) {
        const Shot& shot = timeline.shots[i];
        std::string keys;
        for (const auto& k : shot.keyframes) keys += (keys.empty() ? "#" : ", #") + std::to_string(k.record_id);
        const ShotPictures& p = planned.pictures.at(i);
        if (keys.empty())
          keys = p.status == ShotPictureStatus::borrowed ? "(shot " + std::to_string(p.from_shot) + "'s)" : "(none)";
        std::printf("  shot %-3d frames %5lld-%-5lld %-8s keyframes %-18s %s\n", shot.index,
                    static_cast<long long>(shot.start_frame), static_cast<long long>(shot.end_frame),
                    std::string(to_string(p.status)).c_str(), keys.c_str(), one_line(shot.text, 60).c_str());
      }
      std::fflush(stdout);
      print_planning(planned, stdout);
      if (film) std::printf("export it: palimpsest export %lld --otio film.otio\n", static_cast<long long>(film));
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
      Catalog catalog = open_existing_catalog(globals.db);
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
