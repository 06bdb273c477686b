#include "indexer/media/shot_detector.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace palimpsest {

void rgb_to_hsv8(const RgbImage& rgb, std::vector<std::uint8_t>& hsv) {
  const std::size_t n = static_cast<std::size_t>(rgb.width) * rgb.height;
  hsv.resize(n * 3);
  const std::uint8_t* p = rgb.pixels.data();
  std::uint8_t* out = hsv.data();
  for (std::size_t i = 0; i < n; ++i, p += 3, out += 3) {
    const int r = p[0], g = p[1], b = p[2];
    const int v = std::max({r, g, b});
    const int delta = v - std::min({r, g, b});
    const int s = v == 0 ? 0 : (255 * delta + v / 2) / v;
    int h = 0;
    if (delta != 0) {
      // Degrees / 2 so the hue fits a byte: [0, 180).
      if (v == r) {
        h = 30 * (g - b) / delta;
      } else if (v == g) {
        h = 60 + 30 * (b - r) / delta;
      } else {
        h = 120 + 30 * (r - g) / delta;
      }
      if (h < 0) h += 180;
    }
    out[0] = static_cast<std::uint8_t>(h);
    out[1] = static_cast<std::uint8_t>(s);
    out[2] = static_cast<std::uint8_t>(v);
  }
}

ShotDetector::ShotDetector(ShotDetectorOptions options) : options_(options) {}

bool ShotDetector::update(const RgbImage& frame, std::int64_t ts_ms) {
  rgb_to_hsv8(frame, current_hsv_);
  if (previous_hsv_.empty()) {
    previous_hsv_.swap(current_hsv_);
    shot_start_ms_ = ts_ms;
    last_score_ = 0;
    return false;
  }
  if (previous_hsv_.size() != current_hsv_.size())
    throw std::invalid_argument("ShotDetector: frame size changed");
  // Sum |dH| + |dS| + |dV| over pixels; the score is the mean over the three channels.
  std::uint64_t sum = 0;
  const std::uint8_t* a = previous_hsv_.data();
  const std::uint8_t* b = current_hsv_.data();
  const std::size_t n = current_hsv_.size();
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<std::uint64_t>(std::abs(a[i] - b[i]));
  last_score_ = static_cast<double>(sum) / static_cast<double>(n);
  previous_hsv_.swap(current_hsv_);
  if (last_score_ >= options_.threshold && ts_ms - shot_start_ms_ >= options_.min_shot_ms) {
    ++shot_index_;
    shot_start_ms_ = ts_ms;
    return true;
  }
  return false;
}

}  // namespace palimpsest
