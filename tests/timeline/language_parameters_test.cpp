// The parameters language guidance and abstraction add to the table: guidance_mode,
// guidance_curve, abstraction and chaos - parsing, errors naming the parameter, evaluation per
// frame (chaos within its ranges, from the seed) and the JSON round trip.

#include <gtest/gtest.h>

#include <cmath>

#include "retrieval/timeline/manuscript.h"
#include "retrieval/timeline/timeline.h"

namespace palimpsest {
namespace {

Timeline two_shots() {
  Timeline t;
  t.frame_count = 20;
  for (int i = 0; i < 2; ++i) {
    Shot s;
    s.index = i;
    s.text = "shot";
    s.start_frame = i * 10;
    s.end_frame = i * 10 + 10;
    t.shots.push_back(s);
  }
  return t;
}

std::string error_of(const char* name, const char* value) {
  ParameterSet set;
  try {
    set_parameter(set, name, value);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(LanguageParameters, ParseAndRefuseNamingTheParameter) {
  ParameterSet set;
  EXPECT_TRUE(set_parameter(set, "guidance_mode", "clip"));
  EXPECT_EQ(set.guidance_mode, GuidanceMode::clip);
  EXPECT_TRUE(set_parameter(set, "guidance_curve", "0:(1), 100:(0.2)"));
  EXPECT_DOUBLE_EQ(set.guidance_curve->at(50), 0.6);
  EXPECT_TRUE(set_parameter(set, "abstraction", "0:(0), 10:(1)"));
  EXPECT_TRUE(set_parameter(set, "chaos", "strength=0.2, angle: 3, zoom 0.01"));
  EXPECT_EQ(set.chaos.size(), 3u);
  EXPECT_DOUBLE_EQ(set.chaos[Parameter::angle], 3.0);
  EXPECT_EQ(chaos_to_string(set.chaos), "strength=0.2, zoom=0.01, angle=3");

  EXPECT_NE(error_of("guidance_mode", "pixels").find("guidance_mode: expected records or clip"), std::string::npos);
  EXPECT_NE(error_of("guidance_curve", "0:(1), 120:(0)").find("guidance_curve: key 120 is past 100"), std::string::npos);
  EXPECT_NE(error_of("guidance_curve", "0:(-1)").find("guidance_curve: value -1"), std::string::npos);
  EXPECT_NE(error_of("guidance_curve", "0:(").find("guidance_curve"), std::string::npos);
  EXPECT_NE(error_of("abstraction", "1.5").find("abstraction: value 1.5 at frame 0 is outside 0 .. 1"), std::string::npos);
  EXPECT_NE(error_of("chaos", "colour=3").find("chaos: \"colour\" is not a parameter"), std::string::npos);
  EXPECT_NE(error_of("chaos", "seed=3").find("chaos: \"seed\""), std::string::npos);
  EXPECT_NE(error_of("chaos", "angle=-3").find("chaos: expected a range of 0 or more for angle"), std::string::npos);
}

TEST(LanguageParameters, EvaluatedPerFrameWithShotsOverridingTheFilm) {
  Timeline t = two_shots();
  FrameParameters p = t.evaluate(3);
  EXPECT_EQ(p.guidance_mode, GuidanceMode::records);
  EXPECT_FALSE(p.abstraction);
  EXPECT_EQ(p.guidance_curve, Schedule::constant(1.0));

  set_parameter(t.parameters, "guidance_mode", "clip");
  set_parameter(t.parameters, "abstraction", "0.25");
  set_parameter(t.shots[1].parameters, "guidance_mode", "records");
  set_parameter(t.shots[1].parameters, "guidance_curve", "0:(1), 100:(0)");
  set_parameter(t.shots[1].parameters, "abstraction", "0:(0.5), 9:(1)");
  EXPECT_EQ(t.evaluate(3).guidance_mode, GuidanceMode::clip);
  // Clip mode without a curve of its own guides the last fifth of each frame's steps only.
  const Schedule clip_curve = t.evaluate(3).guidance_curve;
  EXPECT_EQ(clip_curve, parse_guidance_curve(kClipGuidanceCurve));
  EXPECT_DOUBLE_EQ(clip_curve.at(0), 0.0);
  EXPECT_DOUBLE_EQ(clip_curve.at(79), 0.0);
  EXPECT_DOUBLE_EQ(clip_curve.at(80), 1.0);
  EXPECT_DOUBLE_EQ(clip_curve.at(100), 1.0);
  EXPECT_DOUBLE_EQ(*t.evaluate(3).abstraction, 0.25);
  EXPECT_EQ(t.evaluate(12).guidance_mode, GuidanceMode::records);
  EXPECT_DOUBLE_EQ(t.evaluate(12).guidance_curve.at(100), 0.0);
  EXPECT_NEAR(*t.evaluate(19).abstraction, 1.0, 1e-12);  // shot keys count from the shot's start
}

TEST(LanguageParameters, ChaosMovesWithinItsRangesFromTheSeed) {
  Timeline t = two_shots();
  set_parameter(t.parameters, "chaos", "strength=0.2, angle=3, cadence=2");
  set_parameter(t.parameters, "angle", "1");
  // Without abstraction chaos acts at full amplitude; with abstraction 0 not at all.
  int moved = 0;
  for (std::int64_t f = 0; f < 20; ++f) {
    const FrameParameters p = t.evaluate(f);
    EXPECT_GE(p.strength, 0.65 - 0.2 - 1e-12);
    EXPECT_LE(p.strength, 0.65 + 0.2 + 1e-12);
    EXPECT_GE(p.angle, 1 - 3 - 1e-12);
    EXPECT_LE(p.angle, 1 + 3 + 1e-12);
    EXPECT_GE(p.cadence, 1);  // clamped into the range, rounded
    EXPECT_LE(p.cadence, 3);
    moved += p.angle != 1.0;
    EXPECT_EQ(t.evaluate(f), p);  // the same every time
  }
  EXPECT_GT(moved, 15);
  // Different frames (seeds) move differently.
  EXPECT_NE(t.evaluate(4).angle, t.evaluate(5).angle);

  set_parameter(t.parameters, "abstraction", "0");
  for (std::int64_t f = 0; f < 20; ++f) {
    EXPECT_DOUBLE_EQ(t.evaluate(f).angle, 1.0);
    EXPECT_DOUBLE_EQ(t.evaluate(f).strength, 0.65);
  }
  set_parameter(t.parameters, "abstraction", "0.5");
  for (std::int64_t f = 0; f < 20; ++f) EXPECT_LE(std::abs(t.evaluate(f).angle - 1.0), 1.5 + 1e-12);
  // A range that would leave the parameter's range is clamped (strength stays in 0 .. 1).
  set_parameter(t.parameters, "chaos", "strength=5");
  set_parameter(t.parameters, "abstraction", "1");
  for (std::int64_t f = 0; f < 20; ++f) {
    EXPECT_GE(t.evaluate(f).strength, 0.0);
    EXPECT_LE(t.evaluate(f).strength, 1.0);
  }
}

TEST(LanguageParameters, RoundTripThroughJsonAndManuscripts) {
  Timeline t = two_shots();
  t.planned = true;
  set_parameter(t.parameters, "guidance_mode", "clip");
  set_parameter(t.parameters, "chaos", "angle=2");
  set_parameter(t.shots[0].parameters, "guidance_curve", "0:(1), 100:(0.25)");
  set_parameter(t.shots[0].parameters, "abstraction", "0.75");
  const nlohmann::json j = t.to_json(true);
  EXPECT_EQ(j["parameters"]["guidance_mode"], "clip");
  EXPECT_EQ(j["parameters"]["chaos"], "angle=2");
  EXPECT_EQ(j["shots"][0]["parameters"]["abstraction"], "0.75");
  EXPECT_EQ(j["evaluated"]["guidance_mode"][3], "clip");
  EXPECT_EQ(j["evaluated"]["abstraction"][3], 0.75);
  EXPECT_TRUE(j["evaluated"]["abstraction"][13].is_null());
  EXPECT_EQ(Timeline::from_json(j), t);

  // A manuscript directive sets them per shot, with the line and column of a bad value.
  TimelineOptions options;
  const Timeline planned =
      plan_shots("A red circle. [[guidance_mode: clip]] [[guidance_curve: 0:(1), 100:(0)]]\n\nThe sea.\n",
                 ManuscriptFormat::text, options, "m.txt");
  EXPECT_EQ(planned.shots[0].parameters.guidance_mode, GuidanceMode::clip);
  EXPECT_FALSE(planned.shots[1].parameters.guidance_mode);
  try {
    plan_shots("A red circle. [[guidance_mode: loud]]\n", ManuscriptFormat::text, options, "m.txt");
    ADD_FAILURE() << "a bad guidance_mode was taken";
  } catch (const ManuscriptError& e) {
    EXPECT_NE(std::string(e.what()).find("m.txt:1:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("guidance_mode"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace palimpsest
