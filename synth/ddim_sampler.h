#pragma once
// DDIM sampling and inversion with an x0-predicting denoiser (Song, Meng & Ermon 2021).
// Internal to synth/.

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <optional>
#include <vector>

#include "synth/denoiser.h"
#include "synth/frame_plan.h"

namespace palimpsest {

class ClipGuide;

// Language acting on one trajectory (synth/record_guidance.h, synth/clip_guidance.h). Before step
// k the denoiser's log prior becomes (its prior) + ratios[k] x record_logits; after step k, in clip
// mode, x0 moves along the CLIP gradient by ratios[k] (ClipGuide::nudge). The denoiser's prior is
// restored at the end.
struct StepGuidance {
  std::vector<double> ratios;  // one per step: levels.size() - 1
  at::Tensor record_logits;    // [N] float: logit_scale x language score, per unit of ratio
  ClipGuide* clip = nullptr;   // pixel level; null in records mode
  const LanguageTarget* target = nullptr;
};

// x_t = sqrt(abar) x0 + sqrt(1 - abar) eps: the forward process at level abar.
at::Tensor noise_to_level(const at::Tensor& x0, const at::Tensor& eps, double alpha_bar);

struct SampleResult {
  at::Tensor image;      // the final x (the last prediction's x0, plus the residual in clip mode)
  Prediction last;       // the last step's prediction, with the requested attribution
  at::Tensor residual;   // clip mode: image - last.x0, what language drew; undefined otherwise
};

// Runs DDIM from x_start (at noise level levels[0]) through `levels` (decreasing noise; the last
// must be 1.0, which NoiseSchedule::sampling_levels guarantees). Each step, from abar a to a':
//   x0 = D(x, a),  eps = (x - sqrt(a) x0) / sqrt(1 - a),
//   sigma = eta sqrt((1 - a') / (1 - a)) sqrt(1 - a / a'),
//   x' = sqrt(a') x0 + sqrt(1 - a' - sigma^2) eps + sigma z,   z ~ N(0, I) from `generator`.
// eta = 0 is deterministic DDIM. At the last step a' = 1, so sigma = 0 and x' = x0 exactly: the
// output is the denoiser's last x0, a convex combination of record pixels. `final_attribution`
// is what the last prediction reports. `generator` is needed only when eta > 0. With `guidance`
// the language term joins each step; null leaves the trajectory exactly as without it.
SampleResult ddim_sample(Denoiser& denoiser, const at::Tensor& x_start,
                         const std::vector<double>& levels, double eta,
                         std::optional<at::Generator> generator, Attribution final_attribution,
                         const StepGuidance* guidance = nullptr);

// Deterministic DDIM inversion: runs the eta = 0 update backwards from the clean `image` up to
// noise level levels[0], through `levels` (as sampling_levels returns them, noisiest first, the
// final 1.0 standing for the clean image) in reverse. As in common practice (e.g. diffusers'
// DDIMInverseScheduler), each step predicts with the denoiser at the level it moves to.
at::Tensor ddim_invert(Denoiser& denoiser, const at::Tensor& image,
                       const std::vector<double>& levels);

}  // namespace palimpsest
