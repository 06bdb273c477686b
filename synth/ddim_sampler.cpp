#include "synth/ddim_sampler.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "synth/clip_guidance.h"

namespace palimpsest {

at::Tensor noise_to_level(const at::Tensor& x0, const at::Tensor& eps, double alpha_bar) {
  return x0 * std::sqrt(alpha_bar) + eps * std::sqrt(1.0 - alpha_bar);
}

SampleResult ddim_sample(Denoiser& denoiser, const at::Tensor& x_start,
                         const std::vector<double>& levels, double eta,
                         std::optional<at::Generator> generator, Attribution final_attribution,
                         const StepGuidance* guidance) {
  if (levels.size() < 2 || levels.back() != 1.0) {
    throw std::invalid_argument("ddim_sample: levels must end at 1.0 and hold a start level");
  }
  if (eta < 0.0) throw std::invalid_argument("ddim_sample: eta must be >= 0");
  if (guidance && guidance->ratios.size() + 1 != levels.size()) {
    throw std::invalid_argument("ddim_sample: one guidance ratio per step expected");
  }
  const at::Tensor base_prior =
      guidance && guidance->record_logits.defined() ? denoiser.records().log_prior.clone() : at::Tensor();
  at::Tensor x = x_start.to(at::kFloat).contiguous();
  SampleResult result;
  for (size_t k = 0; k + 1 < levels.size(); ++k) {
    const double a = levels[k], a_next = levels[k + 1];
    const bool last = k + 2 == levels.size();
    const double ratio = guidance ? guidance->ratios[k] : 0.0;
    if (base_prior.defined()) denoiser.set_log_prior(base_prior + guidance->record_logits * ratio);
    Prediction prediction = denoiser.predict(x, a, last ? final_attribution : Attribution::none);
    at::Tensor convex;  // the records' x0 of the last step, before language moved it
    if (guidance && guidance->clip && ratio > 0.0) {
      at::Tensor nudged = guidance->clip->nudge(prediction.x0, *guidance->target, ratio, static_cast<int>(k));
      if (last) {
        result.residual = nudged - prediction.x0;
        convex = prediction.x0;
      }
      prediction.x0 = std::move(nudged);
    }
    if (last) {
      // a_next = 1: sigma = 0 and sqrt(1 - a_next) = 0, so x' = x0.
      result.image = prediction.x0;
      if (convex.defined()) prediction.x0 = convex;
      result.last = std::move(prediction);
      break;
    }
    const double sigma =
        eta > 0.0 ? eta * std::sqrt((1.0 - a_next) / (1.0 - a)) * std::sqrt(1.0 - a / a_next) : 0.0;
    const double direction = std::sqrt(std::max(0.0, 1.0 - a_next - sigma * sigma));
    // x' = sqrt(a') x0 + direction eps with eps = (x - sqrt(a) x0) / sqrt(1 - a), collected as
    // one multiply-add of x0 and x.
    const double eps_scale = direction / std::sqrt(1.0 - a);
    at::Tensor next = at::add(x * eps_scale, prediction.x0,
                              std::sqrt(a_next) - eps_scale * std::sqrt(a));
    if (sigma > 0.0) {
      if (!generator) throw std::invalid_argument("ddim_sample: eta > 0 needs a generator");
      next.add_(at::randn(x.sizes(), *generator, x.options()), sigma);
    }
    x = std::move(next);
  }
  if (base_prior.defined()) denoiser.set_log_prior(base_prior);
  return result;
}

at::Tensor ddim_invert(Denoiser& denoiser, const at::Tensor& image,
                       const std::vector<double>& levels) {
  if (levels.size() < 2) throw std::invalid_argument("ddim_invert: need at least one step");
  at::Tensor x = image.to(at::kFloat).contiguous();
  double current = 1.0;  // the clean image
  // levels = [start, ..., lowest noise, 1.0]: walk it backwards, skipping the final 1.0.
  for (size_t k = levels.size() - 1; k-- > 0;) {
    const double target = levels[k];
    const at::Tensor x0 = denoiser.predict(x, target, Attribution::none).x0;
    const at::Tensor eps = (x - x0 * std::sqrt(target)) / std::sqrt(1.0 - target);
    // The x0 consistent with x at the current level and that eps, moved to the target level.
    const at::Tensor x0_current = (x - eps * std::sqrt(1.0 - current)) / std::sqrt(current);
    x = x0_current * std::sqrt(target) + eps * std::sqrt(1.0 - target);
    current = target;
  }
  return x;
}

}  // namespace palimpsest
