#include "synth/camera_warp.h"

#include <ATen/ATen.h>

#include <cmath>

namespace palimpsest {
namespace {

bool is_identity(const Homography& h) {
  const Homography id = identity_homography();
  for (int i = 0; i < 9; ++i) {
    if (std::abs(h[i] - id[i]) > 1e-12) return false;
  }
  return true;
}

}  // namespace

at::Tensor warp_planes(const at::Tensor& planes, const Homography& h) {
  if (is_identity(h)) return planes;
  const int64_t height = planes.size(1), width = planes.size(2);
  const Homography inv = invert(h);
  const auto options = at::TensorOptions().dtype(at::kDouble);
  // Output pixel centres in continuous coordinates, mapped back into the source frame.
  const at::Tensor xs =
      (at::arange(width, options) + 0.5).view({1, width}).expand({height, width});
  const at::Tensor ys =
      (at::arange(height, options) + 0.5).view({height, 1}).expand({height, width});
  const at::Tensor w = xs * inv[6] + ys * inv[7] + inv[8];
  // Points that map behind the camera (w <= 0) are sent far outside and take the border value.
  const at::Tensor behind = w <= 1e-9;
  const at::Tensor safe_w = at::where(behind, at::ones_like(w), w);
  at::Tensor sx = (xs * inv[0] + ys * inv[1] + inv[2]) / safe_w;
  at::Tensor sy = (xs * inv[3] + ys * inv[4] + inv[5]) / safe_w;
  sx = at::where(behind, at::full_like(sx, -1e6), sx);
  sy = at::where(behind, at::full_like(sy, -1e6), sy);
  // grid_sample's normalised coordinates with align_corners = false: u = 2 x / W - 1.
  const at::Tensor grid = at::stack({sx * (2.0 / width) - 1.0, sy * (2.0 / height) - 1.0}, -1)
                              .clamp(-1e4, 1e4)
                              .to(at::kFloat)
                              .unsqueeze(0);
  const at::Tensor input = planes.to(at::kFloat).unsqueeze(0);
  return at::grid_sampler(input, grid, /*interpolation_mode=bilinear*/ 0,
                          /*padding_mode=border*/ 1, /*align_corners=*/false)
      .squeeze(0);
}

}  // namespace palimpsest
