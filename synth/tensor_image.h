#pragma once
// Conversions between 8-bit RgbImages and the float CHW tensors the sampler works on
// (internal to synth/).

#include <ATen/core/Tensor.h>

#include "indexer/media/rgb_image.h"

namespace palimpsest {

// [3, H, W] float32 in [-1, 1]: v / 127.5 - 1.
at::Tensor image_to_tensor(const RgbImage& image);

// The tensor ([3, H, W], any float range) clamped to [-1, 1] and rounded to 8 bits.
RgbImage tensor_to_image(const at::Tensor& chw);

// `image` scaled to cover width x height (keeping its aspect ratio) and centre-cropped to it:
// how records of any shape become film-sized images.
RgbImage cover_frame(const RgbImage& image, int width, int height);

}  // namespace palimpsest
