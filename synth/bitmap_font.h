#pragma once
// Text drawn into pictures (contact sheet labels) with a small built-in 5 x 7 pixel face: lower
// case (upper case is drawn as lower case), digits and `= . , : - _ ( ) / + % | ? #`; anything else
// is drawn as `?`. No font files, no libtorch.

#include <cstdint>
#include <string_view>

#include "indexer/media/rgb_image.h"

namespace palimpsest {

inline constexpr int kGlyphWidth = 5, kGlyphHeight = 7, kGlyphAdvance = 6;

// Width in pixels of `text` at `scale`.
int text_width(std::string_view text, int scale = 1);
// Draws `text` with its top-left corner at (x, y), clipped to the image.
void draw_text(RgbImage& image, int x, int y, std::string_view text, const std::uint8_t rgb[3], int scale = 1);

}  // namespace palimpsest
