#include "synth/global_denoiser.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace palimpsest {
namespace {

// A block of records whose products fit in about 1 MB (a core's L2 on the machines we target),
// at least one record: the products are summed while they are still in cache.
constexpr int64_t kBlockBytes = 1 << 20;
// A record whose weight relative to the running maximum is below this contributes nothing that
// float32 pixels can show; it is skipped (weight exactly 0 in the attribution).
constexpr double kNegligible = 1e-12;

}  // namespace

GlobalDenoiser::GlobalDenoiser(RecordSet records) : records_(std::move(records)) {
  if (records_.images.dim() != 4 || records_.size() < 1) {
    throw std::invalid_argument("GlobalDenoiser: records must be a non-empty [N, 3, H, W]");
  }
  records_.images = records_.images.to(at::kFloat).contiguous();
  flat_ = records_.images.view({records_.size(), -1});
  const at::Tensor norms = flat_.to(at::kDouble).pow(2).sum(1).contiguous();
  square_norms_.assign(norms.data_ptr<double>(), norms.data_ptr<double>() + norms.numel());
  block_ = std::max<int64_t>(1, kBlockBytes / (flat_.size(1) * 4));
  set_log_prior(records_.log_prior);
}

void GlobalDenoiser::set_log_prior(const at::Tensor& log_prior) {
  if (log_prior.dim() != 1 || log_prior.size(0) != records_.size()) {
    throw std::invalid_argument("set_log_prior: one prior per record expected");
  }
  records_.log_prior = log_prior.to(at::kFloat).contiguous();
  const at::Tensor priors = log_prior.to(at::kDouble).contiguous();
  log_prior_.assign(priors.data_ptr<double>(), priors.data_ptr<double>() + priors.numel());
}

std::vector<double> GlobalDenoiser::softmax_weights(const std::vector<double>& logits) {
  double best = -std::numeric_limits<double>::infinity();
  for (double l : logits) best = std::max(best, l);
  if (std::isinf(best)) throw std::runtime_error("GlobalDenoiser: no record has a positive prior");
  std::vector<double> weights(logits.size(), 0.0);
  double total = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double e = std::exp(logits[i] - best);
    if (e > kNegligible) {
      weights[i] = e;
      total += e;
    }
  }
  for (double& w : weights) w /= total;
  return weights;
}

std::vector<double> GlobalDenoiser::record_dots(const at::Tensor& v) {
  const at::Tensor flat = v.to(at::kFloat).contiguous().view({-1});
  if (!products_.defined()) products_ = at::empty({0}, at::kFloat);
  products_.resize_({1, flat_.size(1)});
  at::Tensor dot = at::empty({1}, at::kDouble);
  std::vector<double> dots(records_.size());
  for (int64_t i = 0; i < records_.size(); ++i) {
    at::mul_out(products_, flat_.narrow(0, i, 1), flat);
    at::sum_out(dot, products_, {1}, false, at::kDouble);
    dots[i] = dot.item<double>();
  }
  return dots;
}

Prediction GlobalDenoiser::make_prediction(std::vector<double> weights, int64_t height,
                                           int64_t width, Attribution want) {
  const int64_t n = records_.size();
  at::Tensor acc = at::zeros({flat_.size(1)}, at::kFloat);
  for (int64_t i = 0; i < n; ++i) {
    if (weights[i] > 0.0) acc.add_(flat_[i], weights[i]);
  }
  Prediction prediction;
  prediction.x0 = acc.view({3, height, width});
  if (want != Attribution::none) {
    prediction.record_weights = at::tensor(weights, at::kDouble);
    if (want == Attribution::pixels) {
      prediction.pixel_weights = prediction.record_weights.to(at::kFloat)
                                     .view({n, 1, 1})
                                     .expand({n, height, width})
                                     .contiguous();
    }
  }
  weights_ = std::move(weights);
  return prediction;
}

SampleResult GlobalDenoiser::sample_ddim(const at::Tensor& x_start,
                                         const std::vector<double>& levels,
                                         Attribution final_attribution, const StepGuidance* guidance) {
  if (levels.size() < 2 || levels.back() != 1.0) {
    throw std::invalid_argument("sample_ddim: levels must end at 1.0 and hold a start level");
  }
  if (guidance && guidance->ratios.size() + 1 != levels.size()) {
    throw std::invalid_argument("sample_ddim: one guidance ratio per step expected");
  }
  std::vector<double> language;  // logit_scale x score per record, per unit of ratio
  if (guidance && guidance->record_logits.defined()) {
    const at::Tensor l = guidance->record_logits.to(at::kDouble).contiguous();
    language.assign(l.data_ptr<double>(), l.data_ptr<double>() + l.numel());
  }
  const auto started = std::chrono::steady_clock::now();
  const int64_t n = records_.size();
  if (gram_.empty()) {
    // G_ij = y_i . y_j: one record against all later ones at a time, accumulated in double.
    gram_.assign(static_cast<size_t>(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      const at::Tensor row =
          (flat_.narrow(0, i, n - i) * flat_[i]).sum({1}, false, at::kDouble).contiguous();
      for (int64_t j = i; j < n; ++j) {
        gram_[i * n + j] = gram_[j * n + i] = row.data_ptr<double>()[j - i];
      }
    }
  }
  const std::vector<double> start_dots = record_dots(x_start);

  // x = a z + sum_i c_i y_i.
  double a = 1.0;
  std::vector<double> c(n, 0.0), logits(n), weights;
  SampleResult result;
  for (size_t k = 0; k + 1 < levels.size(); ++k) {
    const double ab = levels[k], ab_next = levels[k + 1];
    if (!(ab > 0.0 && ab < 1.0)) {
      throw std::invalid_argument("sample_ddim: levels must be in (0, 1)");
    }
    const double s = std::sqrt(ab), var = 1.0 - ab;
    const double ratio = language.empty() ? 0.0 : guidance->ratios[k];
    for (int64_t j = 0; j < n; ++j) {
      if (std::isinf(log_prior_[j])) {
        logits[j] = -std::numeric_limits<double>::infinity();
        continue;
      }
      double dot = a * start_dots[j];
      for (int64_t i = 0; i < n; ++i) dot += c[i] * gram_[i * n + j];
      logits[j] = log_prior_[j] - (ab * square_norms_[j] - 2.0 * s * dot) / (2.0 * var);
      if (ratio != 0.0) logits[j] += ratio * language[j];
    }
    weights = softmax_weights(logits);
    timings_.calls += 1;
    timings_.pairs += n;
    if (k + 2 == levels.size()) break;  // the last step's x0 is the output
    // The DDIM update (eta = 0) in coefficients: x' = A x + B x0 (see ddim_sample).
    const double scale = std::sqrt(1.0 - ab_next) / std::sqrt(var);
    const double to_x0 = std::sqrt(ab_next) - scale * s;
    a *= scale;
    for (int64_t i = 0; i < n; ++i) c[i] = scale * c[i] + to_x0 * weights[i];
  }
  result.last = make_prediction(std::move(weights), x_start.size(1), x_start.size(2),
                                final_attribution);
  result.image = result.last.x0;
  timings_.exact_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

Prediction GlobalDenoiser::predict(const at::Tensor& x_t, double alpha_bar, Attribution want) {
  if (!(alpha_bar > 0.0 && alpha_bar < 1.0)) {
    throw std::invalid_argument("GlobalDenoiser: alpha_bar must be in (0, 1)");
  }
  const auto started = std::chrono::steady_clock::now();
  const int64_t n = records_.size();
  const double s = std::sqrt(alpha_bar), var = 1.0 - alpha_bar;
  const at::Tensor x = x_t.to(at::kFloat).contiguous().view({-1});

  if (!acc_.defined()) acc_ = at::empty({flat_.size(1)}, at::kFloat);
  acc_.zero_();
  std::vector<double> logits(n, -std::numeric_limits<double>::infinity());
  std::vector<bool> used(n, false);
  double running_max = -std::numeric_limits<double>::infinity();
  double total = 0.0;

  for (int64_t first = 0; first < n; first += block_) {
    const int64_t count = std::min(block_, n - first);
    const at::Tensor block = flat_.narrow(0, first, count);
    // Dot products x . y_i of the block: an elementwise product and a row sum (the BLAS this
    // libtorch links is the reference one, slower than this vectorised path).
    if (!products_.defined()) products_ = at::empty({0}, at::kFloat);
    products_.resize_({count, flat_.size(1)});
    at::mul_out(products_, block, x);
    if (!dots_.defined()) dots_ = at::empty({0}, at::kFloat);
    dots_.resize_({count});
    at::sum_out(dots_, products_, {1});  // float, with ATen's cascade summation
    const float* dot = dots_.data_ptr<float>();

    double block_max = -std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < count; ++k) {
      const int64_t i = first + k;
      if (std::isinf(log_prior_[i])) continue;
      logits[i] = log_prior_[i] - (alpha_bar * square_norms_[i] - 2.0 * s * dot[k]) / (2.0 * var);
      block_max = std::max(block_max, logits[i]);
    }
    if (block_max > running_max) {
      // Online softmax: rescale what was accumulated against the new maximum.
      if (total > 0.0) {
        const double scale = std::exp(running_max - block_max);
        acc_.mul_(scale);
        total *= scale;
      }
      running_max = block_max;
    }
    // The block is still in cache: add its share of x0 now.
    for (int64_t k = 0; k < count; ++k) {
      const int64_t i = first + k;
      const double e = std::exp(logits[i] - running_max);
      if (!(e > kNegligible)) continue;
      acc_.add_(block[k], e);
      total += e;
      used[i] = true;
    }
  }
  if (!(total > 0.0)) throw std::runtime_error("GlobalDenoiser: no record has a positive prior");

  // Final weights against the final maximum; records skipped as negligible weigh exactly 0, so
  // x0 is exactly sum_i w_i y_i with these weights.
  weights_.assign(n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    if (used[i]) weights_[i] = std::exp(logits[i] - running_max) / total;
  }
  Prediction prediction;
  prediction.x0 = (acc_ / total).view_as(x_t);
  if (want != Attribution::none) {
    prediction.record_weights = at::tensor(weights_, at::kDouble);
    if (want == Attribution::pixels) {
      prediction.pixel_weights = prediction.record_weights.to(at::kFloat)
                                     .view({n, 1, 1})
                                     .expand({n, x_t.size(1), x_t.size(2)})
                                     .contiguous();
    }
  }
  timings_.calls += 1;
  timings_.pairs += n;
  timings_.exact_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return prediction;
}

}  // namespace palimpsest
