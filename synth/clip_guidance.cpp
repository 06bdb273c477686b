#include "synth/clip_guidance.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/clip_model.h"
#include "indexer/clip/clip_preprocess.h"

namespace palimpsest {
namespace {

// A square view of the frame: top-left corner and side, in pixels.
struct View {
  int64_t y = 0, x = 0, side = 0;
};

// splitmix64: the views of a step are the same on every machine and every frame.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::vector<View> views_for(int64_t height, int64_t width, int step, int cutouts) {
  const int64_t short_side = std::min(height, width);
  std::vector<View> views;
  views.push_back({(height - short_side) / 2, (width - short_side) / 2, short_side});
  std::uint64_t state = mix(0x636c6970ull + static_cast<std::uint64_t>(step));
  auto uniform = [&]() {
    state = mix(state);
    return static_cast<double>(state >> 11) / static_cast<double>(1ull << 53);
  };
  for (int i = 0; i < cutouts; ++i) {
    const int64_t side = std::max<int64_t>(1, static_cast<int64_t>(short_side * (0.5 + 0.5 * uniform())));
    const int64_t y = static_cast<int64_t>(uniform() * static_cast<double>(height - side + 1));
    const int64_t x = static_cast<int64_t>(uniform() * static_cast<double>(width - side + 1));
    views.push_back({std::min(y, height - side), std::min(x, width - side), side});
  }
  return views;
}

torch::Tensor unit_rows(const std::vector<std::vector<float>>& rows, const torch::TensorOptions& options) {
  const int64_t dim = static_cast<int64_t>(rows.front().size());
  torch::Tensor out = torch::empty({static_cast<int64_t>(rows.size()), dim}, torch::kFloat);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<int64_t>(rows[i].size()) != dim) throw std::invalid_argument("ClipGuide: text vectors differ in size");
    std::copy(rows[i].begin(), rows[i].end(), out[static_cast<int64_t>(i)].data_ptr<float>());
  }
  out = out / out.norm(2, -1, true).clamp_min(1e-12);
  return out.to(options);
}

// The language score of each view of `x0` (a [3, H, W] tensor that may require grad): [views].
torch::Tensor view_scores(clip::ClipModelImpl& model, const clip::PreprocessOptions& preprocess,
                          const torch::Tensor& x0, const LanguageTarget& target, const std::vector<View>& views) {
  const torch::Tensor first = model.parameters().front();
  const auto options = torch::TensorOptions().device(first.device()).dtype(first.scalar_type());
  const int64_t size = preprocess.image_size;
  std::vector<torch::Tensor> batch;
  batch.reserve(views.size());
  for (const View& v : views) {
    torch::Tensor crop = x0.narrow(1, v.y, v.side).narrow(2, v.x, v.side).unsqueeze(0);
    batch.push_back(torch::adaptive_avg_pool2d(crop, {size, size}));
  }
  torch::Tensor images = (torch::cat(batch, 0) + 1.0) * 0.5;  // [-1, 1] -> [0, 1]
  const torch::Tensor mean = torch::tensor({preprocess.mean[0], preprocess.mean[1], preprocess.mean[2]}).view({1, 3, 1, 1});
  const torch::Tensor std = torch::tensor({preprocess.std[0], preprocess.std[1], preprocess.std[2]}).view({1, 3, 1, 1});
  images = ((images - mean) / std).to(options);
  torch::Tensor features = model.encode_image(images).to(torch::kFloat);
  features = features / features.norm(2, -1, true).clamp_min(1e-12);
  const torch::Tensor positive = unit_rows(target.positive, torch::kFloat);
  const torch::Tensor weights =
      torch::tensor(std::vector<float>(target.weights.begin(), target.weights.end()), torch::kFloat);
  torch::Tensor scores = torch::matmul(features, positive.t()).mul(weights).sum(1);
  if (!target.negative.empty()) scores = scores - torch::matmul(features, unit_rows({target.negative}, torch::kFloat).t()).squeeze(1);
  return scores;
}

}  // namespace

ClipGuide::ClipGuide(ClipEncoder& encoder) : encoder_(encoder) {}

ClipGuide::Gradient ClipGuide::gradient(const at::Tensor& x0, const LanguageTarget& target, int step) {
  if (target.positive.empty()) throw std::invalid_argument("ClipGuide: the target has no terms");
  const auto started = std::chrono::steady_clock::now();
  torch::AutoGradMode grad_mode(true);
  torch::Tensor x = x0.detach().to(torch::kFloat).clone().requires_grad_(true);
  const std::vector<View> views = views_for(x.size(1), x.size(2), step, kCutouts);
  const torch::Tensor score = view_scores(encoder_.module(), encoder_.preprocess_options(), x, target, views).mean();
  const std::vector<torch::Tensor> gradients = torch::autograd::grad({score}, {x});
  Gradient out{score.item<double>(), gradients.front().detach()};
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

at::Tensor ClipGuide::nudge(const at::Tensor& x0, const LanguageTarget& target, double ratio, int step) {
  const Gradient g = gradient(x0, target, step);
  const double rms = g.gradient.pow(2).mean().sqrt().item<double>();
  if (!(rms > 0.0) || !std::isfinite(rms)) return x0;
  return (x0 + g.gradient * (ratio * kClipStep / rms)).clamp(-1.0, 1.0);
}

double ClipGuide::similarity(const at::Tensor& x0, const LanguageTarget& target) {
  torch::NoGradGuard no_grad;
  LanguageTarget positive_only = target;
  positive_only.negative.clear();
  const std::vector<View> views = views_for(x0.size(1), x0.size(2), 0, 0);
  return view_scores(encoder_.module(), encoder_.preprocess_options(), x0.to(torch::kFloat), positive_only, views)
      .item<double>();
}

at::Tensor language_share(const at::Tensor& convex, const at::Tensor& residual) {
  const at::Tensor c = convex.to(at::kFloat);
  const at::Tensor r = residual.to(at::kFloat);
  const at::Tensor up = r.clamp_min(0.0) / (1.0 - c).clamp_min(1e-6);
  const at::Tensor down = (-r).clamp_min(0.0) / (1.0 + c).clamp_min(1e-6);
  return at::maximum(up, down).amax(0).clamp(0.0, 1.0);
}

}  // namespace palimpsest
