// --vary's values: commas, `|`, and a schedule written with keys, which holds commas itself.
#include <gtest/gtest.h>

#include "synth/sweep.h"

namespace palimpsest {
namespace {

using Values = std::vector<std::string>;

TEST(SweepAxes, ValuesSplitAtCommasOrAtBars) {
  EXPECT_EQ(parse_vary("guidance=0, 3,7").values, (Values{"0", "3", "7"}));
  EXPECT_EQ(parse_vary("cfg=3").name, "guidance");
  EXPECT_EQ(parse_vary("guidance_curve=0:(1), 100:(0.2)|0.5").values, (Values{"0:(1), 100:(0.2)", "0.5"}));
}

TEST(SweepAxes, ALoneScheduleWithKeysIsOneValue) {
  // Split at its commas it would be two one-key schedules, neither the one meant.
  const SweepAxis curve = parse_vary("guidance_curve=0:(0), 79:(0), 80:(1)");
  EXPECT_EQ(curve.values, (Values{"0:(0), 79:(0), 80:(1)"}));
  EXPECT_EQ(parse_vary("strength= 0:(0.5), 10:(0.7) ").values, (Values{"0:(0.5), 10:(0.7)"}));
  // Still checked as a whole: a key past 100 is refused naming the parameter.
  try {
    parse_vary("guidance_curve=0:(1), 150:(0)");
    ADD_FAILURE() << "a key past 100 was accepted";
  } catch (const SweepError& e) {
    EXPECT_NE(std::string(e.what()).find("guidance_curve"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("150"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace palimpsest
