// The archive backend's closed-form denoisers against references that share none of their
// algebra: a per-record loop for the global one, explicit loops (tests/synth/patch_reference.h)
// for the patch ones.

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "synth/coarse_search.h"
#include "synth/ddim_sampler.h"
#include "synth/denoiser.h"
#include "synth/global_denoiser.h"
#include "synth/noise.h"
#include "synth/noise_schedule.h"
#include "synth/patch_denoiser.h"
#include "synth/patch_schedule.h"
#include "tests/synth/patch_reference.h"

namespace palimpsest {
namespace {

at::Tensor random_records(int n, int h, int w, std::uint64_t seed) {
  at::Generator g = seeded_generator(seed);
  return at::rand({n, 3, h, w}, g, at::TensorOptions().dtype(at::kFloat)) * 2 - 1;
}

// Spatially smooth records (coarse structure plus some detail), like photographs: block averages
// still tell offsets apart, which the coarse search relies on.
at::Tensor smooth_records(int n, int h, int w, std::uint64_t seed) {
  at::Generator g = seeded_generator(seed);
  const auto options = at::TensorOptions().dtype(at::kFloat);
  const at::Tensor coarse = at::rand({n, 3, h / 4, w / 4}, g, options) * 2 - 1;
  const at::Tensor detail = at::rand({n, 3, h, w}, g, options) * 2 - 1;
  return (at::upsample_bilinear2d(coarse, {h, w}, false) * 0.7 + detail * 0.3).clamp(-1, 1);
}

RecordSet make_set(const at::Tensor& images, const std::vector<double>& priors) {
  std::vector<std::int64_t> ids;
  for (size_t i = 0; i < priors.size(); ++i) ids.push_back(static_cast<std::int64_t>(100 + i));
  return RecordSet{ids, images.contiguous(), log_prior_tensor(priors)};
}

double max_abs(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

TEST(GlobalDenoiser, MatchesPerRecordSoftmax) {
  const at::Tensor y = random_records(5, 12, 16, 1);
  const std::vector<double> priors = {1, 2, 0.5, 3, 1};
  const double abar = 0.7;
  const at::Tensor x = y[3] * std::sqrt(abar) + gaussian_noise(2, {3, 12, 16}) * std::sqrt(1 - abar);

  GlobalDenoiser denoiser(make_set(y, priors));
  const Prediction p = denoiser.predict(x, abar, Attribution::pixels);

  // Reference: w_i = softmax(log pi_i - ||x - sqrt(abar) y_i||^2 / (2 (1 - abar))), in double.
  std::vector<double> logits;
  for (int i = 0; i < 5; ++i) {
    const double d = (x.to(at::kDouble) - y[i].to(at::kDouble) * std::sqrt(abar)).pow(2).sum().item<double>();
    logits.push_back(std::log(priors[i] / 7.5) - d / (2 * (1 - abar)));
  }
  const double best = *std::max_element(logits.begin(), logits.end());
  double total = 0;
  for (double l : logits) total += std::exp(l - best);
  at::Tensor x0 = at::zeros({3, 12, 16}, at::kDouble);
  for (int i = 0; i < 5; ++i) {
    const double w = std::exp(logits[i] - best) / total;
    EXPECT_NEAR(p.record_weights[i].item<double>(), w, 1e-5) << "record " << i;
    x0 += y[i].to(at::kDouble) * w;
  }
  EXPECT_LT(max_abs(p.x0, x0), 1e-5);
  EXPECT_NEAR(p.record_weights.sum().item<double>(), 1.0, 1e-9);
  EXPECT_LT(max_abs(p.pixel_weights.sum(0), at::ones({12, 16})), 1e-5);
}

TEST(GlobalDenoiser, OneRecordPriorMakesDdimReturnThatRecord) {
  const at::Tensor y = random_records(4, 16, 20, 3);
  GlobalDenoiser denoiser(make_set(y, {0, 0, 1, 0}));
  const NoiseSchedule schedule(ScheduleKind::cosine);
  const SampleResult result = ddim_sample(denoiser, gaussian_noise(7, {3, 16, 20}),
                                          schedule.sampling_levels(20, 1.0), 0.0, std::nullopt,
                                          Attribution::frame);
  EXPECT_LT(max_abs(result.image, y[2]), 1e-3);
  EXPECT_NEAR(result.last.record_weights[2].item<double>(), 1.0, 1e-9);
}

TEST(GlobalDenoiser, CoefficientSpaceDdimEqualsStepwiseDdim) {
  const at::Tensor y = random_records(6, 12, 16, 14);
  const NoiseSchedule schedule(ScheduleKind::scaled_linear);
  for (const auto& [priors, strength] :
       std::vector<std::pair<std::vector<double>, double>>{{{1, 1, 1, 1, 1, 1}, 1.0},
                                                           {{0, 2, 1, 0, 3, 1}, 1.0},
                                                           {{1, 5, 1, 1, 1, 1}, 0.5}}) {
    const auto levels = schedule.sampling_levels(15, strength);
    // An img2img start: a record (plus noise) noised to the start level.
    const at::Tensor start = noise_to_level(y[1] * 0.5 + y[2] * 0.5, gaussian_noise(15, {3, 12, 16}),
                                            levels.front());
    GlobalDenoiser stepwise(make_set(y, priors)), coefficients(make_set(y, priors));
    const SampleResult a = ddim_sample(stepwise, start, levels, 0.0, std::nullopt, Attribution::frame);
    const SampleResult b = coefficients.sample_ddim(start, levels, Attribution::frame);
    EXPECT_LT(max_abs(a.image, b.image), 1e-4);
    EXPECT_LT(max_abs(a.last.record_weights, b.last.record_weights), 1e-6);
    EXPECT_EQ(coefficients.timings().calls, static_cast<int64_t>(levels.size() - 1));
  }
}

TEST(GlobalDenoiser, SliderPriorChangesTheWinner) {
  // The same noise, two priors: the sample follows the prior (a failing prior would not).
  const at::Tensor y = random_records(2, 16, 20, 4);
  const NoiseSchedule schedule(ScheduleKind::scaled_linear);
  const at::Tensor noise = gaussian_noise(9, {3, 16, 20});
  for (int favoured = 0; favoured < 2; ++favoured) {
    GlobalDenoiser denoiser(make_set(y, favoured == 0 ? std::vector<double>{1, 1e-6}
                                                      : std::vector<double>{1e-6, 1}));
    const SampleResult r = ddim_sample(denoiser, noise, schedule.sampling_levels(10, 1.0), 0.0,
                                       std::nullopt, Attribution::frame);
    EXPECT_GT(r.last.record_weights[favoured].item<double>(), 0.99);
    EXPECT_LT(max_abs(r.image, y[favoured]), 1e-3);
  }
}

TEST(PatchDenoiser, SameLocationMatchesBruteForce) {
  const at::Tensor y = random_records(3, 10, 13, 5);
  const std::vector<double> priors = {1, 2, 1};
  LocalDenoiserOptions options;
  options.patch.p_max = 7;
  options.records_per_group = 2;  // two groups: exercises the streaming softmax
  PatchDenoiser denoiser(make_set(y, priors), options, 0);
  for (double abar : {0.05, 0.5, 0.97}) {
    const at::Tensor x = y[1] * std::sqrt(abar) + gaussian_noise(11, {3, 10, 13}) * std::sqrt(1 - abar);
    const Prediction p = denoiser.predict(x, abar, Attribution::pixels);
    const int patch = patch_size_for(abar, options.patch);
    const auto reference = testing::brute_force_patch_denoiser(x, y, priors, abar, patch, 0);
    EXPECT_LT(max_abs(p.x0, reference.x0), 1e-4) << "abar " << abar;
    EXPECT_LT(max_abs(p.pixel_weights, reference.mass), 1e-4) << "abar " << abar;
  }
}

TEST(PatchDenoiser, WindowedExhaustiveMatchesBruteForce) {
  const at::Tensor y = random_records(3, 12, 14, 6);
  const std::vector<double> priors = {1, 1, 2};
  LocalDenoiserOptions options;
  options.patch.p_max = 5;
  options.search.window = 2;
  options.search.exhaustive = true;
  PatchDenoiser denoiser(make_set(y, priors), options, 2);
  for (double abar : {0.3, 0.95}) {
    const at::Tensor x = y[0].roll({1, -1}, {1, 2}) * std::sqrt(abar) +
                         gaussian_noise(12, {3, 12, 14}) * std::sqrt(1 - abar);
    const Prediction p = denoiser.predict(x, abar, Attribution::pixels);
    const int patch = patch_size_for(abar, options.patch);
    const auto reference = testing::brute_force_patch_denoiser(x, y, priors, abar, patch, 2);
    EXPECT_LT(max_abs(p.x0, reference.x0), 1e-4) << "abar " << abar;
    EXPECT_LT(max_abs(p.pixel_weights, reference.mass), 1e-4) << "abar " << abar;
  }
}

TEST(PatchDenoiser, CoarseToFineSearchFindsTheMatchingOffsets) {
  // x_t is a composition: the left half is record 0 shifted by (1, 2), the right half record 1
  // shifted by (-2, 0), lightly noised. The pruned search must find those cells and agree with
  // the brute force; a broken search (wrong cells, wrong offsets) would not.
  const int h = 24, w = 32, window = 4;
  const at::Tensor y = smooth_records(3, h, w, 8);
  const std::vector<double> priors = {1, 1, 1};
  at::Tensor composed = at::empty({3, h, w});
  composed.narrow(2, 0, w / 2).copy_(y[0].roll({-1, -2}, {1, 2}).narrow(2, 0, w / 2));
  composed.narrow(2, w / 2, w / 2).copy_(y[1].roll({2, 0}, {1, 2}).narrow(2, w / 2, w / 2));
  const double abar = 0.995;
  const at::Tensor x = composed * std::sqrt(abar) + gaussian_noise(13, {3, h, w}) * std::sqrt(1 - abar);

  LocalDenoiserOptions options;
  options.patch.p_max = 7;
  options.search.window = window;
  options.search.coarse_factor = 2;
  options.search.max_pairs = 24;  // of 3 x 81 = 243
  PatchDenoiser denoiser(make_set(y, priors), options, window);
  const Prediction p = denoiser.predict(x, abar, Attribution::pixels);

  int64_t pairs = 0;
  bool found_left = false, found_right = false;
  for (const OffsetCell& cell : denoiser.last_cells()) {
    pairs += cell.pairs();
    auto holds = [&](int dy, int dx) {
      return dy >= cell.dy0 && dy < cell.dy0 + cell.ny && dx >= cell.dx0 && dx < cell.dx0 + cell.nx;
    };
    found_left = found_left || (cell.record == 0 && holds(1, 2));
    found_right = found_right || (cell.record == 1 && holds(-2, 0));
  }
  EXPECT_LE(pairs, 24);
  EXPECT_TRUE(found_left);
  EXPECT_TRUE(found_right);

  const auto reference = testing::brute_force_patch_denoiser(
      x, y, priors, abar, patch_size_for(abar, options.patch), window);
  // Away from the seam and the borders (where the roll wrapped), the pruned result is the
  // brute-force one.
  const auto inner = [&](const at::Tensor& t) { return t.narrow(-2, 3, h - 6); };
  for (int half = 0; half < 2; ++half) {
    const int64_t x_from = half == 0 ? 3 : w / 2 + 3;
    const auto region = [&](const at::Tensor& t) { return inner(t).narrow(-1, x_from, w / 2 - 6); };
    EXPECT_LT(max_abs(region(p.x0), region(reference.x0)), 1e-3) << "half " << half;
    EXPECT_LT(max_abs(region(p.x0), region(composed)), 1e-3) << "half " << half;
  }
}

TEST(PatchDenoiser, LastStepIsMadeOfRecordPixelsAndComposes) {
  // Records with distinct random pixels: after DDIM each output pixel must equal some record's
  // pixel at that location (same-location machine), and more than one record must contribute.
  const int h = 24, w = 32;
  const at::Tensor y = random_records(4, h, w, 21);
  LocalDenoiserOptions options;
  options.patch.p_max = 9;
  PatchDenoiser denoiser(make_set(y, {1, 1, 1, 1}), options, 0);
  const NoiseSchedule schedule(ScheduleKind::cosine);
  const SampleResult r = ddim_sample(denoiser, gaussian_noise(5, {3, h, w}),
                                     schedule.sampling_levels(12, 1.0), 0.0, std::nullopt,
                                     Attribution::pixels);
  // Distance of each output pixel to the nearest record pixel at the same location.
  const at::Tensor distance = (y - r.image.unsqueeze(0)).abs().amax(1).amin(0);
  EXPECT_LT(distance.max().item<double>(), 2e-3);
  const at::Tensor owner = r.last.pixel_weights.argmax(0);
  int owners = 0;
  for (int k = 0; k < 4; ++k) {
    if ((owner == k).sum().item<int64_t>() > h * w / 20) ++owners;
  }
  EXPECT_GE(owners, 2) << "the local machine copied one record instead of composing";
  // The pixel weights reproduce the image exactly: x0 = sum_i mass_i * y_i.
  EXPECT_LT(max_abs((r.last.pixel_weights.unsqueeze(1) * y).sum(0), r.image), 1e-4);
}

TEST(PatchDenoiser, WindowedOutputIsMadeOfRecordPixelsWithinTheWindow) {
  const int h = 24, w = 32, window = 3;
  const at::Tensor y = smooth_records(3, h, w, 31);
  LocalDenoiserOptions options;
  options.patch.p_max = 7;
  options.search.window = window;
  options.search.coarse_factor = 2;
  PatchDenoiser denoiser(make_set(y, {1, 1, 1}), options, window);
  const NoiseSchedule schedule(ScheduleKind::cosine);
  const SampleResult r = ddim_sample(denoiser, gaussian_noise(6, {3, h, w}),
                                     schedule.sampling_levels(10, 1.0), 0.0, std::nullopt,
                                     Attribution::pixels);
  // Nearest record pixel within the window of each output pixel.
  at::Tensor best = at::full({h, w}, 1e9);
  const at::Tensor padded = at::replication_pad2d(y, {window, window, window, window});
  for (int dy = -window; dy <= window; ++dy) {
    for (int dx = -window; dx <= window; ++dx) {
      const at::Tensor shifted = padded.narrow(2, window + dy, h).narrow(3, window + dx, w);
      best = at::minimum(best, (shifted - r.image.unsqueeze(0)).abs().amax(1).amin(0));
    }
  }
  // Two candidate patches exactly as far from x_t (a tie the deterministic path can carry to the
  // end) blend at a pixel; the weights still say so exactly. Nearly every pixel is one record's.
  EXPECT_GT((best < 2e-3).to(at::kDouble).mean().item<double>(), 0.99);
  EXPECT_LT(best.max().item<double>(), 0.2);
  EXPECT_LT(max_abs(r.last.pixel_weights.sum(0), at::ones({h, w})), 1e-5);
  EXPECT_NEAR(r.last.record_weights.sum().item<double>(), 1.0, 1e-6);
}

TEST(PatchDenoiser, ZeroPriorRecordsGetNoWeight) {
  const at::Tensor y = random_records(3, 12, 12, 41);
  LocalDenoiserOptions options;
  options.patch.p_max = 5;
  options.search.window = 2;
  PatchDenoiser denoiser(make_set(y, {1, 0, 1}), options, 2);
  const Prediction p = denoiser.predict(y[1] * 0.9, 0.81, Attribution::pixels);
  EXPECT_EQ(p.pixel_weights[1].abs().max().item<double>(), 0.0);
  EXPECT_LT(max_abs(p.pixel_weights.sum(0), at::ones({12, 12})), 1e-5);
}

}  // namespace
}  // namespace palimpsest
