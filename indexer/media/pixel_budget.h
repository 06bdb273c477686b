#pragma once
// Decoding under a pixel budget: no decoder allocates a picture larger than max_pixels, whatever a
// file declares (a 1 MB PNG can declare 16000x16000: 1 GB once decoded). Rules:
// - A still image whose header declares more than the budget (image_header.h) is decoded reduced
//   when its codec can (JPEG: at 1/2, 1/4 or 1/8 of its width and height, the least reduction that
//   fits), and refused otherwise, with an error naming its size and the budget.
// - A video whose frames are larger than the budget is refused the same way.
// - libav is given the same limit (AVCodecContext.max_pixels), for what no header tells.
// The image decoders (decode_image_bytes, MediaDecoder, decode_image_file) take a budget and apply
// these rules; the default suits ingestion on a workstation.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "indexer/media/image_header.h"
#include "schema/error.h"

namespace palimpsest {

struct PixelBudget {
  // 64 million pixels: a 9000x7000 scan. Decoding it takes at most about 450 MB (an RGBA frame and
  // its RGB copy).
  static constexpr std::int64_t kDefaultMaxPixels = 64'000'000;
  std::int64_t max_pixels = kDefaultMaxPixels;
  bool allow_reduced = true;  // false: refuse rather than decode reduced
};

// A picture over the budget (or over what libav can represent), refused before decoding.
class PixelBudgetError : public Error {
 public:
  explicit PixelBudgetError(const std::string& message) : Error(message, 1, 413, "image_too_large") {}
};

struct ReducedDecode {
  int lowres = 0;    // libav's AVCodecContext.lowres: width and height divided by 2^lowres
  std::string note;  // empty at full size; else what was reduced and why (for a warning)
};

// How to decode `image` within `budget`. Throws PixelBudgetError when it cannot be.
ReducedDecode plan_reduced_decode(const DeclaredImage& image, const PixelBudget& budget);

// AVCodecContext.max_pixels for a picture known to be `image` (libav checks it against the full
// size even when decoding reduced, and against rows padded for alignment), or, when no header told
// the size, for the budget.
std::int64_t libav_max_pixels(const DeclaredImage& image);
std::int64_t libav_max_pixels(const PixelBudget& budget);

// "16000x16000 (256 Mpx)"; "64 Mpx" for a budget.
std::string describe_size(std::int64_t width, std::int64_t height);
std::string describe_pixels(std::int64_t pixels);

}  // namespace palimpsest
