#include "cli/commands/timeline_arguments.h"

#include <cstdio>
#include <iostream>

#include "retrieval/film_planning.h"

namespace palimpsest::cli {

std::optional<std::string> apply_timeline_arguments(TimelineOptions& options, const std::string& size,
                                                    const std::vector<std::string>& schedules) {
  if (std::sscanf(size.c_str(), "%dx%d", &options.width, &options.height) != 2 || options.width < 16 ||
      options.height < 16 || options.width % 2 || options.height % 2)
    return std::string("--size must be WIDTHxHEIGHT, even, at least 16x16");
  for (const std::string& s : schedules) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) return "--schedule needs name=\"schedule\", got " + s;
    set_parameter(options.parameters, s.substr(0, eq), s.substr(eq + 1));
  }
  return std::nullopt;
}

void add_film_arguments(CLI::App& cmd, FilmArguments& args) {
  cmd.add_option("manuscript", args.manuscript, "Fountain, SRT/WebVTT or plain text");
  cmd.add_option("--film", args.film, "An already planned film instead");
  cmd.add_option("--schedule", args.schedules, "name=\"0:(0.65), 48:(0.4)\" (repeatable)");
  cmd.add_option("--fps", args.fps, "Frames per second")->capture_default_str()->check(CLI::Range(1.0, 120.0));
  cmd.add_option("--size", args.size, "WIDTHxHEIGHT")->capture_default_str();
  cmd.add_option("--steps", args.steps, "Sampler steps (a film-wide steps schedule)")->check(CLI::Range(1, 1000));
  cmd.add_option("--seed", args.seed, "Seed (a film-wide seed schedule)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 53));
  cmd.add_option("--model", args.model, "CLIP model folder (default: palimpsest-tiny)");
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
  // --steps and --seed are film-wide schedules; a --schedule of the same name replaces them.
  if (args.steps > 0) set_parameter(options.parameters, "steps", "0:(" + std::to_string(args.steps) + ")");
  if (args.seed >= 0) set_parameter(options.parameters, "seed", "0:(" + std::to_string(args.seed) + ")");
  if (auto usage = apply_timeline_arguments(options, args.size, args.schedules)) {
    std::cerr << "palimpsest " << command << ": " << *usage << "\n";
    return std::nullopt;
  }
  return plan_film(catalog, args.manuscript, options, args.model, quiet);
}

std::int64_t plan_film(Catalog& catalog, const std::string& manuscript, TimelineOptions options,
                       const std::string& model_dir, bool quiet) {
  Timeline timeline = plan_shots(std::filesystem::path(manuscript), options);
  PlanningModel model =
      load_planning_model(catalog, model_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(model_dir));
  if (!model.dense())
    std::cerr << "palimpsest: note: no embedded records for the model: planning from lexical matches only\n";
  PlannedFilm planned = plan_and_save_film(catalog, std::move(timeline), std::filesystem::absolute(manuscript).string(),
                                           model.encoder.get(), model.index.get(), model.model_id,
                                           /*reuse_identical=*/true);
  for (const auto& w : planned.timeline.warnings) std::cerr << "palimpsest: warning: " << w << "\n";
  if (!quiet)
    std::cerr << "film " << planned.film_id << (planned.reused ? " (planned before: resuming)" : " planned") << ": "
              << planned.timeline.shots.size() << " shots, " << planned.timeline.frame_count << " frames at "
              << planned.timeline.fps << " fps, " << planned.timeline.width << "x" << planned.timeline.height
              << ", planning " << static_cast<int>(planned.planning_seconds * 1000) << " ms\n";
  return planned.film_id;
}

}  // namespace palimpsest::cli
