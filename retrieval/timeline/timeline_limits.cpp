#include "retrieval/timeline/timeline_limits.h"

#include <algorithm>

namespace palimpsest {
namespace {

void check_steps(const ParameterSet& set, const FilmLimits& limits, const std::string& where) {
  const auto steps = set.schedules.find(Parameter::steps);
  if (steps == set.schedules.end()) return;
  for (const ScheduleKeyframe& key : steps->second.keyframes())
    if (key.value > limits.max_steps)
      throw LimitError(Limit::steps, limits.scope,
                       where + " asks for " + shortest_text(key.value) + " sampler steps at frame " + std::to_string(key.frame),
                       limits.max_steps);
}

}  // namespace

void check_film_limits(const Timeline& timeline, const FilmLimits& limits) {
  if (timeline.frame_count > limits.max_frames) {
    std::string what = "the film would have " + std::to_string(timeline.frame_count) + " frames at " +
                       shortest_text(timeline.fps) + " fps";
    const auto longest = std::max_element(timeline.shots.begin(), timeline.shots.end(),
                                          [](const Shot& a, const Shot& b) { return a.frame_count() < b.frame_count(); });
    if (longest != timeline.shots.end()) {
      what += " (the longest, shot " + std::to_string(longest->index + 1);
      if (longest->source_line > 0)
        what += " at " + timeline.manuscript.file + ":" + std::to_string(longest->source_line);
      what += ", has " + std::to_string(longest->frame_count()) + ")";
    }
    throw LimitError(Limit::film_frames, limits.scope, what, limits.max_frames);
  }
  check_film_format(timeline.width, timeline.height, timeline.fps, limits);
  check_steps(timeline.parameters, limits, "the film");
  for (const Shot& shot : timeline.shots)
    check_steps(shot.parameters, limits, "shot " + std::to_string(shot.index + 1));
}

void check_film_format(int width, int height, double fps, const FilmLimits& limits) {
  if (width > limits.max_side || height > limits.max_side)
    throw LimitError(Limit::film_side, limits.scope, "the film would be " + std::to_string(width) + "x" + std::to_string(height),
                     limits.max_side);
  if (fps > limits.max_fps)
    throw LimitError(Limit::fps, limits.scope, "the film would run at " + shortest_text(fps) + " fps",
                     static_cast<std::int64_t>(limits.max_fps));
}

}  // namespace palimpsest
