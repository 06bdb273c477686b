#pragma once
// A film checked against the limits table (schema/limits.h) before anything is spent on it:
// plan_shots() checks the timeline it lays out, make_film() the timeline it is about to render
// (a film planned under other limits, or edited by hand), and the server's requests and jobs
// check against the served column. Cheap: it reads shots and schedules, never evaluates frames.

#include "retrieval/timeline/timeline.h"
#include "schema/limits.h"

namespace palimpsest {

// Throws LimitError naming the first limit crossed: the frame count (naming the longest shot and
// its manuscript line), the size, the frame rate, or a steps value of any schedule (the film's or
// a shot's).
void check_film_limits(const Timeline& timeline, const FilmLimits& limits);

// The size and frame rate alone (what is known before a manuscript is read).
void check_film_format(int width, int height, double fps, const FilmLimits& limits);

}  // namespace palimpsest
