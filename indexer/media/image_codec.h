#pragma once
// Still-image encoding (JPEG thumbnails, PNG frames) and resizing, all through libav so that the
// project needs no second image library.

#include <string>
#include <string_view>

#include "indexer/media/pixel_budget.h"
#include "indexer/media/rgb_image.h"

namespace palimpsest {

// JPEG bytes (baseline, 4:2:0, full-range YCbCr) of `image`. `quality` is 1..100 as in other
// tools (higher is better; clamped); it maps onto mjpeg's quantiser scale.
// Throws std::runtime_error for an empty image or when encoding fails.
std::string encode_jpeg(const RgbImage& image, int quality = 85);

// Lossless PNG bytes (RGB, 8 bits per channel). Throws std::runtime_error on failure.
std::string encode_png(const RgbImage& image);

// Decodes JPEG or PNG bytes held in memory (thumbnails from the catalog, uploads) to RGB, within
// `budget` (pixel_budget.h): a larger JPEG is decoded reduced, and then `note` (when given) says
// so; a larger PNG is refused with PixelBudgetError. Throws std::runtime_error naming the problem
// for anything else or corrupt data.
RgbImage decode_image_bytes(std::string_view bytes, const PixelBudget& budget = {}, std::string* note = nullptr);

// `image` scaled to exactly width x height: area averaging when shrinking (no aliasing),
// bicubic when enlarging. Each channel is scaled on its own so that colours are not sent through
// a YCbCr round trip. Throws std::runtime_error for empty input or a non-positive target size.
RgbImage resize_image(const RgbImage& image, int width, int height);

// `image` shrunk so that its longer side is at most `max_side`, keeping the aspect ratio (each
// side at least 1 pixel). An image already small enough is returned unchanged (as a copy).
RgbImage fit_within(const RgbImage& image, int max_side);

}  // namespace palimpsest
