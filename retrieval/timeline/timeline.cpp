// Timeline basics and per-frame evaluation; the JSON form is in timeline_json.cpp.

#include "retrieval/timeline/timeline.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

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

// A number in [-1, 1] from a frame's seed and a parameter (splitmix64): the same on every run and
// machine, different per parameter.
double unit_noise(std::int64_t seed, Parameter parameter) {
  std::uint64_t z = static_cast<std::uint64_t>(seed) * 0x9e3779b97f4a7c15ull +
                    (static_cast<std::uint64_t>(parameter) + 1) * 0xd1b54a32d192ed03ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ull << 52) - 1.0;
}

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

  if (const Scoped a = lookup(*this, shot, Parameter::abstraction, frame); a.schedule)
    p.abstraction = a.schedule->at(a.local_frame);
  // Chaos: each listed parameter moves by amplitude x range x u, u in [-1, 1] from the seed.
  std::map<Parameter, double> chaos = parameters.chaos;
  if (shot)
    for (const auto& [parameter, range] : shot->parameters.chaos) chaos[parameter] = range;
  const double amplitude = p.abstraction.value_or(1.0);
  auto value = [&](Parameter parameter) {
    const double v = value_of(*this, shot, parameter, frame);
    const auto range = chaos.find(parameter);
    if (range == chaos.end() || range->second == 0 || amplitude == 0) return v;
    return clamp_to_range(parameter, v + amplitude * range->second * unit_noise(p.seed, parameter));
  };
  p.strength = value(Parameter::strength);
  p.noise = value(Parameter::noise);
  p.guidance = value(Parameter::guidance);
  p.steps = whole_at_least_one(value(Parameter::steps));
  p.zoom = value(Parameter::zoom);
  p.angle = value(Parameter::angle);
  p.translation_x = value(Parameter::translation_x);
  p.translation_y = value(Parameter::translation_y);
  p.translation_z = value(Parameter::translation_z);
  p.rotation_3d_x = value(Parameter::rotation_3d_x);
  p.rotation_3d_y = value(Parameter::rotation_3d_y);
  p.rotation_3d_z = value(Parameter::rotation_3d_z);
  p.fov = value(Parameter::fov);
  p.cadence = whole_at_least_one(value(Parameter::cadence));

  p.init = shot && shot->parameters.init ? *shot->parameters.init
           : parameters.init             ? *parameters.init
                                         : InitSpec{};
  p.guidance_mode = shot && shot->parameters.guidance_mode ? *shot->parameters.guidance_mode
                    : parameters.guidance_mode              ? *parameters.guidance_mode
                                                            : GuidanceMode::records;
  p.guidance_curve = shot && shot->parameters.guidance_curve ? *shot->parameters.guidance_curve
                     : parameters.guidance_curve              ? *parameters.guidance_curve
                                                              : default_guidance_curve(p.guidance_mode);
  return p;
}

std::vector<FrameParameters> Timeline::evaluate_all() const {
  std::vector<FrameParameters> frames;
  frames.reserve(static_cast<std::size_t>(std::max<std::int64_t>(frame_count, 0)));
  for (std::int64_t frame = 0; frame < frame_count; ++frame) frames.push_back(evaluate(frame));
  return frames;
}

}  // namespace palimpsest
