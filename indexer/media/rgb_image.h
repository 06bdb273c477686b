#pragma once
// An 8-bit RGB image in memory: the currency between decoders, encoders, embedders and synthesis.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace palimpsest {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // RGB24, row-major, stride = 3 * width

  RgbImage() = default;
  RgbImage(int w, int h) : width(w), height(h), pixels(static_cast<std::size_t>(w) * h * 3, 0) {}
  bool empty() const { return width <= 0 || height <= 0; }
  std::uint8_t* row(int y) { return pixels.data() + static_cast<std::size_t>(y) * width * 3; }
  const std::uint8_t* row(int y) const { return pixels.data() + static_cast<std::size_t>(y) * width * 3; }
};

}  // namespace palimpsest
