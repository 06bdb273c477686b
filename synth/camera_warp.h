#pragma once
// Warping frames (and their per-pixel attribution) along the camera path (internal to synth/).

#include <ATen/core/Tensor.h>

#include "synth/camera_path.h"

namespace palimpsest {

// Resamples `planes` ([C, H, W], any C: an image or per-record attribution maps) so that
// out(p) = in(H^-1 p) for output pixel centres p: bilinear, with the border pixels repeated
// outside the image (Deforum's "replicate" border). Every output value is a convex combination
// of input values, so warped attribution maps still sum to 1 per pixel. An identity homography
// returns the input unchanged.
at::Tensor warp_planes(const at::Tensor& planes, const Homography& h);

}  // namespace palimpsest
