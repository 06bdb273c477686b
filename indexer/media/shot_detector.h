#pragma once
// Hard-cut detection by content difference in HSV, in the spirit of PySceneDetect's
// ContentDetector: the score of a frame is the mean absolute difference of hue, saturation and
// value against the previous frame (each on OpenCV's 8-bit scales, averaged), and a cut is
// declared when it reaches the threshold and the current shot is at least the minimum length.
// Frames are compared at a small size (the caller downsamples), which keeps detection cheap
// next to decoding.

#include <cstdint>
#include <vector>

#include "indexer/media/rgb_image.h"

namespace palimpsest {

struct ShotDetectorOptions {
  double threshold = 27.0;           // on a 0-255 scale, as PySceneDetect's default
  std::int64_t min_shot_ms = 600;    // no cut within this long of the previous one
};

class ShotDetector {
 public:
  explicit ShotDetector(ShotDetectorOptions options = {});

  // Feeds the next frame (all frames must have the same size). Returns true when a new shot
  // starts at this frame. The first frame starts shot 0 and returns false.
  bool update(const RgbImage& frame, std::int64_t ts_ms);

  double last_score() const { return last_score_; }
  int shot_index() const { return shot_index_; }
  std::int64_t shot_start_ms() const { return shot_start_ms_; }

 private:
  ShotDetectorOptions options_;
  std::vector<std::uint8_t> previous_hsv_;
  std::vector<std::uint8_t> current_hsv_;
  double last_score_ = 0;
  int shot_index_ = 0;
  std::int64_t shot_start_ms_ = 0;
};

// Converts RGB24 to HSV with OpenCV's 8-bit conventions (H in [0,180), S and V in [0,255]).
void rgb_to_hsv8(const RgbImage& rgb, std::vector<std::uint8_t>& hsv);

}  // namespace palimpsest
