#pragma once
// Pixel-level language guidance (guidance_mode clip): classifier guidance with CLIP, as
// CLIP-guided diffusion does it. At each DDIM step the predicted x0 is cut into views (the whole
// frame's centre square, as CLIP sees a frame, and kCutouts random squares of 1/2 to all of its
// short side), each resized to the model's resolution (area averaging) and encoded by the film's
// CLIP image tower; the mean over views of the language score (synth/record_guidance.h: weighted
// cosine to the terms minus cosine to the negative) is differentiated with libtorch autograd
// with respect to x0, and x0 moves along that gradient:
//     x0' = clamp(x0 + ratio x kClipStep x g / rms(g), -1, 1).
// The views depend only on the step index (the same on every frame), so guidance does not
// itself make frames flicker. The sampler carries on from x0' (synth/ddim_sampler.h).
//
// Provenance: the frame is then c + r, the records' convex combination c plus a residual r.
// At each pixel the language share is the least lambda in [0, 1] with which the pixel is
// (1 - lambda) c + lambda l for a colour l inside [-1, 1]^3:
//     lambda = max over channels of  r / (1 - c)  where r > 0,  -r / (1 + c)  where r < 0,
// so records keep (1 - lambda) of their weights and `language` (kLanguageRecord) takes lambda:
// per pixel and per frame the weights still sum to 1. Internal to synth/.

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "synth/frame_plan.h"

namespace palimpsest {

class ClipEncoder;

inline constexpr int kCutouts = 6;
// x0's step per unit of guidance ratio, in [-1, 1] pixel units (root mean square over pixels).
inline constexpr double kClipStep = 0.004;

class ClipGuide {
 public:
  explicit ClipGuide(ClipEncoder& encoder);

  // The mean language score of x0's views ([3, H, W] in [-1, 1]) and its gradient (same shape).
  struct Gradient {
    double score = 0;
    at::Tensor gradient;
  };
  Gradient gradient(const at::Tensor& x0, const LanguageTarget& target, int step);
  // x0 moved along the gradient by ratio x kClipStep (root mean square), clamped to [-1, 1].
  at::Tensor nudge(const at::Tensor& x0, const LanguageTarget& target, double ratio, int step);
  // The positive similarity of x0's centre view alone (what the film metric's CLIP score sees).
  double similarity(const at::Tensor& x0, const LanguageTarget& target);
  // Seconds spent in gradient() so far.
  double seconds() const { return seconds_; }

 private:
  ClipEncoder& encoder_;
  double seconds_ = 0;
};

// Per-pixel language share lambda ([H, W] float) of a frame c + r (both [3, H, W]).
at::Tensor language_share(const at::Tensor& convex, const at::Tensor& residual);

}  // namespace palimpsest
