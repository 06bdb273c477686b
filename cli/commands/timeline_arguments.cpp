#include "cli/commands/timeline_arguments.h"

#include <cstdio>

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

}  // namespace palimpsest::cli
