#include "synth/abstraction.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace palimpsest {

AbstractionEffect abstraction_effect(double a) {
  if (!(a >= 0.0 && a <= 1.0))
    throw std::invalid_argument("abstraction must be in [0, 1], not " + std::to_string(a));
  AbstractionEffect effect;
  effect.denoiser = a < 1.0 / 3.0   ? DenoiserKind::global
                    : a < 2.0 / 3.0 ? DenoiserKind::local
                                    : DenoiserKind::local_windowed;
  effect.strength_factor = 0.5 + a;
  effect.prior_exponent = 2.0 - 2.0 * a;
  return effect;
}

DenoiserKind abstracted_denoiser(const FramePlan& plan, DenoiserKind fallback) {
  return plan.params.abstraction ? abstraction_effect(*plan.params.abstraction).denoiser : fallback;
}

FramePlan abstracted_plan(const FramePlan& plan) {
  if (!plan.params.abstraction) return plan;
  const AbstractionEffect effect = abstraction_effect(*plan.params.abstraction);
  FramePlan out = plan;
  out.params.strength = std::clamp(plan.params.strength * effect.strength_factor, kMinAbstractStrength, 1.0);
  for (RecordPrior& r : out.records)
    if (r.prior > 0.0) r.prior = effect.prior_exponent == 0.0 ? 1.0 : std::pow(r.prior, effect.prior_exponent);
  return out;
}

}  // namespace palimpsest
