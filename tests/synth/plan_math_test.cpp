// The torch-free parts of synthesis: prior blending, the provenance ledger, record colours and
// camera homographies.

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <stdexcept>

#include "synth/camera_path.h"
#include "synth/keyframe_interpolation.h"
#include "synth/provenance.h"

namespace palimpsest {
namespace {

TEST(BlendPriors, SlidesFromAToBOverTheUnion) {
  const std::vector<RecordPrior> a = {{1, 3.0, true}, {2, 1.0}};
  const std::vector<RecordPrior> b = {{2, 1.0}, {3, 1.0, true}};
  const auto at0 = blend_priors(a, b, 0.0);
  ASSERT_EQ(at0.size(), 3u);
  EXPECT_DOUBLE_EQ(at0[0].prior, 0.75);
  EXPECT_DOUBLE_EQ(at0[1].prior, 0.25);
  EXPECT_DOUBLE_EQ(at0[2].prior, 0.0);  // B's record is present with no weight yet
  const auto mid = blend_priors(a, b, 0.5);
  EXPECT_DOUBLE_EQ(mid[0].prior, 0.375);
  EXPECT_DOUBLE_EQ(mid[1].prior, 0.125 + 0.25);  // shared record: both shares
  EXPECT_DOUBLE_EQ(mid[2].prior, 0.25);
  EXPECT_TRUE(mid[0].keyframe);
  EXPECT_TRUE(mid[2].keyframe);
  double total = 0;
  for (const auto& r : mid) total += r.prior;
  EXPECT_DOUBLE_EQ(total, 1.0);
  EXPECT_THROW(blend_priors(a, b, 1.5), std::invalid_argument);
}

TEST(InterpolateKeyframes, PlansCarrySeedsAndMix) {
  const Keyframe a{10, {{1, 1.0, true}}, 7};
  const Keyframe b{14, {{2, 1.0, true}}, 8};
  FrameParams params;
  params.steps = 12;
  const auto plans = interpolate_keyframes(a, b, params, true, false, true);
  ASSERT_EQ(plans.size(), 4u);
  EXPECT_TRUE(plans[0].restart);
  EXPECT_FALSE(plans[1].restart);
  for (size_t k = 0; k < plans.size(); ++k) {
    EXPECT_EQ(plans[k].frame, 10 + static_cast<int>(k));
    ASSERT_TRUE(plans[k].blend);
    EXPECT_DOUBLE_EQ(plans[k].blend->mix, k / 4.0);
    EXPECT_EQ(plans[k].blend->seed_a, 7u);
    EXPECT_EQ(plans[k].blend->seed_b, 8u);
    EXPECT_EQ(plans[k].blend->keyframe_a, 1);
    EXPECT_EQ(plans[k].blend->keyframe_b, 2);
    EXPECT_TRUE(plans[k].blend->invert);
    EXPECT_EQ(plans[k].params.steps, 12);
  }
  EXPECT_EQ(representative_record({{4, 5.0}, {5, 1.0, true}}), 5);  // keyframes first
  EXPECT_EQ(representative_record({{4, 5.0}, {5, 1.0}}), 4);
  EXPECT_THROW(interpolate_keyframes(b, a, params, false, false, false), std::invalid_argument);
}

TEST(FrameProvenance, PixelWeightsLeaveGuidanceOut) {
  FrameProvenance f0;
  f0.frame = 0;
  f0.entries = {{1, 0.75, ProvenanceRole::keyframe},
                {2, 0.25, ProvenanceRole::denoiser},
                {9, 0.6, ProvenanceRole::guidance}};
  EXPECT_DOUBLE_EQ(f0.pixel_weight_sum(), 1.0);
  EXPECT_DOUBLE_EQ(f0.weight_of(1), 0.75);
  EXPECT_DOUBLE_EQ(f0.weight_of(9), 0.0);  // guidance draws no pixels
  EXPECT_DOUBLE_EQ(f0.weight_of(5), 0.0);  // not in the frame
  EXPECT_THROW(encode_attribution_png(f0), std::invalid_argument);  // no map was made
}

TEST(RecordColour, StableAndDistinct) {
  std::set<std::array<int, 3>> colours;
  for (std::int64_t id = 1; id <= 40; ++id) {
    std::uint8_t a[3], b[3];
    record_colour(id, a);
    record_colour(id, b);
    EXPECT_EQ(a[0], b[0]);
    EXPECT_EQ(a[2], b[2]);
    colours.insert({a[0] / 8, a[1] / 8, a[2] / 8});
  }
  EXPECT_GE(colours.size(), 36u);
}

TEST(CameraPath, HomographyAlgebra) {
  CameraMotion motion;
  motion.zoom = 1.1;
  motion.angle = 7;
  motion.translation_x = 3;
  motion.rotation_3d_y = 2;
  motion.translation_z = 4;
  const Homography h = camera_homography(motion, 320, 192);
  const Homography round_trip = compose(invert(h), h);
  const Homography id = identity_homography();
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(round_trip[i] / round_trip[8], id[i], 1e-9);

  CameraMotion zoom;
  zoom.zoom = 2.0;
  const Homography z = camera_homography(zoom, 100, 60);
  double x = 0, y = 0;
  ASSERT_TRUE(apply(z, 50, 30, x, y));  // the centre stays
  EXPECT_NEAR(x, 50, 1e-9);
  EXPECT_NEAR(y, 30, 1e-9);
  ASSERT_TRUE(apply(z, 60, 30, x, y));  // 10 px right of the centre -> 20 px
  EXPECT_NEAR(x, 70, 1e-9);
  CameraMotion turn;
  turn.angle = 90;  // counter-clockwise on screen: right of the centre goes up
  ASSERT_TRUE(apply(camera_homography(turn, 100, 60), 60, 30, x, y));
  EXPECT_NEAR(x, 50, 1e-9);
  EXPECT_NEAR(y, 20, 1e-9);
  EXPECT_TRUE(CameraMotion{}.is_identity());
  CameraMotion bad;
  bad.zoom = 0;
  EXPECT_THROW(camera_homography(bad, 10, 10), std::invalid_argument);
}

}  // namespace
}  // namespace palimpsest
