#include "cli/commands/timeline_arguments.h"

#include <cstdio>

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

}  // namespace palimpsest::cli
