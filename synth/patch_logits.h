#pragma once
// Patch-distance logits of the local denoisers, for whole blocks of candidates at once.
//
// A candidate is a record i and an offset d = (dy, dx); at pixel p it proposes the record's pixel
// y_i(p + d) and is scored by the P x P patch around it:
//   logit(p, i, d) = log pi_i - ||x_t[B(p)] - sqrt(abar) y_i[B(p) + d]||^2 / (2 (1 - abar)),
// where B(p) is the P x P window centred on p and both images are extended beyond their borders
// by repeating the edge pixels. Expanding the square,
//   ||x - s y||^2 = box(|x|^2)(p) - 2 s box(x . y_d)(p) + s^2 box(|y|^2)(p + d),
// the first term is the same for every candidate at p and cancels in the softmax; the last is
// precomputed per record and patch size (a shifted view per offset); only the cross term
// box(x . y_d) is computed per step: one product image per candidate and one box filter
// (synth/box_filter.h) over whole [candidates, H, W] tensors. Candidates whose centre p + d
// falls outside the image get -inf. Internal to synth/.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <vector>

#include "synth/box_filter.h"

namespace palimpsest {

class PatchLogits {
 public:
  // `images` [N, 3, H, W]; offsets up to +-window and patches up to max_patch (odd) are served.
  PatchLogits(const at::Tensor& images, int window, int max_patch);

  int64_t records() const { return padded_.size(0); }
  int height() const { return height_; }
  int width() const { return width_; }
  int window() const { return window_; }

  // Call once per denoising step before the logits below: pads x_t for patch size `patch`, sets
  // the softmax temperature 2 (1 - alpha_bar) * variance_scale (the coarse search scores block
  // averages, whose noise variance is smaller) and takes the records' log priors ([N]).
  void begin_step(const at::Tensor& x_t, double alpha_bar, int patch, const at::Tensor& log_prior,
                  double variance_scale = 1.0);

  // Logits [ny, nx, H, W] of record `record` at offsets dy0..dy0+ny-1, dx0..dx0+nx-1; written
  // into `out`.
  void offset_block(int64_t record, int dy0, int ny, int dx0, int nx, at::Tensor& out);
  // Logits [N, K, K, H, W] of every record at every offset, K = 2 window + 1 (offset
  // (a - window, b - window) at [., a, b]): the whole search in a few whole-tensor operations,
  // for small (coarse) images.
  void all_offsets(at::Tensor& out);
  // Logits [n, H, W] of records first..first+n-1 at offset 0.
  void same_location(int64_t first, int64_t n, at::Tensor& out);

  // The candidates' pixels: [ny, nx, 3, H, W] and [n, 3, H, W] views (no copies).
  at::Tensor offset_sources(int64_t record, int dy0, int ny, int dx0, int nx) const;
  at::Tensor same_location_sources(int64_t first, int64_t n) const;

 private:
  // [N, H + 2 window, W + 2 window]: P x P sums of |y|^2 centred on every shifted position.
  const at::Tensor& square_sums(int patch);
  // View of the padded records: record, offsets block, extended by `extend` pixels per side.
  at::Tensor shifted(int64_t record, int dy0, int ny, int dx0, int nx, int extend) const;
  // Box sums of sum_c x_c * view_c ([g..., 3 at channel_dim, H + P - 1, W + P - 1]) into out.
  void cross_box(const at::Tensor& view, int64_t channel_dim, at::Tensor& out);

  int height_, width_, window_, max_patch_, pad_;
  at::Tensor padded_;  // [N, 3, H + 2 pad, W + 2 pad], pad = window + max_patch / 2
  std::map<int, at::Tensor> square_sums_;
  BoxFilter box_;

  // Per step.
  int patch_ = 3;
  at::Tensor x_padded_;  // [3, H + P - 1, W + P - 1]: x_t * sqrt(abar) / var, edge-extended
  at::Tensor bias_;      // [N, H + 2 window, W + 2 window]: abar / (2 var) box(|y|^2) - log pi
  at::Tensor cross_;                                // scratch [g..., H + P - 1, W + P - 1]
};

}  // namespace palimpsest
