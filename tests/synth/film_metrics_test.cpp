// Film metrics against values computed by hand on tiny frames.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "schema/catalog_json.h"
#include "synth/film_metrics.h"

namespace palimpsest {
namespace {

// A width x 2 frame whose column x has value columns[x] in every channel.
RgbImage columns(const std::vector<int>& values) {
  RgbImage image(static_cast<int>(values.size()), 2);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < image.width; ++x)
      for (int c = 0; c < 3; ++c) image.row(y)[3 * x + c] = static_cast<std::uint8_t>(values[static_cast<std::size_t>(x)]);
  return image;
}

TEST(FilmMetrics, FlickerIsTheMeanDifferenceAfterTheCamera) {
  const CameraMotion still;
  // |110 - 100| everywhere but one column of four, where |100 - 100|: 3/4 x 10 / 255.
  EXPECT_NEAR(*flicker(columns({100, 100, 100, 100}), columns({110, 110, 100, 110}), still), 7.5 / 255, 1e-12);
  EXPECT_EQ(*flicker(columns({5, 6, 7, 8}), columns({5, 6, 7, 8}), still), 0.0);

  // The camera moves content one pixel right: the new column x shows the old column x - 1, and
  // column 0 shows what was outside the frame, so it is left out.
  CameraMotion right;
  right.translation_x = 1;
  EXPECT_NEAR(*flicker(columns({10, 20, 30, 40}), columns({99, 10, 20, 30}), right), 0.0, 1e-12);
  EXPECT_NEAR(*flicker(columns({10, 20, 30, 40}), columns({99, 11, 22, 33}), right), 2.0 / 255, 1e-12);
  // Nothing overlaps: no flicker to speak of.
  CameraMotion away;
  away.translation_x = 100;
  EXPECT_FALSE(flicker(columns({1, 2}), columns({1, 2}), away));
  EXPECT_THROW(flicker(columns({1, 2}), columns({1, 2, 3}), still), std::invalid_argument);
}

TEST(FilmMetrics, ConcentrationCountsPixelRolesOnly) {
  FrameProvenance p;
  p.entries = {{1, 0.5, ProvenanceRole::keyframe},
               {2, 0.25, ProvenanceRole::denoiser},
               {kLanguageRecord, 0.25, ProvenanceRole::language},
               {9, 0.9, ProvenanceRole::guidance}};
  const auto c = concentration(p);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->first, 0.5);
  EXPECT_NEAR(c->second, -(0.5 * std::log(0.5) + 2 * 0.25 * std::log(0.25)), 1e-12);
  p.entries = {{1, 1.0, ProvenanceRole::keyframe}};
  EXPECT_DOUBLE_EQ(concentration(p)->second, 0.0);
  EXPECT_FALSE(concentration(FrameProvenance{}));
}

TEST(FilmMetrics, ClipScoreAndNoveltyFromTheEmbedding) {
  // The frame embeds to (0.6, 0.8); the shot's terms are x (weight 0.75) and y (0.25); the
  // archive's pictures are x and (0, 1).
  FilmMeter meter([](const RgbImage&) { return std::vector<float>{0.6f, 0.8f}; },
                  nearest_of(std::make_shared<std::vector<std::vector<float>>>(
                      std::vector<std::vector<float>>{{1, 0}, {0, 1}})));
  FramePlan plan;
  auto target = std::make_shared<LanguageTarget>();
  target->positive = {{1, 0}, {0, 1}};
  target->weights = {0.75, 0.25};
  target->negative = {1, 0};  // not part of the CLIP score
  plan.language = target;
  FrameProvenance p;
  p.entries = {{1, 1.0, ProvenanceRole::keyframe}};
  const RgbImage frame = columns({1, 2});
  const FrameMetrics m = meter.measure(frame, p, plan, nullptr);
  EXPECT_NEAR(*m.clip_score, 0.75 * 0.6 + 0.25 * 0.8, 1e-6);
  EXPECT_NEAR(*m.novelty, 1.0 - 0.8, 1e-6);
  EXPECT_FALSE(m.flicker);  // a sequence's first frame
  EXPECT_DOUBLE_EQ(*m.top_share, 1.0);
  EXPECT_TRUE(meter.measure(frame, p, plan, &frame).flicker);

  // Without a model nothing CLIP-based is measured.
  const FrameMetrics bare = FilmMeter(nullptr, nullptr).measure(frame, p, plan, &frame);
  EXPECT_FALSE(bare.clip_score);
  EXPECT_FALSE(bare.novelty);
  EXPECT_EQ(*bare.flicker, 0.0);
}

TEST(FilmMetrics, MeansPerShotSkipWhatWasNotMeasured) {
  std::vector<FilmFrameRow> frames(3);
  frames[0] = {0, 0, true, false, 0.0, {0.2, std::nullopt, 1.0, 0.0, 0.1}};
  frames[1] = {1, 0, true, false, 0.1, {0.4, 0.02, 0.5, 0.7, 0.3}};
  frames[2] = {2, 1, true, false, 0.0, {std::nullopt, std::nullopt, 0.8, 0.5, std::nullopt}};
  const nlohmann::json j = film_metrics_json(frames);
  EXPECT_NEAR(j["film"]["clip_score"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR(j["film"]["flicker"].get<double>(), 0.02, 1e-12);
  EXPECT_NEAR(j["film"]["top_share"].get<double>(), 2.3 / 3, 1e-12);
  EXPECT_EQ(j["film"]["frames"], 3);
  ASSERT_EQ(j["shots"].size(), 2u);
  EXPECT_EQ(j["shots"][1]["shot"], 1);
  EXPECT_TRUE(j["shots"][1]["clip_score"].is_null());
  EXPECT_EQ(j["frames"][1]["language"], 0.1);
}

}  // namespace
}  // namespace palimpsest
