#include "synth/pixel_softmax.h"

#include <ATen/ATen.h>

#include <stdexcept>

namespace palimpsest {
namespace {

// Below any real logit, but finite, so that exp(max - new_max) never meets -inf - -inf.
constexpr double kFloor = -1e30;
// A group whose best logit trails the running maximum by more than this at every pixel adds at
// most e^-30 (~1e-13) of the weight anywhere: it is skipped (and weighs exactly 0).
constexpr double kNegligibleGap = 30.0;

std::vector<int64_t> leading_dims(int64_t count) {
  std::vector<int64_t> dims(count);
  for (int64_t i = 0; i < count; ++i) dims[i] = i;
  return dims;
}

}  // namespace

void PixelSoftmax::reset(int64_t channels, int64_t height, int64_t width, int64_t records) {
  const auto options = at::TensorOptions().dtype(at::kFloat);
  for (at::Tensor* scratch : {&group_max_, &scale_, &group_sum_, &product_, &product_sum_}) {
    if (!scratch->defined()) *scratch = at::empty({0}, options);
  }
  max_ = at::full({height, width}, kFloor, options);
  total_ = at::zeros({height, width}, options);
  acc_ = at::zeros({channels, height, width}, options);
  if (records > 0) {
    mass_ = at::zeros({records, height, width}, options);
    mass_ref_ = at::full({records, height, width}, kFloor, options);
  } else {
    mass_ = at::Tensor();
    mass_ref_ = at::Tensor();
  }
  skipped_ = 0;
}

void PixelSoftmax::add(at::Tensor& logits, const at::Tensor& sources,
                       const std::vector<int64_t>& record_of) {
  const int64_t lead = logits.dim() - 2;
  if (lead < 1 || sources.dim() != logits.dim() + 1) {
    throw std::invalid_argument("PixelSoftmax::add: logits [g..., H, W], sources [g..., C, H, W]");
  }
  const std::vector<int64_t> dims = leading_dims(lead);

  // Out-variant buffers are sized first: their storage is reused from group to group.
  const at::IntArrayRef plane = max_.sizes();
  group_max_.resize_(plane);
  scale_.resize_(plane);
  group_sum_.resize_(plane);
  product_sum_.resize_(acc_.sizes());

  // New running maximum; rescale what was accumulated against the old one.
  at::amax_out(group_max_, logits, dims);
  if (at::sub_out(scale_, group_max_, max_).max().item<double>() < -kNegligibleGap) {
    skipped_ += 1;
    return;
  }
  at::maximum_out(group_max_, group_max_, max_);
  at::sub_out(scale_, max_, group_max_).exp_();
  max_.copy_(group_max_);
  total_.mul_(scale_);
  acc_.mul_(scale_);

  // exp(l - max) in place; the group's share of the denominator.
  logits.sub_(max_).exp_();
  at::sum_out(group_sum_, logits, dims);
  total_.add_(group_sum_);

  // acc += sum_k e_k * v_k: one broadcast product over all channels and one reduction.
  product_.resize_(sources.sizes());
  at::mul_out(product_, logits.unsqueeze(lead), sources);
  at::sum_out(product_sum_, product_, dims);
  acc_.add_(product_sum_);

  if (!mass_.defined()) return;
  // Per-record mass, each record relative to its own reference maximum (rescaled only when the
  // record appears again, not on every group).
  const at::Tensor flat = logits.flatten(0, lead - 1);
  const int64_t count = flat.size(0);
  if (static_cast<int64_t>(record_of.size()) != count) {
    throw std::invalid_argument("PixelSoftmax::add: record_of does not match the group");
  }
  int64_t begin = 0;
  while (begin < count) {
    int64_t end = begin + 1;
    while (end < count && record_of[end] == record_of[begin]) ++end;
    const int64_t r = record_of[begin];
    at::Tensor mass = mass_[r];
    at::Tensor ref = mass_ref_[r];
    at::sub_out(scale_, ref, max_).exp_();
    mass.mul_(scale_);
    if (end - begin == 1) {
      mass.add_(flat[begin]);
    } else {
      at::sum_out(group_sum_, flat.narrow(0, begin, end - begin), {0});
      mass.add_(group_sum_);
    }
    ref.copy_(max_);
    begin = end;
  }
}

at::Tensor PixelSoftmax::x0() const { return acc_ / total_; }

at::Tensor PixelSoftmax::record_mass() const {
  if (!mass_.defined()) throw std::logic_error("PixelSoftmax: record mass was not tracked");
  return (mass_ref_ - max_).exp_().mul_(mass_).div_(total_);
}

}  // namespace palimpsest
