// Timeline basics and per-frame evaluation; the JSON form is in timeline_json.cpp.

#include "retrieval/timeline/timeline.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace palimpsest {
namespace {

constexpr std::array<std::pair<ShotKind, std::string_view>, 7> kShotKinds = {{
    {ShotKind::action, "action"},
    {ShotKind::dialogue, "dialogue"},
    {ShotKind::centered, "centered"},
    {ShotKind::lyric, "lyric"},
    {ShotKind::scene, "scene"},
    {ShotKind::paragraph, "paragraph"},
    {ShotKind::cue, "cue"},
}};

// Which level sets a parameter for a frame, and the frame in that level's key scope.
struct Scoped {
  const Schedule* schedule = nullptr;
  std::int64_t local_frame = 0;
};

Scoped lookup(const Timeline& timeline, const Shot* shot, Parameter parameter, std::int64_t frame) {
  if (shot) {
    if (auto it = shot->parameters.schedules.find(parameter); it != shot->parameters.schedules.end())
      return {&it->second, frame - shot->start_frame};
  }
  if (auto it = timeline.parameters.schedules.find(parameter); it != timeline.parameters.schedules.end())
    return {&it->second, frame};
  return {};
}

double value_of(const Timeline& timeline, const Shot* shot, Parameter parameter, std::int64_t frame) {
  const Scoped scoped = lookup(timeline, shot, parameter, frame);
  return scoped.schedule ? scoped.schedule->at(scoped.local_frame) : parameter_default(parameter);
}

int whole_at_least_one(double value) { return std::max(1, static_cast<int>(std::lround(value))); }

}  // namespace

std::string_view to_string(ShotKind kind) {
  for (const auto& [k, name] : kShotKinds)
    if (k == kind) return name;
  return "action";
}

std::optional<ShotKind> parse_shot_kind(std::string_view name) {
  for (const auto& [k, n] : kShotKinds)
    if (n == name) return k;
  return std::nullopt;
}

TimelineError::TimelineError(std::string field_path, std::string text)
    : Error("timeline: " + (field_path.empty() ? text : field_path + ": " + text), error_class::bad_input),
      field(std::move(field_path)),
      message(std::move(text)) {}

const Shot* Timeline::shot_at(std::int64_t frame) const {
  // Shots are sorted and disjoint: the candidate is the last one starting at or before `frame`.
  const auto after = std::upper_bound(shots.begin(), shots.end(), frame,
                                      [](std::int64_t f, const Shot& shot) { return f < shot.start_frame; });
  if (after == shots.begin()) return nullptr;
  const Shot& shot = *(after - 1);
  return frame < shot.end_frame ? &shot : nullptr;
}

FrameParameters Timeline::evaluate(std::int64_t frame) const {
  const Shot* shot = shot_at(frame);
  FrameParameters p;
  p.frame = frame;
  p.shot = shot ? shot->index : -1;
  p.strength = value_of(*this, shot, Parameter::strength, frame);
  p.noise = value_of(*this, shot, Parameter::noise, frame);
  p.guidance = value_of(*this, shot, Parameter::guidance, frame);
  p.steps = whole_at_least_one(value_of(*this, shot, Parameter::steps, frame));
  p.zoom = value_of(*this, shot, Parameter::zoom, frame);
  p.angle = value_of(*this, shot, Parameter::angle, frame);
  p.translation_x = value_of(*this, shot, Parameter::translation_x, frame);
  p.translation_y = value_of(*this, shot, Parameter::translation_y, frame);
  p.translation_z = value_of(*this, shot, Parameter::translation_z, frame);
  p.rotation_3d_x = value_of(*this, shot, Parameter::rotation_3d_x, frame);
  p.rotation_3d_y = value_of(*this, shot, Parameter::rotation_3d_y, frame);
  p.rotation_3d_z = value_of(*this, shot, Parameter::rotation_3d_z, frame);
  p.fov = value_of(*this, shot, Parameter::fov, frame);
  p.cadence = whole_at_least_one(value_of(*this, shot, Parameter::cadence, frame));

  p.seed_mode = shot && shot->parameters.seed_mode ? *shot->parameters.seed_mode
                : parameters.seed_mode              ? *parameters.seed_mode
                                                    : SeedMode::iter;
  const Scoped seed = lookup(*this, shot, Parameter::seed, frame);
  const double first = seed.schedule ? seed.schedule->keyframes().front().value : parameter_default(Parameter::seed);
  // Without a seed schedule "iter" counts film frames (the film's scope).
  const std::int64_t local = seed.schedule ? seed.local_frame : frame;
  switch (p.seed_mode) {
    case SeedMode::fixed: p.seed = std::llround(first); break;
    case SeedMode::iter: p.seed = std::llround(first) + std::max<std::int64_t>(local, 0); break;
    case SeedMode::schedule:
      p.seed = std::llround(seed.schedule ? seed.schedule->at(seed.local_frame) : first);
      break;
  }

  p.init = shot && shot->parameters.init ? *shot->parameters.init
           : parameters.init             ? *parameters.init
                                         : InitSpec{};
  return p;
}

std::vector<FrameParameters> Timeline::evaluate_all() const {
  std::vector<FrameParameters> frames;
  frames.reserve(static_cast<std::size_t>(std::max<std::int64_t>(frame_count, 0)));
  for (std::int64_t frame = 0; frame < frame_count; ++frame) frames.push_back(evaluate(frame));
  return frames;
}

}  // namespace palimpsest
