#include "synth/latent_denoiser.h"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>

namespace palimpsest {

LatentDenoiser::LatentDenoiser(LatentDiffusionModel& model, RecordSet records)
    : model_(model), schedule_(model.schedule()), records_(std::move(records)) {}

void LatentDenoiser::set_conditioning(const at::Tensor& prompt, const at::Tensor& uncond, double scale) {
  if (prompt.sizes() != uncond.sizes())
    throw std::invalid_argument("prompt and unconditional contexts differ in shape");
  contexts_ = at::cat({uncond, prompt}, 0);
  scale_ = scale;
}

int LatentDenoiser::timestep_for(double alpha_bar) const {
  // alpha_bar(t) decreases with t: binary search for the nearest.
  int lo = 0, hi = NoiseSchedule::kTrainingSteps - 1;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (schedule_.alpha_bar(mid) > alpha_bar) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && std::abs(schedule_.alpha_bar(lo - 1) - alpha_bar) < std::abs(schedule_.alpha_bar(lo) - alpha_bar)) --lo;
  return lo;
}

Prediction LatentDenoiser::predict(const at::Tensor& x_t, double alpha_bar, Attribution want) {
  if (!contexts_.defined()) throw std::logic_error("LatentDenoiser: set_conditioning first");
  ++timings_.calls;
  const int t = timestep_for(alpha_bar);
  at::Tensor eps;
  if (scale_ == 1.0) {
    eps = model_.predict_noise(x_t.unsqueeze(0), t, contexts_.slice(0, 1, 2)).squeeze(0);
  } else {
    const at::Tensor both = model_.predict_noise(at::stack({x_t, x_t}), t, contexts_);
    eps = both[0] + scale_ * (both[1] - both[0]);
  }
  Prediction p;
  p.x0 = (x_t - std::sqrt(1.0 - alpha_bar) * eps) / std::sqrt(alpha_bar);
  if (want != Attribution::none) p.record_weights = at::softmax(records_.log_prior.to(at::kDouble), 0);
  return p;
}

void LatentDenoiser::set_log_prior(const at::Tensor& log_prior) { records_.log_prior = log_prior; }

}  // namespace palimpsest
