#include "retrieval/timeline/parameters.h"
#include "indexer/text/printable.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace palimpsest {
namespace {

struct ParameterInfo {
  Parameter parameter;
  std::string_view name;
  double default_value;
  double min;
  double max;
  bool min_exclusive = false;  // zoom must be above 0, not at it
};

constexpr double kAny = std::numeric_limits<double>::infinity();

// The single table of names, defaults and ranges (documented in parameters.h).
constexpr std::array<ParameterInfo, kParameters.size()> kInfo = {{
    {Parameter::strength, "strength", 0.65, 0, 1},
    {Parameter::noise, "noise", 0.02, 0, 1},
    {Parameter::guidance, "guidance", 7, 0, 100},
    {Parameter::steps, "steps", 20, 1, 1000},
    {Parameter::seed, "seed", 1, 0, 9007199254740992.0},
    {Parameter::zoom, "zoom", 1.0, 0, kAny, true},
    {Parameter::angle, "angle", 0, -kAny, kAny},
    {Parameter::translation_x, "translation_x", 0, -kAny, kAny},
    {Parameter::translation_y, "translation_y", 0, -kAny, kAny},
    {Parameter::translation_z, "translation_z", 0, -kAny, kAny},
    {Parameter::rotation_3d_x, "rotation_3d_x", 0, -kAny, kAny},
    {Parameter::rotation_3d_y, "rotation_3d_y", 0, -kAny, kAny},
    {Parameter::rotation_3d_z, "rotation_3d_z", 0, -kAny, kAny},
    {Parameter::fov, "fov", 40, 1, 179},
    {Parameter::cadence, "cadence", 1, 1, 100},
    {Parameter::abstraction, "abstraction", 0, 0, 1},
}};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < kInfo.size(); ++i)
    if (kInfo[i].parameter != kParameters[i] || static_cast<std::size_t>(kInfo[i].parameter) != i) return false;
  return true;
}
static_assert(table_in_enum_order(), "kInfo is indexed by Parameter");

const ParameterInfo& info(Parameter parameter) { return kInfo[static_cast<std::size_t>(parameter)]; }

struct Alias {
  std::string_view name;
  Parameter parameter;
};
constexpr std::array<Alias, 11> kAliases = {{
    {"cfg", Parameter::guidance},
    {"cfg_scale", Parameter::guidance},
    {"scale", Parameter::guidance},
    {"guidance_scale", Parameter::guidance},
    {"cfg_scale_schedule", Parameter::guidance},
    {"strength_schedule", Parameter::strength},
    {"noise_schedule", Parameter::noise},
    {"steps_schedule", Parameter::steps},
    {"seed_schedule", Parameter::seed},
    {"fov_schedule", Parameter::fov},
    {"diffusion_cadence", Parameter::cadence},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // "rotation 3d x" and "translation-x" read as the canonical snake case.
  for (char& c : out)
    if (c == ' ' || c == '-') c = '_';
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

ParameterError::ParameterError(std::string name, std::string text)
    : Error(name + ": " + text, error_class::bad_input), parameter(std::move(name)), message(std::move(text)) {}

std::string_view parameter_name(Parameter parameter) { return info(parameter).name; }

std::optional<Parameter> parse_parameter(std::string_view name) {
  const std::string key = lower(trim(name));
  for (const ParameterInfo& entry : kInfo)
    if (entry.name == key) return entry.parameter;
  for (const Alias& alias : kAliases)
    if (alias.name == key) return alias.parameter;
  return std::nullopt;
}

double parameter_default(Parameter parameter) { return info(parameter).default_value; }

std::string_view to_string(SeedMode mode) {
  switch (mode) {
    case SeedMode::fixed: return "fixed";
    case SeedMode::iter: return "iter";
    case SeedMode::schedule: return "schedule";
  }
  return "iter";
}

std::string_view to_string(InitMode mode) {
  switch (mode) {
    case InitMode::noise: return "noise";
    case InitMode::black: return "black";
    case InitMode::record: return "record";
  }
  return "noise";
}

std::string_view to_string(GuidanceMode mode) { return mode == GuidanceMode::clip ? "clip" : "records"; }

std::optional<GuidanceMode> parse_guidance_mode(std::string_view name) {
  const std::string key = lower(trim(name));
  if (key == "records") return GuidanceMode::records;
  if (key == "clip") return GuidanceMode::clip;
  return std::nullopt;
}

std::map<Parameter, double> parse_chaos(std::string_view text) {
  std::map<Parameter, double> chaos;
  std::string_view rest = trim(text);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : trim(rest.substr(comma + 1));
    if (item.empty()) continue;
    const std::size_t split = item.find_first_of("=: \t");
    const std::string_view name = trim(item.substr(0, split));
    const std::string_view value = split == std::string_view::npos ? std::string_view() : trim(item.substr(split + 1));
    const auto parameter = parse_parameter(name);
    if (!parameter || *parameter == Parameter::seed || *parameter == Parameter::abstraction)
      throw ParameterError("chaos", "\"" + std::string(name) + "\" is not a parameter chaos can move");
    double range = 0;
    const std::string_view number = value.starts_with('=') || value.starts_with(':') ? trim(value.substr(1)) : value;
    const auto parsed = std::from_chars(number.data(), number.data() + number.size(), range);
    if (number.empty() || parsed.ec != std::errc() || parsed.ptr != number.data() + number.size() ||
        !std::isfinite(range) || range < 0)
      throw ParameterError("chaos", "expected a range of 0 or more for " + std::string(name) + ", not \"" +
                                        std::string(value) + "\"");
    chaos[*parameter] = range;
  }
  return chaos;
}

std::string chaos_to_string(const std::map<Parameter, double>& chaos) {
  std::string out;
  for (const auto& [parameter, range] : chaos)
    out += (out.empty() ? "" : ", ") + std::string(parameter_name(parameter)) + "=" + shortest_text(range);
  return out;
}

Schedule default_guidance_curve(GuidanceMode mode) {
  static const Schedule clip = parse_guidance_curve(kClipGuidanceCurve);
  return mode == GuidanceMode::clip ? clip : Schedule::constant(1.0);
}

Schedule parse_guidance_curve(std::string_view text) {
  Schedule curve = Schedule::parse(text, "guidance_curve");
  for (const ScheduleKeyframe& key : curve.keyframes()) {
    if (key.frame > 100)
      throw ParameterError("guidance_curve", "key " + std::to_string(key.frame) +
                                                 " is past 100 (keys are percent of a frame's steps)");
    if (key.value < 0)
      throw ParameterError("guidance_curve", "value " + shortest_text(key.value) + " at " + std::to_string(key.frame) +
                                                 " % is below 0");
  }
  return curve;
}

double clamp_to_range(Parameter parameter, double value) {
  const ParameterInfo& entry = info(parameter);
  const double low = entry.min_exclusive ? std::nextafter(entry.min, kAny) : entry.min;
  return std::clamp(value, low, entry.max);
}

std::optional<SeedMode> parse_seed_mode(std::string_view name) {
  const std::string key = lower(trim(name));
  if (key == "fixed") return SeedMode::fixed;
  if (key == "iter") return SeedMode::iter;
  if (key == "schedule") return SeedMode::schedule;
  return std::nullopt;
}

std::optional<InitSpec> parse_init(std::string_view text) {
  text = trim(text);
  const std::string key = lower(text.substr(0, std::min(text.find_first_of(" \t:"), text.size())));
  if (key == "noise" && lower(text) == "noise") return InitSpec{InitMode::noise, std::nullopt};
  if (key == "black" && lower(text) == "black") return InitSpec{InitMode::black, std::nullopt};
  if (key != "record") return std::nullopt;
  std::string_view rest = trim(text.substr(6));
  if (rest.starts_with(':')) rest = trim(rest.substr(1));
  if (rest.empty()) return InitSpec{InitMode::record, std::nullopt};
  std::int64_t id = 0;
  const auto result = std::from_chars(rest.data(), rest.data() + rest.size(), id);
  if (result.ec != std::errc() || result.ptr != rest.data() + rest.size() || id <= 0) return std::nullopt;
  return InitSpec{InitMode::record, id};
}

std::string to_string(const InitSpec& init) {
  std::string out(to_string(init.mode));
  if (init.record_id) out += " " + std::to_string(*init.record_id);
  return out;
}

void check_parameter_range(Parameter parameter, const Schedule& schedule) {
  const ParameterInfo& entry = info(parameter);
  for (const ScheduleKeyframe& key : schedule.keyframes()) {
    const bool below = entry.min_exclusive ? key.value <= entry.min : key.value < entry.min;
    if (below || key.value > entry.max) {
      std::string range = entry.max == kAny ? (entry.min_exclusive ? "above " : "at least ") + shortest_text(entry.min)
                                            : shortest_text(entry.min) + " .. " + shortest_text(entry.max);
      throw ParameterError(std::string(entry.name), "value " + shortest_text(key.value) + " at frame " +
                                                        std::to_string(key.frame) + " is outside " + range);
    }
  }
}

bool set_parameter(ParameterSet& set, std::string_view name, std::string_view value) {
  const std::string key = lower(trim(name));
  if (key == "seed_mode" || key == "seed_behavior" || key == "seed_behaviour") {
    const auto mode = parse_seed_mode(value);
    if (!mode) throw ParameterError("seed_mode", "expected fixed, iter or schedule, not " + quoted_excerpt(trim(value)));
    set.seed_mode = *mode;
    return true;
  }
  if (key == "init") {
    const auto init = parse_init(value);
    if (!init)
      throw ParameterError("init", "expected noise, black, record or record <id>, not " + quoted_excerpt(trim(value)));
    set.init = *init;
    return true;
  }
  if (key == "guidance_mode") {
    const auto mode = parse_guidance_mode(value);
    if (!mode) throw ParameterError("guidance_mode", "expected records or clip, not \"" + std::string(trim(value)) + "\"");
    set.guidance_mode = *mode;
    return true;
  }
  if (key == "guidance_curve") {
    set.guidance_curve = parse_guidance_curve(value);
    return true;
  }
  if (key == "chaos") {
    set.chaos = parse_chaos(value);
    return true;
  }
  const auto parameter = parse_parameter(key);
  if (!parameter) return false;
  Schedule schedule = Schedule::parse(value, parameter_name(*parameter));
  check_parameter_range(*parameter, schedule);
  set.schedules[*parameter] = std::move(schedule);
  return true;
}

}  // namespace palimpsest
