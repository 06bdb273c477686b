#pragma once
// Brute-force reference of the local patch denoisers for tiny images: explicit loops over
// pixels, records, offsets and patch pixels, straight from the definition in
// synth/patch_denoiser.h (borders: both images extended by repeating their edge pixels;
// candidates whose centre leaves the image are excluded). Slow on purpose: it shares no code and
// no algebra (no expansion of the square, no box filters, no streaming) with the fast path.

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace palimpsest::testing {

struct PatchReference {
  at::Tensor x0;    // [3, H, W]
  at::Tensor mass;  // [N, H, W]
};

inline PatchReference brute_force_patch_denoiser(const at::Tensor& x_t, const at::Tensor& records,
                                                 const std::vector<double>& priors,
                                                 double alpha_bar, int patch, int window) {
  const int n = static_cast<int>(records.size(0));
  const int h = static_cast<int>(records.size(2)), w = static_cast<int>(records.size(3));
  const at::Tensor xd = x_t.to(at::kDouble).contiguous();
  const at::Tensor yd = records.to(at::kDouble).contiguous();
  const double* x = xd.data_ptr<double>();
  const double* y = yd.data_ptr<double>();
  auto X = [&](int c, int i, int j) {
    return x[(c * h + std::clamp(i, 0, h - 1)) * w + std::clamp(j, 0, w - 1)];
  };
  auto Y = [&](int r, int c, int i, int j) {
    return y[((r * 3 + c) * h + std::clamp(i, 0, h - 1)) * w + std::clamp(j, 0, w - 1)];
  };
  double prior_sum = 0;
  for (double p : priors) prior_sum += p;
  const double s = std::sqrt(alpha_bar), var = 1.0 - alpha_bar;
  const int radius = patch / 2;

  PatchReference out{at::zeros({3, h, w}, at::kDouble), at::zeros({n, h, w}, at::kDouble)};
  auto x0 = out.x0.accessor<double, 3>();
  auto mass = out.mass.accessor<double, 3>();
  struct Candidate {
    int r, dy, dx;
    double logit;
  };
  for (int i = 0; i < h; ++i) {
    for (int j = 0; j < w; ++j) {
      std::vector<Candidate> candidates;
      double best = -std::numeric_limits<double>::infinity();
      for (int r = 0; r < n; ++r) {
        if (priors[r] <= 0) continue;
        for (int dy = -window; dy <= window; ++dy) {
          for (int dx = -window; dx <= window; ++dx) {
            if (i + dy < 0 || i + dy >= h || j + dx < 0 || j + dx >= w) continue;
            double d = 0;
            for (int a = -radius; a <= radius; ++a) {
              for (int b = -radius; b <= radius; ++b) {
                for (int c = 0; c < 3; ++c) {
                  const double diff = X(c, i + a, j + b) - s * Y(r, c, i + a + dy, j + b + dx);
                  d += diff * diff;
                }
              }
            }
            const double logit = std::log(priors[r] / prior_sum) - d / (2 * var);
            candidates.push_back({r, dy, dx, logit});
            best = std::max(best, logit);
          }
        }
      }
      double total = 0;
      for (const Candidate& k : candidates) total += std::exp(k.logit - best);
      for (const Candidate& k : candidates) {
        const double weight = std::exp(k.logit - best) / total;
        mass[k.r][i][j] += weight;
        for (int c = 0; c < 3; ++c) x0[c][i][j] += weight * Y(k.r, c, i + k.dy, j + k.dx);
      }
    }
  }
  return out;
}

}  // namespace palimpsest::testing
