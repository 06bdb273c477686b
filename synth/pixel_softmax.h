#pragma once
// A per-pixel softmax over candidates that arrive in groups, accumulated with a streaming
// log-sum-exp (the running-maximum rescaling of online softmax, Milakov & Gimelshein 2018):
// each group's logits are seen once, never all candidates at once, so memory stays bounded by
// the group size however many records and offsets compete. Internal to synth/.
//
// For logits l_k(p) and candidate pixels v_k(p) it yields, per pixel p,
//   x0(p) = sum_k softmax_k(l(p)) v_k(p)   and   mass_r(p) = sum_{k of record r} softmax_k(l(p)).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace palimpsest {

class PixelSoftmax {
 public:
  // Starts a new softmax over [channels, height, width] images. With records > 0, the mass of
  // each record is tracked too (for attribution).
  void reset(int64_t channels, int64_t height, int64_t width, int64_t records);

  // One group of G candidates. `logits` is [g..., H, W] (contiguous; overwritten), `sources` is
  // [g..., C, H, W] (any strides): candidate k's pixels. `record_of` gives the record of each of
  // the G candidates in the flattened order of the leading dimensions; candidates of one record
  // must be consecutive within a group. -inf logits are allowed (masked candidates), but every
  // pixel must have a finite logit in the first group. A group that trails the running maximum
  // by more than 30 (a weight below e^-30) at every pixel is skipped: its weights are 0.
  void add(at::Tensor& logits, const at::Tensor& sources, const std::vector<int64_t>& record_of);

  at::Tensor x0() const;             // [C, H, W]
  at::Tensor record_mass() const;    // [records, H, W]; sums to 1 over records at every pixel
  int64_t skipped_groups() const { return skipped_; }

 private:
  at::Tensor max_;       // [H, W] running maximum logit
  at::Tensor total_;     // [H, W] sum of exp(l - max_)
  at::Tensor acc_;       // [C, H, W] sum of exp(l - max_) * v
  at::Tensor mass_;      // [R, H, W] per-record sum of exp(l - mass_ref_)
  at::Tensor mass_ref_;  // [R, H, W] the maximum each record's mass is relative to
  at::Tensor group_max_, scale_, group_sum_, product_, product_sum_;  // scratch
  int64_t skipped_ = 0;
};

}  // namespace palimpsest
