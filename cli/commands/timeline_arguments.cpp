#include "cli/commands/timeline_arguments.h"

#include <cstdio>
#include <iostream>

#include "retrieval/film_planning.h"

#include "cli/commands/catalog_arguments.h"
#include "cli/commands/terminal_text.h"

namespace palimpsest::cli {
namespace {

// "strength, noise, ..., init": what --schedule takes.
std::string parameter_names() {
  std::string names;
  for (Parameter p : kParameters) names += std::string(parameter_name(p)) + ", ";
  return names + "seed_mode, init";
}

}  // namespace

std::optional<std::string> apply_timeline_arguments(TimelineOptions& options, const std::string& size,
                                                    const std::vector<std::string>& schedules) {
  if (std::sscanf(size.c_str(), "%dx%d", &options.width, &options.height) != 2 || options.width < 16 ||
      options.height < 16 || options.width % 2 || options.height % 2)
    return std::string("--size must be WIDTHxHEIGHT, even, at least 16x16");
  for (const std::string& s : schedules) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) return "--schedule needs name=\"schedule\", got \"" + one_line(s, 80) + "\"";
    const std::string name = s.substr(0, eq);
    if (name.find_first_not_of(" \t") == std::string::npos)
      return "--schedule needs a parameter name before '=', got \"" + one_line(s, 80) + "\"";
    if (!set_parameter(options.parameters, name, s.substr(eq + 1)))
      return "--schedule: no parameter named \"" + one_line(name, 60) + "\" (" + parameter_names() + ")";
  }
  return std::nullopt;
}

void add_film_options(CLI::App& command, double& fps, FilmLimits& limits) {
  command.add_option("--fps", fps, "Frames per second")
      ->capture_default_str()
      ->check(CLI::Range(1.0, static_cast<double>(local_limit(Limit::fps))));
  command.add_option("--max-frames", limits.max_frames, "Refuse films longer than this many frames")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

void add_film_arguments(CLI::App& cmd, FilmArguments& args) {
  cmd.add_option("manuscript", args.manuscript, "Fountain, SRT/WebVTT, plain text, a PDF or the scan of a typed page");
  cmd.add_option("--film", args.film, "An already planned film instead");
  cmd.add_option("--schedule", args.schedules, "name=\"0:(0.65), 48:(0.4)\" (repeatable)");
  add_film_options(cmd, args.fps, args.limits);
  cmd.add_option("--size", args.size, "WIDTHxHEIGHT")->capture_default_str();
  cmd.add_option("--steps", args.steps, "Sampler steps (a film-wide steps schedule)")->check(CLI::Range(1, 1000));
  cmd.add_option("--seed", args.seed, "Seed (a film-wide seed schedule)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 53));
  cmd.add_option("--model", args.model, "CLIP model: a store name or a folder (default: the catalog's current model)");
  args.planning.add_to(cmd);
}

bool check_film_arguments(const FilmArguments& args, const std::string& command) {
  if (args.manuscript.empty() != (args.film == 0)) return true;
  std::cerr << "palimpsest " << command << ": give a MANUSCRIPT or --film ID (one of them)\n";
  return false;
}

std::optional<std::int64_t> film_from_arguments(Catalog& catalog, const FilmArguments& args, const std::string& command,
                                                bool quiet) {
  if (args.film != 0) return args.film;
  TimelineOptions options;
  options.fps = args.fps;
  options.limits = args.limits;
  // --steps and --seed are film-wide schedules; a --schedule of the same name replaces them.
  if (args.steps > 0) set_parameter(options.parameters, "steps", "0:(" + std::to_string(args.steps) + ")");
  if (args.seed >= 0) set_parameter(options.parameters, "seed", "0:(" + std::to_string(args.seed) + ")");
  if (auto usage = apply_timeline_arguments(options, args.size, args.schedules)) {
    std::cerr << "palimpsest " << command << ": " << *usage << "\n";
    return std::nullopt;
  }
  return plan_manuscript(catalog, args, options, quiet);
}

PlannedFilm plan_against_catalog(Catalog& catalog, Timeline timeline, const std::string& manuscript,
                                 const std::string& model_name, const FilmPlanningOptions& planning) {
  PlanningModel model = load_planning_model(catalog, model_argument(catalog.path().string(), model_name));
  if (!model.dense())
    std::cerr << "palimpsest: note: no embedded records for the model: planning from lexical matches only\n";
  if (model.encoder)
    if (const std::string notice = demo_model_notice(catalog, model.encoder->info().name); !notice.empty())
      std::cerr << "palimpsest: note: " << notice << "\n";
  return plan_film(catalog, std::move(timeline), std::filesystem::absolute(manuscript).string(), model.encoder.get(),
                   model.index.get(), model.model_id, planning);
}

std::int64_t plan_manuscript(Catalog& catalog, const FilmArguments& args, TimelineOptions options, bool quiet) {
  args.planning.apply_title(options);
  Timeline timeline = plan_shots(std::filesystem::path(args.manuscript), options);
  PlannedFilm planned =
      plan_against_catalog(catalog, std::move(timeline), args.manuscript, args.model, args.planning.options(catalog));
  print_planning(planned, stderr);
  if (!quiet)
    std::cerr << "film " << planned.film_id << (planned.reused ? " (planned before: resuming)" : " planned") << ": "
              << planned.timeline.shots.size() << " shots, " << planned.timeline.frame_count << " frames at "
              << planned.timeline.fps << " fps, " << planned.timeline.width << "x" << planned.timeline.height
              << ", planning " << static_cast<int>(planned.planning_seconds * 1000) << " ms\n";
  return planned.film_id;
}

}  // namespace palimpsest::cli
