#pragma once
// Documental <-> abstractive: what the `abstraction` parameter a (0 .. 1) does to a frame, in one
// place (retrieval/timeline/parameters.h has the table filmmakers read).
//
//   a = 0 (documental)    the global denoiser (whole records), half the noise the
//                          timeline asks for, the prior squared (keyframes pull twice as hard):
//                          frames reproduce records;
//   a = 1 (abstractive)   local patches within a window (records recombined), half again as
//                          much noise, a flat prior (every record of the frame weighs alike), and
//                          the timeline's `chaos` ranges at full amplitude (applied when the
//                          timeline is evaluated).
// In between: the denoiser switches at 1/3 and 2/3, the noise level (img2img strength) is
// strength x (0.5 + a), clamped to [kMinAbstractStrength, 1], and priors become pi^(2 - 2a).
// A frame whose abstraction is unset is drawn as the render settings say (no change).
// Plain data and arithmetic (no libtorch).

#include <optional>

#include "synth/frame_plan.h"
#include "synth/render_settings.h"

namespace palimpsest {

inline constexpr double kMinAbstractStrength = 0.05;

struct AbstractionEffect {
  DenoiserKind denoiser = DenoiserKind::local;
  double strength_factor = 1.0;  // on the img2img strength (the noise level a frame starts at)
  double prior_exponent = 1.0;   // priors become pi^exponent
};

// Throws std::invalid_argument unless 0 <= a <= 1.
AbstractionEffect abstraction_effect(double a);

// The denoiser `plan` is drawn with, and the plan with its strength and priors changed, when its
// abstraction is set; otherwise `fallback` and the plan unchanged.
DenoiserKind abstracted_denoiser(const FramePlan& plan, DenoiserKind fallback);
FramePlan abstracted_plan(const FramePlan& plan);

}  // namespace palimpsest
