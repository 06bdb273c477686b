#include "synth/patch_logits.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace palimpsest {
namespace {

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

}  // namespace

PatchLogits::PatchLogits(const at::Tensor& images, int window, int max_patch)
    : height_(static_cast<int>(images.size(2))),
      width_(static_cast<int>(images.size(3))),
      window_(window),
      max_patch_(max_patch),
      pad_(window + max_patch / 2) {
  if (images.dim() != 4 || images.size(1) != 3) {
    throw std::invalid_argument("PatchLogits: records must be [N, 3, H, W]");
  }
  if (window < 0 || max_patch < 1 || max_patch % 2 == 0) {
    throw std::invalid_argument("PatchLogits: window >= 0 and an odd max_patch are required");
  }
  // Replicate padding needs the pad to be smaller than the image side.
  if (pad_ >= height_ || pad_ >= width_) {
    throw std::invalid_argument("PatchLogits: image smaller than window + patch radius");
  }
  padded_ = at::replication_pad2d(images.to(at::kFloat).contiguous(), {pad_, pad_, pad_, pad_});
}

const at::Tensor& PatchLogits::square_sums(int patch) {
  auto it = square_sums_.find(patch);
  if (it != square_sums_.end()) return it->second;
  const int radius = patch / 2;
  const at::Tensor squares = padded_.pow(2).sum(1);  // [N, Hp, Wp]
  const int64_t first = pad_ - window_ - radius;
  const at::Tensor region = squares.narrow(1, first, height_ + 2 * window_ + patch - 1)
                                .narrow(2, first, width_ + 2 * window_ + patch - 1);
  at::Tensor sums;
  box_.box_sums(region, patch, sums);
  return square_sums_.emplace(patch, sums.contiguous()).first->second;
}

at::Tensor PatchLogits::shifted(int64_t record, int dy0, int ny, int dx0, int nx,
                                int extend) const {
  if (dy0 < -window_ || dy0 + ny - 1 > window_ || dx0 < -window_ || dx0 + nx - 1 > window_) {
    throw std::out_of_range("PatchLogits: offset outside the search window");
  }
  const int64_t hp = padded_.size(2), wp = padded_.size(3);
  const int64_t offset = padded_.storage_offset() + record * 3 * hp * wp +
                         (pad_ + dy0 - extend) * wp + (pad_ + dx0 - extend);
  return padded_.as_strided({ny, nx, 3, height_ + 2 * extend, width_ + 2 * extend},
                            {wp, 1, hp * wp, wp, 1}, offset);
}

void PatchLogits::begin_step(const at::Tensor& x_t, double alpha_bar, int patch,
                             const at::Tensor& log_prior, double variance_scale) {
  if (patch < 1 || patch % 2 == 0 || patch > max_patch_) {
    throw std::invalid_argument("PatchLogits: patch size must be odd and <= max_patch");
  }
  if (!(alpha_bar > 0.0 && alpha_bar < 1.0)) {
    throw std::invalid_argument("PatchLogits: alpha_bar must be in (0, 1)");
  }
  if (log_prior.dim() != 1 || log_prior.size(0) != padded_.size(0)) {
    throw std::invalid_argument("PatchLogits: one log prior per record expected");
  }
  patch_ = patch;
  const int radius = patch / 2;
  const double s = std::sqrt(alpha_bar), var = (1.0 - alpha_bar) * variance_scale;
  // logit = (s / var) box(x . y_d) - (abar / (2 var)) box(|y|^2)(p + d) + log pi.
  // The first factor goes into x (so the box filter already yields logit units), the rest into a
  // per-record bias computed once per step: each candidate block then costs one subtraction.
  const at::Tensor x = x_t.to(at::kFloat).mul(s / var).unsqueeze(0);
  x_padded_ = radius > 0 ? at::replication_pad2d(x, {radius, radius, radius, radius}).squeeze(0)
                         : x.squeeze(0).contiguous();
  const at::Tensor prior = log_prior.to(at::kFloat).view({-1, 1, 1});
  bias_ = square_sums(patch).mul(alpha_bar / (2.0 * var)).sub_(prior);
}

void PatchLogits::cross_box(const at::Tensor& view, int64_t channel_dim, at::Tensor& out) {
  // cross = sum_c x_c * y_c over the extended domain, then its P x P box sums.
  std::vector<int64_t> sizes = view.select(channel_dim, 0).sizes().vec();
  if (!cross_.defined()) cross_ = at::empty({0}, padded_.options());
  cross_.resize_(sizes);
  at::mul_out(cross_, view.select(channel_dim, 0), x_padded_[0]);
  cross_.addcmul_(view.select(channel_dim, 1), x_padded_[1]);
  cross_.addcmul_(view.select(channel_dim, 2), x_padded_[2]);
  box_.box_sums(cross_, patch_, out);
}

void PatchLogits::offset_block(int64_t record, int dy0, int ny, int dx0, int nx, at::Tensor& out) {
  cross_box(shifted(record, dy0, ny, dx0, nx, patch_ / 2), 2, out);
  const int64_t w2 = bias_.size(2);
  const int64_t plane = bias_.size(1) * w2;
  const at::Tensor bias_view = bias_.as_strided(
      {ny, nx, height_, width_}, {w2, 1, w2, 1},
      bias_.storage_offset() + record * plane + (window_ + dy0) * w2 + (window_ + dx0));
  out.sub_(bias_view);

  // Candidates whose centre pixel p + d lies outside the image propose no pixel.
  for (int a = 0; a < ny; ++a) {
    const int dy = dy0 + a;
    if (dy > 0) out[a].narrow(1, height_ - dy, dy).fill_(kMinusInfinity);
    if (dy < 0) out[a].narrow(1, 0, -dy).fill_(kMinusInfinity);
  }
  for (int b = 0; b < nx; ++b) {
    const int dx = dx0 + b;
    if (dx > 0) out.select(1, b).narrow(2, width_ - dx, dx).fill_(kMinusInfinity);
    if (dx < 0) out.select(1, b).narrow(2, 0, -dx).fill_(kMinusInfinity);
  }
}

void PatchLogits::all_offsets(at::Tensor& out) {
  const int radius = patch_ / 2;
  const int64_t n = padded_.size(0), k = 2 * window_ + 1;
  const int64_t hp = padded_.size(2), wp = padded_.size(3);
  const int64_t corner = pad_ - window_ - radius;
  const at::Tensor view = padded_.as_strided(
      {n, k, k, 3, height_ + 2 * radius, width_ + 2 * radius},
      {3 * hp * wp, wp, 1, hp * wp, wp, 1}, padded_.storage_offset() + corner * wp + corner);
  cross_box(view, 3, out);
  const int64_t w2 = bias_.size(2);
  out.sub_(bias_.as_strided({n, k, k, height_, width_}, {bias_.size(1) * w2, w2, 1, w2, 1},
                            bias_.storage_offset()));
  for (int a = 0; a < k; ++a) {
    const int d = a - window_;
    at::Tensor rows = out.select(1, a);  // [N, K, H, W]
    if (d > 0) rows.narrow(2, height_ - d, d).fill_(kMinusInfinity);
    if (d < 0) rows.narrow(2, 0, -d).fill_(kMinusInfinity);
    at::Tensor columns = out.select(2, a);  // [N, K, H, W]
    if (d > 0) columns.narrow(3, width_ - d, d).fill_(kMinusInfinity);
    if (d < 0) columns.narrow(3, 0, -d).fill_(kMinusInfinity);
  }
}

void PatchLogits::same_location(int64_t first, int64_t n, at::Tensor& out) {
  const int radius = patch_ / 2;
  cross_box(padded_.narrow(0, first, n)
                .narrow(2, pad_ - radius, height_ + 2 * radius)
                .narrow(3, pad_ - radius, width_ + 2 * radius),
            1, out);
  out.sub_(bias_.narrow(0, first, n).narrow(1, window_, height_).narrow(2, window_, width_));
}

at::Tensor PatchLogits::offset_sources(int64_t record, int dy0, int ny, int dx0, int nx) const {
  return shifted(record, dy0, ny, dx0, nx, 0);
}

at::Tensor PatchLogits::same_location_sources(int64_t first, int64_t n) const {
  return padded_.narrow(0, first, n).narrow(2, pad_, height_).narrow(3, pad_, width_);
}

}  // namespace palimpsest
