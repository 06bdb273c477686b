#pragma once
// The Denoiser interface over a latent diffusion model: x0 from the model's epsilon prediction
// with classifier-free guidance (internal to synth/).

#include <memory>

#include "synth/denoiser.h"
#include "synth/latent_model.h"
#include "synth/noise_schedule.h"

namespace palimpsest {

class LatentDenoiser : public Denoiser {
 public:
  // `records`: ids and priors only (images unused); the attribution is the normalised prior.
  LatentDenoiser(LatentDiffusionModel& model, RecordSet records);

  // Conditioning for the following predictions: contexts [1, L, D] of the prompt and of the
  // unconditional (or negative) text, and the guidance scale (1 = the prompt alone).
  void set_conditioning(const at::Tensor& prompt, const at::Tensor& uncond, double scale);

  // x0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar) with eps from the model at the timestep whose
  // alpha-bar is nearest to `alpha_bar` in the model's schedule.
  Prediction predict(const at::Tensor& x_t, double alpha_bar, Attribution want) override;
  void set_log_prior(const at::Tensor& log_prior) override;
  const RecordSet& records() const override { return records_; }

  // The training timestep nearest to a noise level (exposed for tests).
  int timestep_for(double alpha_bar) const;

 private:
  LatentDiffusionModel& model_;
  NoiseSchedule schedule_;
  RecordSet records_;
  at::Tensor contexts_;  // [2, L, D]: uncond, prompt
  double scale_ = 1.0;
};

}  // namespace palimpsest
