#pragma once
// CLIP's image preprocessing without torch: resize the short side to the model resolution
// (bicubic, antialiased like PIL when shrinking), centre crop, scale to [0, 1], normalise.

#include <array>
#include <vector>

#include "indexer/media/rgb_image.h"

namespace palimpsest::clip {

inline constexpr std::array<float, 3> kOpenAiMean = {0.48145466f, 0.4578275f, 0.40821073f};
inline constexpr std::array<float, 3> kOpenAiStd = {0.26862954f, 0.26130258f, 0.27577711f};

struct PreprocessOptions {
  int image_size = 224;
  std::array<float, 3> mean = kOpenAiMean;
  std::array<float, 3> std = kOpenAiStd;
};

// Separable bicubic resampling (a = -0.5) with PIL's support scaling when downsampling, 8-bit
// results after each pass as PIL does. Throws std::invalid_argument for empty sizes.
RgbImage resize_bicubic(const RgbImage& image, int width, int height);

// torchvision CenterCrop: offsets round((size - crop) / 2) with Python's rounding.
RgbImage center_crop(const RgbImage& image, int width, int height);

// The whole transform. Appends 3 * size * size floats (channel-major CHW) to `out`. Throws
// std::invalid_argument for an empty image or malformed pixel buffer.
void preprocess_image(const RgbImage& image, const PreprocessOptions& options,
                      std::vector<float>& out);

}  // namespace palimpsest::clip
