#include "retrieval/timeline/schedule.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

std::vector<ScheduleKeyframe> keys(std::string_view text) { return Schedule::parse(text, "p").keyframes(); }

TEST(Schedule, ParsesKeyframes) {
  EXPECT_EQ(keys("0:(0.65), 48:(0.4)"), (std::vector<ScheduleKeyframe>{{0, 0.65}, {48, 0.4}}));
  EXPECT_EQ(keys("  0 : ( 0.65 ) ,\t48:(0.4)  "), (std::vector<ScheduleKeyframe>{{0, 0.65}, {48, 0.4}}));
  EXPECT_EQ(keys("0:(-1.5), 10:(2e-3), 20:(+3), 30:(1E2), 40:(-.5)"),
            (std::vector<ScheduleKeyframe>{{0, -1.5}, {10, 2e-3}, {20, 3}, {30, 100}, {40, -0.5}}));
  EXPECT_EQ(keys("0:0.5, 10:1"), (std::vector<ScheduleKeyframe>{{0, 0.5}, {10, 1}}));  // parentheses optional
  EXPECT_EQ(keys("0:(1),"), (std::vector<ScheduleKeyframe>{{0, 1}}));                   // trailing comma
  EXPECT_EQ(keys("0:(1),\n12:(2)"), (std::vector<ScheduleKeyframe>{{0, 1}, {12, 2}}));
}

TEST(Schedule, SortsUnsortedKeys) {
  EXPECT_EQ(keys("48:(0.4), 0:(0.65), 12:(1)"),
            (std::vector<ScheduleKeyframe>{{0, 0.65}, {12, 1}, {48, 0.4}}));
}

TEST(Schedule, BareNumberIsConstant) {
  Schedule s = Schedule::parse(" 0.5 ", "strength");
  EXPECT_TRUE(s.is_constant());
  EXPECT_EQ(s.at(0), 0.5);
  EXPECT_EQ(s.at(1000), 0.5);
  EXPECT_EQ(Schedule::parse("-2e1", "angle").at(3), -20.0);
  EXPECT_EQ(Schedule::parse("7", "steps").at(3), 7.0);
  EXPECT_EQ(Schedule().at(5), 0.0);
  EXPECT_EQ(Schedule::constant(1.25).at(99), 1.25);
}

TEST(Schedule, InterpolatesLinearlyAndHoldsTheEnds) {
  Schedule s = Schedule::parse("10:(1), 20:(3), 40:(-1)", "zoom");
  EXPECT_DOUBLE_EQ(s.at(0), 1.0);   // before the first key: first value held
  EXPECT_DOUBLE_EQ(s.at(10), 1.0);
  EXPECT_DOUBLE_EQ(s.at(15), 2.0);
  EXPECT_DOUBLE_EQ(s.at(20), 3.0);
  EXPECT_DOUBLE_EQ(s.at(25), 2.0);
  EXPECT_DOUBLE_EQ(s.at(30), 1.0);
  EXPECT_DOUBLE_EQ(s.at(40), -1.0);
  EXPECT_DOUBLE_EQ(s.at(1000), -1.0);  // after the last key: last value held
  EXPECT_DOUBLE_EQ(s.at(-5), 1.0);
  Schedule two = Schedule::parse("0:(0.65), 48:(0.4)", "strength");
  EXPECT_NEAR(two.at(24), 0.525, 1e-12);
  EXPECT_NEAR(two.at(12), 0.5875, 1e-12);
}

TEST(Schedule, RoundTripsThroughText) {
  for (const char* text : {"0.5", "0:(0.65), 48:(0.4)", "10:(1), 20:(-3.25), 40:(1e-07)"}) {
    const Schedule s = Schedule::parse(text, "p");
    EXPECT_EQ(Schedule::parse(s.to_string(), "p"), s) << text << " -> " << s.to_string();
  }
  EXPECT_EQ(Schedule::parse("0:(0.65),48:(0.4)", "p").to_string(), "0:(0.65), 48:(0.4)");
  EXPECT_EQ(Schedule::parse("0:(0.5)", "p").to_string(), "0.5");
}

TEST(Schedule, FromKeyframes) {
  Schedule s = Schedule::from_keyframes({{8, 2}, {0, 0}});
  EXPECT_DOUBLE_EQ(s.at(4), 1.0);
  EXPECT_THROW(Schedule::from_keyframes({}), std::invalid_argument);
  EXPECT_THROW(Schedule::from_keyframes({{1, 1}, {1, 2}}), std::invalid_argument);
  EXPECT_THROW(Schedule::from_keyframes({{-1, 1}}), std::invalid_argument);
}

struct ErrorCase {
  const char* text;
  std::size_t position;  // 1-based
  const char* problem;
};

TEST(Schedule, ErrorsNameParameterPositionAndInput) {
  const ErrorCase cases[] = {
      {"0:(0.65) 48:(0.4)", 10, "expected ',' or the end of the schedule"},
      {"0:(0.65), 48(0.4)", 13, "expected ':'"},
      {"0:(0.65", 8, "expected ')'"},
      {"0:(abc)", 4, "expected a number"},
      {"0:()", 4, "expected a number"},
      {"0:(inf)", 4, "expected a number"},
      {"0:(nan)", 4, "expected a number"},
      {"0:(1), 0:(2)", 8, "duplicate frame 0"},
      {"5:(1), 1:(3), 5:(2)", 15, "duplicate frame 5"},
      {"-1:(0.5)", 1, "frame numbers must be 0 or more"},
      {"1.5:(0.5)", 1, "frame numbers must be whole numbers"},
      {"x:(0.5)", 1, "expected a frame number"},
      {"0:(1),, 2:(3)", 7, "expected a frame number"},
      {"", 1, "empty schedule"},
      {"   ", 4, "empty schedule"},
      {"99999999999999999999:(1)", 1, "frame number out of range"},
      {"0:(0.5*sin(t))", 7, "expected ')'"},
  };
  for (const ErrorCase& c : cases) {
    try {
      Schedule::parse(c.text, "strength");
      ADD_FAILURE() << "no error for \"" << c.text << "\"";
    } catch (const ScheduleError& e) {
      EXPECT_EQ(e.parameter(), "strength");
      EXPECT_EQ(e.input(), c.text);
      EXPECT_EQ(e.problem(), c.problem) << c.text;
      EXPECT_EQ(e.position(), c.position) << c.text;
      EXPECT_EQ(std::string(e.what()), "strength: " + std::string(c.problem) + " at position " +
                                           std::to_string(c.position) + " in \"" + c.text + "\"");
    }
  }
}

TEST(Schedule, ErrorPositionsCountCharactersNotBytes) {
  try {
    Schedule::parse("0:(1), é:(2)", "angle");
    ADD_FAILURE();
  } catch (const ScheduleError& e) {
    EXPECT_EQ(e.position(), 8u);
  }
}

}  // namespace
}  // namespace palimpsest
