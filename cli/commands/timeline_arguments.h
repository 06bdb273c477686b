#pragma once
// The film options `plan`, `make` and `demo` share: --size WIDTHxHEIGHT, --schedule name="keys"
// (repeatable) and --fps, applied to TimelineOptions, and the film limits a user may raise.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "retrieval/timeline/manuscript.h"

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

}  // namespace palimpsest::cli
