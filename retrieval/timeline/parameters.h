#pragma once
// The keyframed render parameters of a film, named and defaulted as in Deforum so that people who
// know its schedules can write ours. One table holds every parameter:
//
// | parameter      | default | range          | meaning                                            |
// |----------------|---------|----------------|----------------------------------------------------|
// | strength       | 0.65    | 0 .. 1         | how much of the previous (warped) frame survives   |
// | noise          | 0.02    | 0 .. 1         | noise added to the warped frame before denoising   |
// | guidance       | 7       | 0 .. 100       | how hard the shot's words pull each step: archive  |
// |                |         |                | backend, the ratio of the language term (see       |
// |                |         |                | guidance_mode); torchscript backend, the           |
// |                |         |                | classifier-free guidance scale ("cfg"). 0: none    |
// | steps          | 20      | 1 .. 1000      | sampler steps (rounded to a whole number)          |
// | seed           | 1       | 0 .. 2^53      | see seed_mode (rounded to a whole number)          |
// | zoom           | 1.0     | > 0            | 2D scale per frame (1.0 = none, 1.02 = zoom in)    |
// | angle          | 0       | any            | 2D rotation per frame, degrees                     |
// | translation_x  | 0       | any            | 2D/3D shift per frame, pixels (x right, y down)    |
// | translation_y  | 0       | any            |                                                    |
// | translation_z  | 0       | any            | 3D move towards the scene per frame                |
// | rotation_3d_x  | 0       | any            | 3D rotation per frame, degrees                     |
// | rotation_3d_y  | 0       | any            |                                                    |
// | rotation_3d_z  | 0       | any            |                                                    |
// | fov            | 40      | 1 .. 179       | field of view of the 3D camera, degrees            |
// | cadence        | 1       | 1 .. 100       | diffuse every N-th frame, blend warps in between   |
// | abstraction    | unset   | 0 .. 1         | documental (0) <-> abstractive (1); unset: the     |
// |                |         |                | render settings decide. Set, it chooses the        |
// |                |         |                | denoiser (< 1/3 global, < 2/3 local, else          |
// |                |         |                | local_windowed), scales the noise level (strength  |
// |                |         |                | x (0.5 + a)), sharpens or flattens the prior       |
// |                |         |                | (pi^(2 - 2a): 0 doubles the keyframes' pull, 1     |
// |                |         |                | weighs every record alike) and scales `chaos`      |
// | chaos          | none    | name=range,... | "chaos in the established parameters": with        |
// |                |         |                | abstraction a (1 when unset), each listed          |
// |                |         |                | parameter moves by a x range x u per frame, u      |
// |                |         |                | uniform in [-1, 1] from the frame's seed, clamped  |
// |                |         |                | to its range ("strength=0.2, angle=3")             |
// | guidance_mode  | records | records, clip  | records: the language term (each record's CLIP     |
// |                |         |                | similarity to the shot's weighted terms minus to   |
// |                |         |                | its negative) joins the denoiser's logits, so     |
// |                |         |                | frames stay convex combinations of records; clip:  |
// |                |         |                | that and the CLIP gradient nudging the predicted   |
// |                |         |                | pixels each step (a `language` provenance share)   |
// | guidance_curve | records | keys 0 .. 100, | the guidance ratio over one frame's sampling       |
// |                | 1; clip | values >= 0    | steps, keys in percent of the steps run: "0:(1),   |
// |                | last 20%|                | 100:(0.2)" pulls hard early and lightly late.      |
// |                |         |                | Clip mode's default guides only the last fifth     |
// |                |         |                | (docs/performance.md: a higher CLIP score, less    |
// |                |         |                | flicker and half the cost of guiding every step)   |
// | seed_mode      | iter    | fixed, iter, schedule | fixed: the seed's first value on every frame; |
// |                |         |                | iter: that value + the film frame number;          |
// |                |         |                | schedule: the seed schedule's value at the frame   |
// | init           | noise   | noise, black, record [id] | the first frame of a shot: pure noise, a  |
// |                |         |                | black frame, or a record (the shot's first         |
// |                |         |                | keyframe when no id is given)                      |
//
// Deforum's names are accepted as aliases: cfg, cfg_scale, scale, guidance_scale (guidance),
// strength_schedule, noise_schedule, cfg_scale_schedule, steps_schedule, seed_schedule,
// fov_schedule, diffusion_cadence, seed_behavior.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "retrieval/timeline/schedule.h"
#include "schema/error.h"

namespace palimpsest {

enum class Parameter {
  strength, noise, guidance, steps, seed, zoom, angle,
  translation_x, translation_y, translation_z,
  rotation_3d_x, rotation_3d_y, rotation_3d_z,
  fov, cadence, abstraction,
};

inline constexpr std::array kParameters = {
    Parameter::strength,      Parameter::noise,         Parameter::guidance,      Parameter::steps,
    Parameter::seed,          Parameter::zoom,          Parameter::angle,         Parameter::translation_x,
    Parameter::translation_y, Parameter::translation_z, Parameter::rotation_3d_x, Parameter::rotation_3d_y,
    Parameter::rotation_3d_z, Parameter::fov,           Parameter::cadence,       Parameter::abstraction};

enum class SeedMode { fixed, iter, schedule };
enum class InitMode { noise, black, record };
enum class GuidanceMode { records, clip };

std::string_view parameter_name(Parameter parameter);
// The canonical name or an alias; nullopt for anything else.
std::optional<Parameter> parse_parameter(std::string_view name);
double parameter_default(Parameter parameter);

std::string_view to_string(SeedMode mode);
std::string_view to_string(InitMode mode);
std::optional<SeedMode> parse_seed_mode(std::string_view name);
std::string_view to_string(GuidanceMode mode);
std::optional<GuidanceMode> parse_guidance_mode(std::string_view name);

struct InitSpec {
  InitMode mode = InitMode::noise;
  std::optional<std::int64_t> record_id;  // only with InitMode::record
  bool operator==(const InitSpec&) const = default;
};
// "noise", "black", "record", "record 12", "record: 12".
std::optional<InitSpec> parse_init(std::string_view text);
std::string to_string(const InitSpec& init);

// A value that is well-formed but not allowed ("strength: value 1.5 at frame 12 is outside 0 .. 1"),
// or a seed_mode / init that is not one of the choices.
class ParameterError : public Error {
 public:
  ParameterError(std::string parameter, std::string message);
  std::string parameter;
  std::string message;
};

// Chaos ranges ("strength=0.2, angle=3"): parameter -> range (>= 0). Seed and abstraction take
// none. Throws ParameterError naming "chaos" for anything else.
std::map<Parameter, double> parse_chaos(std::string_view text);
std::string chaos_to_string(const std::map<Parameter, double>& chaos);

// A guidance_curve: a schedule whose keys are percent of a frame's sampling steps (0 .. 100: the
// first step run is at 0, the last at 100, a frame's only step at 100) and whose values are >= 0. Throws ScheduleError / ParameterError naming "guidance_curve".
Schedule parse_guidance_curve(std::string_view text);
// The guidance_curve of a frame that sets none: 1 at every step for guidance_mode records; for
// clip, 0 until 80 % of the steps and 1 from there (kClipGuidanceCurve).
inline constexpr std::string_view kClipGuidanceCurve = "0:(0), 79:(0), 80:(1)";
Schedule default_guidance_curve(GuidanceMode mode);

// Parameters set at one level (the film, or one shot). What is unset falls through to the next
// level (shot -> film -> default); chaos ranges fall through per parameter.
struct ParameterSet {
  std::map<Parameter, Schedule> schedules;
  std::optional<SeedMode> seed_mode;
  std::optional<InitSpec> init;
  std::optional<GuidanceMode> guidance_mode;
  std::optional<Schedule> guidance_curve;
  std::map<Parameter, double> chaos;

  bool empty() const {
    return schedules.empty() && !seed_mode && !init && !guidance_mode && !guidance_curve && chaos.empty();
  }
  bool operator==(const ParameterSet&) const = default;
};

// Sets `name` (a parameter, an alias, "seed_mode", "init", "guidance_mode", "guidance_curve" or
// "chaos") from text such as "0:(0.6), 12:(0.3)".
// Returns false, changing nothing, when the name is none of those. Throws ScheduleError for a
// schedule that does not parse and ParameterError for values out of range or unknown choices.
bool set_parameter(ParameterSet& set, std::string_view name, std::string_view value);

// Checks every keyframe of `schedule` against the parameter's range; throws ParameterError.
void check_parameter_range(Parameter parameter, const Schedule& schedule);
// `value` moved into the parameter's range (just above the minimum where it is exclusive).
double clamp_to_range(Parameter parameter, double value);

// The values used for one film frame.
struct FrameParameters {
  std::int64_t frame = 0;
  int shot = -1;  // index of the shot holding the frame, -1 for none
  double strength = 0.65;
  double noise = 0.02;
  double guidance = 7;
  int steps = 20;
  std::int64_t seed = 1;
  double zoom = 1;
  double angle = 0;
  double translation_x = 0, translation_y = 0, translation_z = 0;
  double rotation_3d_x = 0, rotation_3d_y = 0, rotation_3d_z = 0;
  double fov = 40;
  int cadence = 1;
  SeedMode seed_mode = SeedMode::iter;
  InitSpec init;
  std::optional<double> abstraction;  // unset unless the film or the shot sets it
  GuidanceMode guidance_mode = GuidanceMode::records;
  Schedule guidance_curve = Schedule::constant(1.0);
  bool operator==(const FrameParameters&) const = default;
};

}  // namespace palimpsest
