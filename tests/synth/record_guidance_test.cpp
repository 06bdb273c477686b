// Record-level language guidance: the shot's words become a target, each record a score, and the
// score pulls the denoiser's weight towards records like the text (more with a larger ratio) and
// away from records like the negative prompt, frames staying convex combinations of records.

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "retrieval/timeline/manuscript.h"
#include "synth/ddim_sampler.h"
#include "synth/global_denoiser.h"
#include "synth/noise.h"
#include "synth/noise_schedule.h"
#include "synth/record_guidance.h"
#include "synth/tensor_image.h"
#include "tests/synth/reference_scenarios.h"

namespace palimpsest {
namespace {

// A three-dimensional "CLIP space": red, sea and city are the axes.
std::vector<float> text_vector(const std::string& text) {
  if (text == "red") return {1, 0, 0};
  if (text == "sea") return {0, 1, 0};
  if (text == "city") return {0, 0, 1};
  return {0.577f, 0.577f, 0.577f};
}

// Record 1 is red, 2 the sea, 3 both, 4 the city; record 5 has no vector.
std::optional<std::vector<float>> record_vector(std::int64_t id) {
  switch (id) {
    case 1: return std::vector<float>{1, 0, 0};
    case 2: return std::vector<float>{0, 1, 0};
    case 3: return std::vector<float>{0.7071f, 0.7071f, 0};
    case 4: return std::vector<float>{0, 0, 1};
    default: return std::nullopt;
  }
}

int encoded_texts = 0;
RecordGuidance guidance(double logit_scale = 1.0) {
  return RecordGuidance(
      [](const std::vector<std::string>& texts) {
        std::vector<std::vector<float>> out;
        for (const std::string& t : texts) out.push_back(text_vector(t));
        encoded_texts += static_cast<int>(texts.size());
        return out;
      },
      record_vector, logit_scale);
}

Timeline one_shot(const std::vector<PromptTerm>& terms, const std::string& negative, std::int64_t frames = 3) {
  Timeline t;
  t.frame_count = frames + 1;  // the last frame is a gap
  Shot s;
  s.text = "the shot";
  s.terms = terms;
  s.negative = negative;
  s.start_frame = 0;
  s.end_frame = frames;
  t.shots.push_back(s);
  t.planned = true;
  return t;
}

TEST(RecordGuidance, ScoresAreTheWeightedTermsMinusTheNegative) {
  const Timeline timeline = one_shot({{"red", 1.5}, {"sea", 0.5}}, "city");
  std::vector<FramePlan> plans(4);
  for (int f = 0; f < 4; ++f) {
    plans[f].frame = f;
    plans[f].records = {{1, 1.0}, {2, 1.0}, {3, 1.0}, {4, 1.0}, {5, 1.0}};
  }
  encoded_texts = 0;
  RecordGuidance g = guidance(19.0);
  const std::vector<std::string> warnings = g.attach(timeline, plans);
  EXPECT_EQ(encoded_texts, 3);  // red, sea, city: once each for all frames
  ASSERT_TRUE(plans[0].language);
  EXPECT_EQ(plans[0].language, plans[2].language);  // one target per shot
  EXPECT_FALSE(plans[3].language);                   // the gap frame has no words
  EXPECT_DOUBLE_EQ(plans[0].language->logit_scale, 19.0);
  ASSERT_EQ(plans[0].language->weights.size(), 2u);
  EXPECT_DOUBLE_EQ(plans[0].language->weights[0], 0.75);
  EXPECT_NEAR(plans[0].records[0].language, 0.75, 1e-6);                       // red
  EXPECT_NEAR(plans[0].records[1].language, 0.25, 1e-6);                       // sea
  EXPECT_NEAR(plans[0].records[2].language, (0.75 + 0.25) * 0.7071, 1e-4);     // both
  EXPECT_NEAR(plans[0].records[3].language, -1.0, 1e-6);                       // the negative
  EXPECT_EQ(plans[0].records[4].language, 0.0);                                // no vector
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("1 record(s) have no CLIP vector"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("(5)"), std::string::npos) << warnings[0];
  // A second attach encodes nothing again.
  g.attach(timeline, plans);
  EXPECT_EQ(encoded_texts, 3);
}

TEST(RecordGuidance, AShotWithoutTermsUsesItsText) {
  Timeline timeline = one_shot({}, "");
  timeline.shots[0].text = "sea";
  RecordGuidance g = guidance();
  std::vector<FramePlan> plans(1);
  plans[0].records = {{2, 1.0}};
  g.attach(timeline, plans);
  ASSERT_TRUE(plans[0].language);
  EXPECT_TRUE(plans[0].language->negative.empty());
  EXPECT_NEAR(plans[0].records[0].language, 1.0, 1e-6);
}

// One frame from noise over records 1..4 (equal priors), guided towards `positive` and away from
// `negative`.
std::map<std::int64_t, double> weights(DenoiserKind kind, double ratio, const std::string& positive,
                                       const std::string& negative, std::uint64_t seed) {
  RenderSettings settings;
  settings.width = reference::kWidth;
  settings.height = reference::kHeight;
  settings.denoiser = kind;
  settings.local.patch.p_max = 7;
  std::vector<FramePlan> plans(1);
  plans[0].records = {{1, 1.0}, {2, 1.0}, {3, 1.0}, {4, 1.0}};
  plans[0].params.steps = 12;
  plans[0].params.seed = seed;
  plans[0].guidance_scale = ratio;
  RecordGuidance g = guidance();
  g.attach(one_shot({{positive, 1.0}}, negative, 1), plans);
  const auto frames = render_frames(settings, plans, reference::record_image);
  std::map<std::int64_t, double> out;
  double sum = 0;
  for (const ProvenanceEntry& e : frames[0].provenance.entries) {
    out[e.record_id] = e.weight;
    sum += e.weight;
  }
  EXPECT_NEAR(sum, 1.0, 1e-6);  // still a convex combination of records
  EXPECT_EQ(out.count(kLanguageRecord), 0u);
  return out;
}

// Means over seeds: a single trajectory can settle on one record either way, the mean moves.
constexpr int kSeeds = 8;

TEST(RecordGuidance, WeightMovesToTheTextMonotonicallyInTheRatio) {
  for (DenoiserKind kind : {DenoiserKind::global, DenoiserKind::local}) {
    std::vector<double> red;
    for (double ratio : {0.0, 1.0, 3.0, 8.0}) {
      double mean = 0;
      for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) mean += weights(kind, ratio, "red", "", seed)[1] / kSeeds;
      red.push_back(mean);
    }
    for (std::size_t i = 1; i < red.size(); ++i)
      EXPECT_GE(red[i], red[i - 1] - 1e-9) << to_string(kind) << " ratio step " << i;
    EXPECT_GT(red.back(), red.front() + 0.3) << to_string(kind);
  }
}

TEST(RecordGuidance, TheNegativeMovesWeightAway) {
  for (DenoiserKind kind : {DenoiserKind::global, DenoiserKind::local}) {
    double with = 0, without = 0, unguided = 0;
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
      with += weights(kind, 1.0, "sea", "red", seed)[1];
      without += weights(kind, 1.0, "sea", "", seed)[1];
      unguided += weights(kind, 0.0, "sea", "red", seed)[1];
    }
    EXPECT_LT(with, without) << to_string(kind);
    EXPECT_LT(with, unguided) << to_string(kind);
  }
}

// The global denoiser's coefficient-space DDIM applies the language term as the generic sampler
// does, and the generic sampler gives the denoiser its prior back.
TEST(RecordGuidance, CoefficientSpaceSamplingAgreesWithTheGenericSampler) {
  at::Generator generator = seeded_generator(3);
  const at::Tensor y = at::rand({4, 3, 12, 16}, generator, at::TensorOptions().dtype(at::kFloat)) * 2 - 1;
  const RecordSet set{{1, 2, 3, 4}, y.contiguous(), log_prior_tensor({1, 1, 2, 1})};
  GlobalDenoiser fast(set), slow(set);
  const std::vector<double> levels = NoiseSchedule(ScheduleKind::cosine).sampling_levels(10, 1.0);
  StepGuidance guidance;
  for (std::size_t k = 0; k + 1 < levels.size(); ++k)
    guidance.ratios.push_back(4.0 * (1.0 - static_cast<double>(k) / static_cast<double>(levels.size() - 2)));
  guidance.record_logits = at::tensor(std::vector<float>{2.0f, -1.0f, 0.5f, 0.0f});
  const at::Tensor x = noise_to_level(at::zeros({3, 12, 16}), gaussian_noise(5, {3, 12, 16}), levels[0]);

  const SampleResult a = fast.sample_ddim(x, levels, Attribution::frame, &guidance);
  const SampleResult b = ddim_sample(slow, x, levels, 0.0, std::nullopt, Attribution::frame, &guidance);
  EXPECT_LT((a.last.record_weights - b.last.record_weights).abs().max().item<double>(), 1e-4);
  EXPECT_LT((a.image - b.image).abs().max().item<double>(), 1e-3);
  EXPECT_FALSE(b.residual.defined());  // records mode draws nothing of its own
  EXPECT_TRUE(slow.records().log_prior.equal(set.log_prior));

  const SampleResult plain = fast.sample_ddim(x, levels, Attribution::frame);
  EXPECT_GT((a.last.record_weights - plain.last.record_weights).abs().max().item<double>(), 1e-3);
}

}  // namespace
}  // namespace palimpsest
