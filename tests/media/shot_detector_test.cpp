#include "indexer/media/shot_detector.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

RgbImage solid(int r, int g, int b, int w = 32, int h = 18) {
  RgbImage img(w, h);
  for (std::size_t i = 0; i < img.pixels.size(); i += 3) {
    img.pixels[i] = static_cast<std::uint8_t>(r);
    img.pixels[i + 1] = static_cast<std::uint8_t>(g);
    img.pixels[i + 2] = static_cast<std::uint8_t>(b);
  }
  return img;
}

TEST(ShotDetector, HsvMatchesOpenCvConventions) {
  std::vector<std::uint8_t> hsv;
  rgb_to_hsv8(solid(255, 0, 0, 1, 1), hsv);
  EXPECT_EQ(hsv, (std::vector<std::uint8_t>{0, 255, 255}));
  rgb_to_hsv8(solid(0, 255, 0, 1, 1), hsv);
  EXPECT_EQ(hsv, (std::vector<std::uint8_t>{60, 255, 255}));
  rgb_to_hsv8(solid(0, 0, 255, 1, 1), hsv);
  EXPECT_EQ(hsv, (std::vector<std::uint8_t>{120, 255, 255}));
  rgb_to_hsv8(solid(128, 128, 128, 1, 1), hsv);
  EXPECT_EQ(hsv, (std::vector<std::uint8_t>{0, 0, 128}));
}

TEST(ShotDetector, CutsOnlyOnLargeChanges) {
  ShotDetector detector;
  EXPECT_FALSE(detector.update(solid(20, 40, 200), 0));
  // Gentle brightness drift inside a shot.
  for (int i = 1; i <= 30; ++i) EXPECT_FALSE(detector.update(solid(20, 40, 200 - i), i * 40));
  EXPECT_TRUE(detector.update(solid(230, 200, 30), 31 * 40));
  EXPECT_EQ(detector.shot_index(), 1);
  EXPECT_EQ(detector.shot_start_ms(), 31 * 40);
  EXPECT_GE(detector.last_score(), 27.0);
}

TEST(ShotDetector, RespectsTheMinimumShotLength) {
  ShotDetectorOptions options;
  options.min_shot_ms = 600;
  ShotDetector detector(options);
  detector.update(solid(0, 0, 0), 0);
  EXPECT_TRUE(detector.update(solid(255, 255, 255), 1000));
  // A flash 200 ms later is not a new shot...
  EXPECT_FALSE(detector.update(solid(0, 0, 0), 1200));
  // ...but a change 700 ms after the last cut is.
  EXPECT_TRUE(detector.update(solid(255, 255, 255), 1700));
}

}  // namespace
}  // namespace palimpsest
