// Language guidance at ratio 0 leaves frames exactly as main's code path rendered them before
// language guidance existed (tests/synth/reference_scenarios.h says how the reference was made).

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "tests/common/test_support.h"
#include "tests/synth/reference_scenarios.h"

namespace palimpsest {
namespace {

std::filesystem::path reference_file(const std::string& name) {
  return std::filesystem::path(PALIMPSEST_SOURCE_DIR) / "tests" / "synth" / "reference" / (name + ".txt");
}

// A language target and distinct record scores, as make_film attaches them.
std::vector<FramePlan> with_language(std::vector<FramePlan> plans, GuidanceMode mode, double ratio,
                                     const Schedule& curve) {
  auto target = std::make_shared<LanguageTarget>();
  target->positive = {{1.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f, 0.0f}};
  target->weights = {0.7, 0.3};
  target->negative = {0.0f, 0.0f, 1.0f, 0.0f};
  target->logit_scale = 19.0;
  for (FramePlan& plan : plans) {
    plan.language = target;
    plan.guidance_scale = ratio;
    plan.params.guidance_mode = mode;
    plan.params.guidance_curve = curve;
    for (std::size_t i = 0; i < plan.records.size(); ++i) plan.records[i].language = -0.4 + 0.3 * static_cast<double>(i);
  }
  return plans;
}

TEST(GuidanceZero, ReproducesMainsFramesByteForByte) {
  for (const reference::Scenario& s : reference::scenarios()) {
    const std::string expected = testing::read_file(reference_file(s.name));
    ASSERT_FALSE(expected.empty()) << s.name;
    // Without any language (what main drew), then with language attached at ratio 0 in both
    // modes, and with a ratio whose curve is 0 at every step.
    EXPECT_EQ(reference::describe(render_frames(s.settings, s.plans, reference::record_image)), expected) << s.name;
    for (GuidanceMode mode : {GuidanceMode::records, GuidanceMode::clip}) {
      const auto zero = with_language(s.plans, mode, 0.0, Schedule::constant(1.0));
      EXPECT_EQ(reference::describe(render_frames(s.settings, zero, reference::record_image)), expected)
          << s.name << " " << to_string(mode);
    }
    const auto flat = with_language(s.plans, GuidanceMode::records, 7.0, Schedule::constant(0.0));
    EXPECT_EQ(reference::describe(render_frames(s.settings, flat, reference::record_image)), expected) << s.name;
    // A ratio above 0 does change them (the comparison above can fail).
    const auto pulled = with_language(s.plans, GuidanceMode::records, 7.0, Schedule::constant(1.0));
    EXPECT_NE(reference::describe(render_frames(s.settings, pulled, reference::record_image)), expected) << s.name;
  }
}

TEST(GuidanceZero, DISABLED_WriteReferenceFrames) {
  for (const reference::Scenario& s : reference::scenarios()) {
    const auto frames = render_frames(s.settings, s.plans, reference::record_image);
    std::filesystem::create_directories(reference_file(s.name).parent_path());
    testing::write_file(reference_file(s.name), reference::describe(frames));
  }
}

}  // namespace
}  // namespace palimpsest
