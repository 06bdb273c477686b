#pragma once
// The film options `plan`, `make` and `demo` share: --size WIDTHxHEIGHT and --schedule
// name="keys" (repeatable), applied to TimelineOptions.

#include <optional>
#include <string>
#include <vector>

#include "retrieval/timeline/manuscript.h"

namespace palimpsest::cli {

// Sets width and height from `size` and adds each `name=schedule` to the film-wide parameters.
// Returns a usage message ("--size must be ...") when an argument is malformed, nullopt when all
// applied. Malformed schedule values throw as set_parameter does (ScheduleError, ParameterError).
std::optional<std::string> apply_timeline_arguments(TimelineOptions& options, const std::string& size,
                                                    const std::vector<std::string>& schedules = {});

}  // namespace palimpsest::cli
