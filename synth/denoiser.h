#pragma once
// The denoiser interface of the synthesis stage: predict x0 from x_t at a noise level, and say
// which records the prediction drew on.
//
// Internal to synth/ (it speaks ATen tensors); other stages use synth/frame_renderer.h.
// Images are float CHW tensors in [-1, 1] at film resolution; the forward process is
// x_t = sqrt(abar) x0 + sqrt(1 - abar) eps (DDPM), with abar ("alpha-bar") in (0, 1).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "synth/render_settings.h"

namespace palimpsest {

// The records a frame may draw on, with their prior weights pi_i.
struct RecordSet {
  std::vector<std::int64_t> ids;
  at::Tensor images;     // [N, 3, H, W] float32, contiguous, in [-1, 1]
  at::Tensor log_prior;  // [N] float32: log(pi_i / sum pi); -inf where pi_i = 0

  std::int64_t size() const { return static_cast<std::int64_t>(ids.size()); }
  int height() const { return static_cast<int>(images.size(2)); }
  int width() const { return static_cast<int>(images.size(3)); }
};

// log(pi / sum pi) as a float tensor; throws std::invalid_argument unless every prior is finite
// and >= 0 and at least one is positive.
at::Tensor log_prior_tensor(const std::vector<double>& priors);

enum class Attribution {
  none,    // x0 only (intermediate steps)
  frame,   // plus record_weights
  pixels,  // plus record_weights and pixel_weights
};

struct Prediction {
  at::Tensor x0;              // [3, H, W]
  at::Tensor record_weights;  // [N] float64: mean over pixels of pixel_weights; sums to 1
  at::Tensor pixel_weights;   // [N, H, W] float32: each pixel's weights over records sum to 1
};

// Where a denoiser's time went (for the benchmark's stage shares).
struct DenoiserTimings {
  int64_t calls = 0;
  int64_t pairs = 0;      // (record, offset) candidates evaluated exactly, over all calls
  double search_s = 0.0;  // choosing candidates (the windowed coarse search)
  double exact_s = 0.0;   // evaluating candidates and the softmax
};

class Denoiser {
 public:
  virtual ~Denoiser() = default;

  // x0 = sum over candidates of softmax weights times record pixels, so x0 is a convex
  // combination of record pixels at every pixel. `x_t` is [3, H, W]; 0 < alpha_bar < 1.
  virtual Prediction predict(const at::Tensor& x_t, double alpha_bar, Attribution want) = 0;

  // Replaces the priors (same records, same order): frames of an interpolation reuse one
  // denoiser and its precomputed record statistics while the prior slides.
  virtual void set_log_prior(const at::Tensor& log_prior) = 0;

  virtual const RecordSet& records() const = 0;

  const DenoiserTimings& timings() const { return timings_; }
  void reset_timings() { timings_ = {}; }

 protected:
  DenoiserTimings timings_;
};

// The archive backend's denoiser of `kind` over `records`.
std::unique_ptr<Denoiser> make_denoiser(DenoiserKind kind, RecordSet records,
                                        const LocalDenoiserOptions& options);

}  // namespace palimpsest
