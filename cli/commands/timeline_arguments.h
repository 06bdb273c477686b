#pragma once
// The film options `plan`, `make`, `sweep` and `demo` share: --size WIDTHxHEIGHT, --schedule
// name="keys" (repeatable) and --fps, applied to TimelineOptions, the film limits a user may raise;
// and planning a manuscript into a film.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands/planning_arguments.h"
#include "retrieval/timeline/manuscript.h"
#include "schema/catalog.h"

namespace palimpsest {
struct FilmPlanningOptions;  // retrieval/film_planning.h
struct PlannedFilm;
}  // namespace palimpsest

namespace palimpsest::cli {

// Sets width and height from `size` and adds each `name=schedule` to the film-wide parameters.
// Returns a usage message ("--size must be ...", "--schedule: no parameter named \"evil\"...") when
// an argument is malformed, nullopt when all applied. Malformed schedule values throw as
// set_parameter does (ScheduleError, ParameterError).
std::optional<std::string> apply_timeline_arguments(TimelineOptions& options, const std::string& size,
                                                    const std::vector<std::string>& schedules = {});

// --fps (within the frame rate limit) and --max-frames (raises the film length limit of
// schema/limits.h for this command) on `command`.
void add_film_options(CLI::App& command, double& fps, FilmLimits& limits);

// The manuscript and planning options `make` and `sweep` take: MANUSCRIPT | --film ID, --fps,
// --max-frames, --size, --steps, --seed, --schedule (repeatable), --model and the planning controls
// (planning_arguments.h).
struct FilmArguments {
  std::string manuscript;
  std::int64_t film = 0;
  double fps = 12;
  FilmLimits limits;
  std::string size = "320x192";
  int steps = 0;
  std::int64_t seed = -1;
  std::vector<std::string> schedules;
  std::string model;
  PlanningArguments planning;  // --title, --kinds, --archive, --exclude, --pin, --threshold, --borrow-seconds
};
void add_film_arguments(CLI::App& command, FilmArguments& args);
// False after printing a usage message ("palimpsest <command>: ...") unless exactly one of
// MANUSCRIPT and --film is given (checked before the catalog is opened).
bool check_film_arguments(const FilmArguments& args, const std::string& command);
// The planned film's id: --film, or MANUSCRIPT planned (plan_manuscript). Returns nullopt after
// printing a usage message for a malformed --size or --schedule.
std::optional<std::int64_t> film_from_arguments(Catalog& catalog, const FilmArguments& args, const std::string& command,
                                                bool quiet);

// Plans `timeline` (read from the file `manuscript`) against the catalog with the model
// `model_name` (model_argument(): a store name, a folder, or empty for the current model). Says on
// stderr when planning can only use lexical matches and when the model is the embedded demo model
// on another archive. Throws as planning does.
PlannedFilm plan_against_catalog(Catalog& catalog, Timeline timeline, const std::string& manuscript,
                                 const std::string& model_name, const FilmPlanningOptions& planning);

// Plans the arguments' manuscript against the catalog with their model (model_argument()) and
// planning controls, or finds the identical plan made before; says so on stderr (the notice about
// the embedded model, the pictures summary and warnings always, the film line unless `quiet`).
// Returns the film id. Throws as planning does.
std::int64_t plan_manuscript(Catalog& catalog, const FilmArguments& args, TimelineOptions options, bool quiet);

}  // namespace palimpsest::cli
