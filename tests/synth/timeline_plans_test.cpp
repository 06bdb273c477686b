// Timeline -> FramePlans: priors sliding between keyframes, cuts per shot, guidance by kind,
// negatives, borrowed pictures, parameter mapping, refusals.
#include <gtest/gtest.h>

#include <map>

#include "synth/timeline_plans.h"

namespace palimpsest {
namespace {

// Records 1..9 are pictures, 10.. are texts.
std::optional<RecordKind> kind_of(std::int64_t id) {
  if (id <= 0 || id >= 100) return std::nullopt;
  return id < 10 ? RecordKind::image : RecordKind::text;
}

Shot shot(int index, std::int64_t start, std::int64_t end, std::vector<ShotKeyframe> keys) {
  Shot s;
  s.index = index;
  s.start_frame = start;
  s.end_frame = end;
  s.keyframes = std::move(keys);
  return s;
}

Timeline two_shots() {
  Timeline t;
  t.frame_count = 20;
  t.planned = true;
  t.shots.push_back(shot(0, 0, 10, {{1, 0}, {2, 8}}));
  t.shots.push_back(shot(1, 10, 20, {{3, 10}}));
  return t;
}

double prior_of(const FramePlan& p, std::int64_t id) {
  for (const auto& r : p.records)
    if (r.record_id == id) return r.prior;
  return 0;
}

TEST(TimelinePlans, PriorSlidesBetweenKeyframesAndHoldsAfterTheLast) {
  const auto plans = frame_plans(two_shots(), kind_of);
  ASSERT_EQ(plans.size(), 20u);
  // Frame 0 is keyframe A's anchor: A dominates, B has only the floor.
  EXPECT_DOUBLE_EQ(prior_of(plans[0], 1), 1.0 + kPriorFloor);
  EXPECT_DOUBLE_EQ(prior_of(plans[0], 2), kPriorFloor);
  // Halfway (frame 4 of 0..8) both weigh the same; the noise blend sits halfway too.
  EXPECT_DOUBLE_EQ(prior_of(plans[4], 1), prior_of(plans[4], 2));
  ASSERT_TRUE(plans[4].blend);
  EXPECT_DOUBLE_EQ(plans[4].blend->mix, 0.5);
  EXPECT_EQ(plans[4].blend->keyframe_a, 1);
  EXPECT_EQ(plans[4].blend->keyframe_b, 2);
  // From B's anchor to the end of the shot, B holds alone.
  for (int f : {8, 9}) {
    EXPECT_EQ(plans[f].records.size(), 1u);
    EXPECT_EQ(plans[f].records[0].record_id, 2);
    EXPECT_TRUE(plans[f].records[0].keyframe);
  }
  // Shot 1 draws on its own keyframe only.
  EXPECT_EQ(plans[15].records.size(), 1u);
  EXPECT_EQ(plans[15].records[0].record_id, 3);
}

TEST(TimelinePlans, EveryShotStartsASequence) {
  const auto plans = frame_plans(two_shots(), kind_of);
  for (const auto& p : plans) EXPECT_EQ(p.restart, p.frame == 0 || p.frame == 10) << p.frame;
}

TEST(TimelinePlans, GuidanceSplitsByKindAndNegativesAreLeftOut) {
  Timeline t = two_shots();
  t.shots[0].guidance = {{12, RecordKind::text, 0.6, 0.5, false}, {5, RecordKind::image, 0.4, 0.4, false}};
  t.shots[0].negatives = {{2, 0.9}};
  const auto plans = frame_plans(t, kind_of);
  const FramePlan& p = plans[4];
  EXPECT_EQ(prior_of(p, 2), 0.0) << "record 2 is near the negative prompt";
  EXPECT_DOUBLE_EQ(prior_of(p, 5), kGuidancePrior * 0.4);
  ASSERT_EQ(p.guidance.size(), 1u);
  EXPECT_EQ(p.guidance[0].record_id, 12);
  EXPECT_DOUBLE_EQ(p.guidance[0].weight, 0.6);
  EXPECT_TRUE(plans[15].guidance.empty());
}

TEST(TimelinePlans, ShotWithoutPicturesBorrowsTheNearestEarlierOne) {
  Timeline t = two_shots();
  t.shots[1].keyframes = {{11, 10}};  // a text record: nothing to draw
  const auto plans = frame_plans(t, kind_of);
  EXPECT_EQ(plans[12].records.size(), 1u);
  EXPECT_EQ(plans[12].records[0].record_id, 2);  // shot 0's last keyframe, held
  EXPECT_TRUE(plans[10].restart);
  // With no earlier pictures, the next shot lends its own.
  Timeline u = two_shots();
  u.shots[0].keyframes = {{11, 0}};
  EXPECT_EQ(frame_plans(u, kind_of)[3].records[0].record_id, 3);
}

TEST(TimelinePlans, BorrowingIsBoundedThenFramesFallBackToTheirInit) {
  Timeline t = two_shots();
  t.fps = 12;
  t.borrow_seconds = 0.25;  // 3 frames
  t.shots[1].keyframes = {{11, 10}};  // a text record: nothing to draw
  set_parameter(t.parameters, "init", "black");
  const auto plans = frame_plans(t, kind_of);
  for (int f : {10, 11, 12}) {
    ASSERT_EQ(plans[f].records.size(), 1u) << f;
    EXPECT_EQ(plans[f].records[0].record_id, 2);
    EXPECT_TRUE(plans[f].records[0].borrowed);
    EXPECT_FALSE(plans[f].records[0].keyframe);
  }
  for (int f = 13; f < 20; ++f) {
    EXPECT_TRUE(plans[f].records.empty()) << f;
    EXPECT_EQ(plans[f].params.init, InitMode::black);
  }
  EXPECT_TRUE(plans[10].restart);
  EXPECT_FALSE(plans[11].restart);
  EXPECT_TRUE(plans[13].restart);  // the pictures change source: a new sequence
  EXPECT_TRUE(plans[14].restart);  // and a frame without pictures is its init alone
  // Own pictures are never marked borrowed.
  for (int f = 0; f < 10; ++f)
    for (const RecordPrior& r : plans[f].records) EXPECT_FALSE(r.borrowed) << f;

  // No borrowing at all: every frame of the shot falls back.
  t.borrow_seconds = 0;
  EXPECT_TRUE(frame_plans(t, kind_of)[10].records.empty());
}

TEST(TimelinePlans, ParametersMapToTheRenderer) {
  Timeline t = two_shots();
  set_parameter(t.parameters, "strength", "0:(0.65)");
  set_parameter(t.parameters, "zoom", "0:(1.0), 10:(1.05)");
  set_parameter(t.parameters, "steps", "0:(7)");
  set_parameter(t.parameters, "cadence", "0:(2)");
  set_parameter(t.shots[1].parameters, "init", "record 3");
  const auto plans = frame_plans(t, kind_of);
  EXPECT_NEAR(plans[3].params.strength, 0.35, 1e-12);  // Deforum's 0.65 kept = img2img 0.35
  EXPECT_NEAR(plans[5].params.camera.zoom, 1.025, 1e-12);
  EXPECT_EQ(plans[5].params.steps, 7);
  EXPECT_EQ(plans[5].params.cadence, 2);
  EXPECT_EQ(plans[12].params.init, InitMode::record);
  EXPECT_EQ(plans[12].params.init_record_id, 3);
  EXPECT_NE(plans[3].params.seed, plans[4].params.seed) << "seed_mode iter";
  // Strength 1 (keep everything) still denoises a little.
  set_parameter(t.parameters, "strength", "0:(1)");
  EXPECT_DOUBLE_EQ(frame_plans(t, kind_of)[3].params.strength, kMinStrength);
}

TEST(TimelinePlans, RefusesWhatCannotBeDrawn) {
  Timeline unplanned = two_shots();
  unplanned.planned = false;
  EXPECT_THROW(frame_plans(unplanned, kind_of), std::invalid_argument);
  Timeline texts_only = two_shots();
  texts_only.shots[0].keyframes = {{11, 0}};
  texts_only.shots[1].keyframes = {{12, 10}};
  try {
    frame_plans(texts_only, kind_of);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no shot"), std::string::npos) << e.what();
  }
  Timeline bad_init = two_shots();
  set_parameter(bad_init.parameters, "init", "record 12");
  EXPECT_THROW(frame_plans(bad_init, kind_of), std::invalid_argument);
}

}  // namespace
}  // namespace palimpsest
