#pragma once
// Colour matching in CIELAB (Deforum's colour coherence), internal to synth/.

#include <ATen/core/Tensor.h>

#include "synth/render_settings.h"

namespace palimpsest {

// sRGB (D65) images [3, H, W] in [-1, 1] to CIELAB (L in [0, 100]) and back (clamped to [-1, 1]).
at::Tensor rgb_to_lab(const at::Tensor& rgb);
at::Tensor lab_to_rgb(const at::Tensor& lab);

// `image` with the colour statistics of `reference` (both [3, H, W] in [-1, 1]):
// lab_mean_std moves each LAB channel's mean and standard deviation onto the reference's
// (Reinhard et al. 2001); lab_histogram maps each LAB channel's quantiles onto the reference's
// (rank k of n takes the reference's value of rank round(k (m - 1) / (n - 1))). `none` returns
// the image.
at::Tensor match_colours(const at::Tensor& image, const at::Tensor& reference, ColourMatchMode mode);

}  // namespace palimpsest
