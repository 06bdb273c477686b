#include "indexer/media/pixel_budget.h"

#include <climits>
#include <cstdio>

namespace palimpsest {
namespace {

// libav refuses any picture for which (w + 128) * (h + 128) reaches INT_MAX / 8
// (av_image_check_size2), even when it would decode it reduced.
bool libav_accepts(std::int64_t width, std::int64_t height) {
  return width > 0 && height > 0 && width < INT_MAX / 8 && height < INT_MAX / 8 &&
         (width + 128) * (height + 128) < INT_MAX / 8;
}

std::int64_t reduced(std::int64_t size, int lowres) { return (size + (1 << lowres) - 1) >> lowres; }

}  // namespace

std::int64_t libav_max_pixels(const DeclaredImage& image) { return (image.width + 128) * (image.height + 128); }
std::int64_t libav_max_pixels(const PixelBudget& budget) { return budget.max_pixels + budget.max_pixels / 16; }

std::string describe_pixels(std::int64_t pixels) {
  char text[32];
  if (pixels >= 10'000'000) std::snprintf(text, sizeof text, "%lld Mpx", static_cast<long long>(pixels / 1'000'000));
  else if (pixels >= 1'000'000) std::snprintf(text, sizeof text, "%.1f Mpx", static_cast<double>(pixels) / 1e6);
  else std::snprintf(text, sizeof text, "%lld px", static_cast<long long>(pixels));
  return text;
}

std::string describe_size(std::int64_t width, std::int64_t height) {
  return std::to_string(width) + "x" + std::to_string(height) + " (" + describe_pixels(width * height) + ")";
}

ReducedDecode plan_reduced_decode(const DeclaredImage& image, const PixelBudget& budget) {
  const bool representable = libav_accepts(image.width, image.height);
  if (image.pixels() <= budget.max_pixels && representable) return {};
  const std::string size = "the " + image.format + " image is " + describe_size(image.width, image.height);
  if (!representable) throw PixelBudgetError(size + ", larger than libav can decode even reduced: refused");
  const std::string what = size + ", over the pixel budget of " + describe_pixels(budget.max_pixels);
  if (image.format != "jpeg")
    throw PixelBudgetError(what + ": refused" + (budget.allow_reduced ? " (only JPEG can be decoded reduced)" : ""));
  if (!budget.allow_reduced) throw PixelBudgetError(what + ": refused");
  for (int lowres = 1; lowres <= 3; ++lowres) {
    const std::int64_t w = reduced(image.width, lowres), h = reduced(image.height, lowres);
    if (w * h <= budget.max_pixels)
      return {lowres, what + ": decoded at 1/" + std::to_string(1 << lowres) + " size (" + std::to_string(w) + "x" +
                          std::to_string(h) + ")"};
  }
  throw PixelBudgetError(what + " even at 1/8 size: refused");
}

}  // namespace palimpsest
