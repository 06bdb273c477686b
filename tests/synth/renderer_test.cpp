// The synthesis entry point through its public, torch-free API: plans in, frames and provenance
// out.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "synth/frame_renderer.h"
#include "synth/keyframe_interpolation.h"
#include "synth/provenance.h"
#include "tests/synth/reference_scenarios.h"

namespace palimpsest {
namespace {

using reference::kHeight;
using reference::kWidth;
using reference::record_image;

RecordImageSource source() { return [](std::int64_t id) { return record_image(id); }; }

// Records of one family (frames of one shot): a shared picture with small per-record
// differences, so that noise makes them ambiguous at moderate levels.
RgbImage family_image(std::int64_t id) {
  RgbImage image(kWidth, kHeight);
  std::uint32_t state = static_cast<std::uint32_t>(id) * 2654435761u + 1u;
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      state = state * 1664525u + 1013904223u;
      std::uint8_t* p = image.row(y) + x * 3;
      const double base = 128 + 90 * std::sin(x * 0.35) * std::cos(y * 0.3);
      const int v = static_cast<int>(state >> 27) - 16;
      p[0] = static_cast<std::uint8_t>(std::clamp(base + 2 * v, 0.0, 255.0));
      p[1] = static_cast<std::uint8_t>(std::clamp(255 - base + v, 0.0, 255.0));
      p[2] = static_cast<std::uint8_t>(
          std::clamp(60.0 + x * 4 + static_cast<int>((state >> 19) & 31) - 16, 0.0, 255.0));
    }
  }
  return image;
}

RenderSettings settings(DenoiserKind kind) {
  RenderSettings s;
  s.width = kWidth;
  s.height = kHeight;
  s.denoiser = kind;
  s.local.patch.p_max = 7;
  s.local.search.window = 2;
  s.local.search.coarse_factor = 2;
  return s;
}

FrameParams params(int steps = 10) {
  FrameParams p;
  p.steps = steps;
  p.seed = 5;
  return p;
}

FramePlan plan(int frame, std::vector<RecordPrior> records, FrameParams p) {
  FramePlan out;
  out.frame = frame;
  out.records = std::move(records);
  out.params = p;
  return out;
}

double mean_abs_difference(const RgbImage& a, const RgbImage& b) {
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int{a.pixels[i]} - int{b.pixels[i]});
  return sum / static_cast<double>(a.pixels.size());
}

TEST(FrameRenderer, InterpolationMovesWeightsFromAToB) {
  for (DenoiserKind kind : {DenoiserKind::global, DenoiserKind::local}) {
    const Keyframe a{0, {{1, 1.0, true}}, 11};
    const Keyframe b{8, {{2, 1.0, true}}, 12};
    const auto plans = interpolate_keyframes(a, b, params(), false, true, true);
    ASSERT_EQ(plans.size(), 9u);
    const auto frames = render_frames(settings(kind), plans, source());
    ASSERT_EQ(frames.size(), 9u);
    std::vector<double> weight_a;
    for (const RenderedFrame& f : frames) {
      EXPECT_NEAR(f.provenance.pixel_weight_sum(), 1.0, 1e-6) << "frame " << f.frame;
      EXPECT_NEAR(f.provenance.weight_of(1) + f.provenance.weight_of(2), 1.0, 1e-6);
      weight_a.push_back(f.provenance.weight_of(1));
    }
    EXPECT_GT(weight_a.front(), 0.99);
    EXPECT_LT(weight_a.back(), 0.01);
    const double early = (weight_a[0] + weight_a[1] + weight_a[2]) / 3;
    const double late = (weight_a[6] + weight_a[7] + weight_a[8]) / 3;
    EXPECT_GT(early, late + 0.5);
    // The keyframe flags become roles.
    EXPECT_EQ(frames.front().provenance.entries.front().role, ProvenanceRole::keyframe);
  }
}

TEST(FrameRenderer, LedgerWeightsAreThePixelWeightsAndRebuildTheFrame) {
  for (DenoiserKind kind : {DenoiserKind::global, DenoiserKind::local}) {
    RenderSettings s = settings(kind);
    s.pixel_weights = true;
    s.attribution_maps = true;
    std::vector<FramePlan> plans;
    for (int f = 0; f < 3; ++f) {
      FrameParams p = params();
      p.strength = 0.6;
      p.seed = 40 + f;
      plans.push_back(plan(f, {{3, 1.0}, {4, 2.0}, {5, 1.0}}, p));
    }
    std::map<std::int64_t, double> film_share;  // pixel weight per record, over the frames
    int frames = 0;
    for (RenderedFrame& f : render_frames(s, plans, source())) {
      const FrameProvenance& prov = f.provenance;
      const size_t pixels = static_cast<size_t>(kWidth) * kHeight;
      ASSERT_EQ(prov.pixel_weights.size(), prov.pixel_records.size() * pixels);
      // Frame weights = mean of the pixel weights; each pixel's weights sum to 1.
      for (size_t k = 0; k < prov.pixel_records.size(); ++k) {
        const double mean = std::accumulate(prov.pixel_weights.begin() + k * pixels,
                                            prov.pixel_weights.begin() + (k + 1) * pixels, 0.0) /
                            pixels;
        EXPECT_NEAR(mean, prov.weight_of(prov.pixel_records[k]), 1e-6);
      }
      // The frame is the weighted sum of the records' pixels (up to 8-bit rounding).
      double worst = 0, worst_sum = 0;
      for (size_t p = 0; p < pixels; ++p) {
        double sum = 0, rebuilt[3] = {0, 0, 0};
        for (size_t k = 0; k < prov.pixel_records.size(); ++k) {
          const double w = prov.pixel_weights[k * pixels + p];
          sum += w;
          const RgbImage record = record_image(prov.pixel_records[k]);
          for (int c = 0; c < 3; ++c) rebuilt[c] += w * record.pixels[p * 3 + c];
        }
        worst_sum = std::max(worst_sum, std::abs(sum - 1.0));
        for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(rebuilt[c] - f.image.pixels[p * 3 + c]));
      }
      EXPECT_LT(worst_sum, 1e-5);
      EXPECT_LT(worst, 1.01) << "frame " << f.frame;
      // The attribution map paints each pixel in its heaviest record's colour.
      ASSERT_EQ(prov.attribution_map.width, kWidth);
      const std::string png = encode_attribution_png(prov);
      EXPECT_EQ(png.substr(1, 3), "PNG");
      size_t best = 0;
      for (size_t k = 1; k < prov.pixel_records.size(); ++k) {
        if (prov.pixel_weights[k * pixels] > prov.pixel_weights[best * pixels]) best = k;
      }
      std::uint8_t colour[3];
      record_colour(prov.pixel_records[best], colour);
      EXPECT_EQ(prov.attribution_map.pixels[0], colour[0]);
      EXPECT_EQ(prov.attribution_map.pixels[2], colour[2]);
      for (const ProvenanceEntry& e : prov.entries)
        if (e.role != ProvenanceRole::guidance) film_share[e.record_id] += e.weight / 3;
      ++frames;
    }
    double share = 0;
    for (const auto& [id, value] : film_share) share += value;
    EXPECT_NEAR(share, 1.0, 1e-6);
    EXPECT_EQ(frames, 3);
  }
}

TEST(FrameRenderer, StrengthDecidesHowMuchOfThePreviousFrameStays) {
  const std::vector<RecordPrior> records = {{1, 1.0}, {2, 1.0}, {3, 1.0}, {4, 1.0}};
  std::map<double, double> change;
  for (double strength : {0.15, 0.5, 0.95}) {
    for (std::uint64_t seed = 0; seed < 4; ++seed) {
      FrameParams first = params(20);
      first.init = InitMode::record;
      first.init_record_id = 2;
      first.strength = 0.4;
      first.seed = 5 + seed;
      FrameParams second = params(20);
      second.strength = strength;
      second.seed = 77 + seed;
      const auto frames =
          render_frames(settings(DenoiserKind::local), {plan(0, records, first), plan(1, records, second)},
                        [](std::int64_t id) { return family_image(id); });
      change[strength] += mean_abs_difference(frames[0].image, frames[1].image) / 4;
    }
  }
  EXPECT_LT(change[0.15], change[0.5]);
  EXPECT_LT(change[0.5], change[0.95]);
  EXPECT_LT(change[0.15], 4.0);  // low strength keeps most of the previous frame
}

TEST(FrameRenderer, CadenceBlendsWarpedDiffusedFrames) {
  RenderSettings s = settings(DenoiserKind::local);
  std::vector<FramePlan> plans;
  for (int f = 0; f < 7; ++f) {
    FrameParams p = params(8);
    p.cadence = 3;
    p.strength = 0.5;
    p.camera.zoom = 1.03;
    p.seed = 100 + f;
    plans.push_back(plan(f, {{1, 1.0}, {2, 1.0}, {3, 1.0}}, p));
  }
  FrameRenderer renderer(s, source());
  std::vector<RenderedFrame> frames;
  renderer.render(plans, [&](RenderedFrame&& f) { frames.push_back(std::move(f)); });
  ASSERT_EQ(frames.size(), 7u);
  const std::vector<bool> diffused = {true, false, false, true, false, false, true};
  for (int f = 0; f < 7; ++f) {
    EXPECT_EQ(frames[f].frame, f);
    EXPECT_EQ(frames[f].provenance.diffused, diffused[f]) << "frame " << f;
    EXPECT_NEAR(frames[f].provenance.pixel_weight_sum(), 1.0, 1e-6) << "frame " << f;
  }
  EXPECT_EQ(renderer.stats().diffused_frames, 3);
  EXPECT_EQ(renderer.stats().tween_frames, 4);
  // An in-between frame lies between its neighbours.
  const double to_previous = mean_abs_difference(frames[1].image, frames[0].image);
  const double to_next = mean_abs_difference(frames[1].image, frames[3].image);
  const double across = mean_abs_difference(frames[0].image, frames[3].image);
  EXPECT_LT(to_previous, across);
  EXPECT_LT(to_next, across + 1.0);
}

TEST(FrameRenderer, DeterministicForASeed) {
  RenderSettings s = settings(DenoiserKind::local_windowed);
  s.eta = 0.5;
  const auto make = [&](std::uint64_t seed) {
    std::vector<FramePlan> plans;
    for (int f = 0; f < 3; ++f) {
      FrameParams p = params(6);
      p.seed = seed + f;
      p.strength = 0.7;
      p.noise = 0.05;
      p.camera.angle = 2;
      plans.push_back(plan(f, {{1, 1.0}, {2, 1.0}}, p));
    }
    return render_frames(s, plans, source());
  };
  const auto a = make(9), b = make(9), c = make(10);
  for (size_t f = 0; f < a.size(); ++f) {
    EXPECT_EQ(a[f].image.pixels, b[f].image.pixels);
    ASSERT_EQ(a[f].provenance.entries.size(), b[f].provenance.entries.size());
    for (size_t k = 0; k < a[f].provenance.entries.size(); ++k) {
      EXPECT_EQ(a[f].provenance.entries[k].weight, b[f].provenance.entries[k].weight);
    }
  }
  EXPECT_NE(a[0].image.pixels, c[0].image.pixels);
}

TEST(FrameRenderer, RolesInitGuidanceAndKeyframe) {
  FrameParams p = params();
  p.init = InitMode::record;
  p.init_record_id = 9;  // not among the denoiser's records: listed with weight 0
  p.strength = 0.5;
  FramePlan first = plan(0, {{1, 1.0, true}, {2, 1.0}}, p);
  first.guidance = {{500, 0.7}, {501, 0.3}};
  const auto frames = render_frames(settings(DenoiserKind::local), {first}, source());
  const FrameProvenance& prov = frames[0].provenance;
  std::map<std::int64_t, ProvenanceEntry> by_id;
  for (const ProvenanceEntry& e : prov.entries) by_id[e.record_id] = e;
  ASSERT_TRUE(by_id.count(9));
  EXPECT_EQ(by_id[9].role, ProvenanceRole::init);
  EXPECT_EQ(by_id[9].weight, 0.0);
  EXPECT_EQ(by_id[1].role, ProvenanceRole::keyframe);
  if (by_id.count(2)) EXPECT_EQ(by_id[2].role, ProvenanceRole::denoiser);
  EXPECT_EQ(by_id[500].role, ProvenanceRole::guidance);
  EXPECT_DOUBLE_EQ(by_id[500].weight, 0.7);
  EXPECT_NEAR(prov.pixel_weight_sum(), 1.0, 1e-6);
  EXPECT_EQ(to_string(ProvenanceRole::guidance), "guidance");
}

TEST(FrameRenderer, BorrowedKeyframesHaveTheirRoleAndFramesWithoutPicturesAreTheirInit) {
  RenderSettings s = settings(DenoiserKind::global);
  s.attribution_maps = true;
  FramePlan borrowed = plan(0, {{1, 1.0, false, true}}, params());
  FrameParams black = params();
  black.init = InitMode::black;
  FramePlan dark = plan(1, {}, black);
  dark.restart = true;
  dark.guidance = {{500, 1.0}};
  FrameParams from_record = params();
  from_record.init = InitMode::record;
  from_record.init_record_id = 2;
  FramePlan held = plan(2, {}, from_record);
  held.restart = true;
  FrameParams noise = params();
  noise.init = InitMode::noise;
  FramePlan noisy = plan(3, {}, noise);
  noisy.restart = true;
  FramePlan after = plan(4, {{1, 1.0, true}}, params());  // starts a sequence of its own
  const auto frames = render_frames(s, {borrowed, dark, held, noisy, after}, source());
  ASSERT_EQ(frames.size(), 5u);

  ASSERT_FALSE(frames[0].provenance.entries.empty());
  EXPECT_EQ(frames[0].provenance.entries[0].record_id, 1);
  EXPECT_EQ(frames[0].provenance.entries[0].role, ProvenanceRole::borrowed);

  for (std::uint8_t v : frames[1].image.pixels) ASSERT_EQ(v, 0);
  ASSERT_EQ(frames[1].provenance.entries.size(), 1u);  // the guidance only: no record lent a pixel
  EXPECT_EQ(frames[1].provenance.entries[0].role, ProvenanceRole::guidance);
  EXPECT_EQ(frames[1].provenance.pixel_weight_sum(), 0.0);
  EXPECT_TRUE(frames[1].provenance.attribution_map.empty());

  EXPECT_LT(mean_abs_difference(frames[2].image, record_image(2)), 1.0);
  ASSERT_EQ(frames[2].provenance.entries.size(), 1u);
  EXPECT_EQ(frames[2].provenance.entries[0].role, ProvenanceRole::init);
  EXPECT_DOUBLE_EQ(frames[2].provenance.entries[0].weight, 1.0);
  EXPECT_FALSE(frames[2].provenance.attribution_map.empty());

  EXPECT_TRUE(frames[3].provenance.entries.empty());
  EXPECT_GT(mean_abs_difference(frames[3].image, frames[1].image), 20.0);  // noise, not black

  EXPECT_EQ(frames[4].provenance.entries[0].role, ProvenanceRole::keyframe);
  EXPECT_NEAR(frames[4].provenance.pixel_weight_sum(), 1.0, 1e-6);

  FramePlan mid_sequence = plan(1, {}, black);  // no pictures must start a sequence
  EXPECT_THROW(render_frames(s, {after, mid_sequence}, source()), std::invalid_argument);
}

TEST(FrameRenderer, InversionStartsAndEndsOnTheKeyframes) {
  const Keyframe a{0, {{1, 1.0, true}, {3, 0.5}}, 21};
  const Keyframe b{4, {{2, 1.0, true}, {3, 0.5}}, 22};
  FrameParams p = params(12);
  p.strength = 0.7;
  const auto inverted =
      render_frames(settings(DenoiserKind::local), interpolate_keyframes(a, b, p, true, true, true),
                    source());
  EXPECT_LT(mean_abs_difference(inverted.front().image, record_image(1)), 2.0);
  EXPECT_LT(mean_abs_difference(inverted.back().image, record_image(2)), 2.0);
}

TEST(FrameRenderer, RejectsBadPlans) {
  const RenderSettings s = settings(DenoiserKind::global);
  EXPECT_THROW(render_frames(s, {plan(0, {{1, 1.0}}, params()), plan(2, {{1, 1.0}}, params())},
                             source()),
               std::invalid_argument);
  EXPECT_THROW(render_frames(s, {plan(0, {{1, 0.0}}, params())}, source()), std::invalid_argument);
  FrameParams zero = params();
  zero.strength = 0.0;
  EXPECT_THROW(render_frames(s, {plan(0, {{1, 1.0}}, zero)}, source()), std::invalid_argument);
  EXPECT_THROW(render_frames(s, {plan(0, {{404, 1.0}}, params())},
                             [](std::int64_t) -> RgbImage { throw std::runtime_error("no image"); }),
               std::runtime_error);
}

}  // namespace
}  // namespace palimpsest
