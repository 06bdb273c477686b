#include "synth/colour_match.h"

#include <ATen/ATen.h>

#include <stdexcept>

namespace palimpsest {
namespace {

// D65 reference white and the sRGB <-> XYZ matrices (IEC 61966-2-1).
constexpr double kWhite[3] = {0.95047, 1.0, 1.08883};
constexpr double kRgbToXyz[9] = {0.4124564, 0.3575761, 0.1804375,  //
                                 0.2126729, 0.7151522, 0.0721750,  //
                                 0.0193339, 0.1191920, 0.9503041};
constexpr double kXyzToRgb[9] = {3.2404542,  -1.5371385, -0.4985314,  //
                                 -0.9692660, 1.8760108,  0.0415560,   //
                                 0.0556434,  -0.2040259, 1.0572252};
constexpr double kDelta = 6.0 / 29.0;

// [3, H, W] -> [3, H, W]: out_i = sum_j m[i][j] in_j.
at::Tensor mix_channels(const at::Tensor& in, const double* m) {
  return at::stack({in[0] * m[0] + in[1] * m[1] + in[2] * m[2],
                    in[0] * m[3] + in[1] * m[4] + in[2] * m[5],
                    in[0] * m[6] + in[1] * m[7] + in[2] * m[8]});
}

at::Tensor lab_f(const at::Tensor& t) {
  return at::where(t > kDelta * kDelta * kDelta, t.clamp_min(1e-12).pow(1.0 / 3.0),
                   t / (3.0 * kDelta * kDelta) + 4.0 / 29.0);
}

at::Tensor lab_f_inverse(const at::Tensor& f) {
  return at::where(f > kDelta, f.pow(3.0), (f - 4.0 / 29.0) * (3.0 * kDelta * kDelta));
}

}  // namespace

at::Tensor rgb_to_lab(const at::Tensor& rgb) {
  const at::Tensor c = (rgb.to(at::kDouble) + 1.0).mul_(0.5).clamp_(0.0, 1.0);
  const at::Tensor linear = at::where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055).pow(2.4));
  const at::Tensor xyz = mix_channels(linear, kRgbToXyz);
  const at::Tensor fx = lab_f(xyz[0] / kWhite[0]);
  const at::Tensor fy = lab_f(xyz[1] / kWhite[1]);
  const at::Tensor fz = lab_f(xyz[2] / kWhite[2]);
  return at::stack({fy * 116.0 - 16.0, (fx - fy) * 500.0, (fy - fz) * 200.0}).to(at::kFloat);
}

at::Tensor lab_to_rgb(const at::Tensor& lab) {
  const at::Tensor l = lab.to(at::kDouble);
  const at::Tensor fy = (l[0] + 16.0) / 116.0;
  const at::Tensor fx = fy + l[1] / 500.0;
  const at::Tensor fz = fy - l[2] / 200.0;
  const at::Tensor xyz = at::stack({lab_f_inverse(fx) * kWhite[0], lab_f_inverse(fy) * kWhite[1],
                                    lab_f_inverse(fz) * kWhite[2]});
  const at::Tensor linear = mix_channels(xyz, kXyzToRgb).clamp(0.0, 1.0);
  const at::Tensor c = at::where(linear <= 0.0031308, linear * 12.92,
                                 linear.pow(1.0 / 2.4) * 1.055 - 0.055);
  return (c * 2.0 - 1.0).clamp(-1.0, 1.0).to(at::kFloat);
}

at::Tensor match_colours(const at::Tensor& image, const at::Tensor& reference,
                         ColourMatchMode mode) {
  if (mode == ColourMatchMode::none) return image;
  if (image.dim() != 3 || image.size(0) != 3 || reference.dim() != 3 || reference.size(0) != 3) {
    throw std::invalid_argument("match_colours: images must be [3, H, W]");
  }
  const at::Tensor lab = rgb_to_lab(image).flatten(1);      // [3, n]
  const at::Tensor ref = rgb_to_lab(reference).flatten(1);  // [3, m]
  at::Tensor matched;
  if (mode == ColourMatchMode::lab_mean_std) {
    const at::Tensor mean = lab.mean({1}, true), ref_mean = ref.mean({1}, true);
    const at::Tensor std = lab.std({1}, true, true).clamp_min(1e-6);
    const at::Tensor ref_std = ref.std({1}, true, true);
    matched = (lab - mean) / std * ref_std + ref_mean;
  } else {
    // Quantile mapping, every channel at once: sort both, and give the pixel of rank k the
    // reference value of the same quantile.
    const int64_t n = lab.size(1), m = ref.size(1);
    const auto sorted = lab.sort(1);
    const at::Tensor ref_sorted = std::get<0>(ref.sort(1));
    const at::Tensor ranks = at::arange(n, at::TensorOptions().dtype(at::kDouble));
    const at::Tensor quantile =
        n > 1 ? (ranks * (static_cast<double>(m - 1) / (n - 1))).round().to(at::kLong)
              : at::zeros({1}, at::kLong);
    const at::Tensor values = ref_sorted.index_select(1, quantile);  // [3, n] in rank order
    matched = at::empty_like(lab).scatter_(1, std::get<1>(sorted), values);
  }
  return lab_to_rgb(matched.view_as(image.to(at::kFloat)));
}

}  // namespace palimpsest
