// DDIM, schedules, noise and slerp, box filters, camera warps and colour matching.

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "synth/box_filter.h"
#include "synth/camera_path.h"
#include "synth/camera_warp.h"
#include "synth/colour_match.h"
#include "synth/ddim_sampler.h"
#include "synth/global_denoiser.h"
#include "synth/noise.h"
#include "synth/noise_schedule.h"
#include "synth/patch_schedule.h"

namespace palimpsest {
namespace {

double max_abs(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

double cosine(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor fa = a.to(at::kDouble).flatten(), fb = b.to(at::kDouble).flatten();
  return fa.dot(fb).item<double>() / (fa.norm().item<double>() * fb.norm().item<double>());
}

TEST(NoiseSchedule, LevelsDecreaseAndEndClean) {
  for (ScheduleKind kind : {ScheduleKind::cosine, ScheduleKind::scaled_linear}) {
    const NoiseSchedule schedule(kind);
    for (int t = 1; t < NoiseSchedule::kTrainingSteps; ++t) {
      ASSERT_LT(schedule.alpha_bar(t), schedule.alpha_bar(t - 1));
    }
    EXPECT_GT(schedule.alpha_bar(0), 0.999);
    EXPECT_LT(schedule.alpha_bar(999), kind == ScheduleKind::cosine ? 1e-4 : 0.01);
    const std::vector<double> full = schedule.sampling_levels(20, 1.0);
    ASSERT_EQ(full.size(), 21u);
    EXPECT_EQ(full.front(), schedule.alpha_bar(999));
    EXPECT_EQ(full[19], schedule.alpha_bar(0));
    EXPECT_EQ(full.back(), 1.0);
  }
  // The schedules differ where they should: cosine destroys information more slowly at first.
  EXPECT_GT(NoiseSchedule(ScheduleKind::cosine).alpha_bar(100),
            NoiseSchedule(ScheduleKind::scaled_linear).alpha_bar(100));
}

TEST(NoiseSchedule, StrengthSetsTheStartLevel) {
  const NoiseSchedule schedule;
  const auto strong = schedule.sampling_levels(20, 0.8);
  const auto weak = schedule.sampling_levels(20, 0.3);
  EXPECT_EQ(strong.size(), 17u);  // 16 steps + the clean target
  EXPECT_EQ(weak.size(), 7u);
  EXPECT_LT(strong.front(), weak.front());  // more strength starts noisier
  EXPECT_EQ(schedule.sampling_levels(20, 0.001).size(), 2u);  // at least one step
  EXPECT_THROW(schedule.sampling_levels(20, 0.0), std::invalid_argument);
  EXPECT_THROW(schedule.sampling_levels(20, 1.5), std::invalid_argument);
}

TEST(PatchSchedule, ShrinksFromLargeToThree) {
  const PatchSchedule schedule{15};
  EXPECT_EQ(patch_size_for(0.0, schedule), 15);
  EXPECT_EQ(patch_size_for(0.5, schedule), 9);
  EXPECT_EQ(patch_size_for(0.999, schedule), 3);
  int previous = 99;
  for (double abar = 0.0; abar <= 1.0; abar += 0.01) {
    const int p = patch_size_for(abar, schedule);
    EXPECT_EQ(p % 2, 1);
    EXPECT_LE(p, previous);
    previous = p;
  }
  EXPECT_THROW(patch_size_for(0.5, PatchSchedule{8}), std::invalid_argument);
}

TEST(Noise, DeterministicForASeed) {
  const at::Tensor a = gaussian_noise(42, {3, 8, 9});
  EXPECT_TRUE(at::equal(a, gaussian_noise(42, {3, 8, 9})));
  EXPECT_FALSE(at::equal(a, gaussian_noise(43, {3, 8, 9})));
  EXPECT_NEAR(a.mean().item<double>(), 0.0, 0.2);
  EXPECT_NEAR(a.std().item<double>(), 1.0, 0.2);
}

TEST(Slerp, EndpointsNormAndAngle) {
  const at::Tensor a = gaussian_noise(1, {4096});
  const at::Tensor b = gaussian_noise(2, {4096});
  EXPECT_LT(max_abs(slerp(a, b, 0.0), a), 1e-5);
  EXPECT_LT(max_abs(slerp(a, b, 1.0), b), 1e-5);
  // For vectors of equal norm the angle moves linearly from a to b on the great circle through
  // both, and the norm stays.
  const double norm = a.norm().item<double>();
  const at::Tensor c = b / b.norm() * norm;
  const double theta = std::acos(cosine(a, c));
  for (double t : {0.25, 0.5, 0.75}) {
    const at::Tensor m = slerp(a, c, t);
    EXPECT_NEAR(std::acos(std::clamp(cosine(a, m), -1.0, 1.0)), t * theta, 1e-4);
    EXPECT_NEAR(std::acos(std::clamp(cosine(m, c), -1.0, 1.0)), (1 - t) * theta, 1e-4);
    EXPECT_NEAR(m.norm().item<double>(), norm, norm * 1e-4);
  }
  // Two independent noises are nearly orthogonal: a lerp midpoint would shrink the norm by about
  // 1 / sqrt(2), which a sampler reads as less noise.
  EXPECT_LT(((a + c) * 0.5).norm().item<double>(), norm * 0.8);
}

TEST(Slerp, NearlyParallelFallsBackToLerp) {
  const at::Tensor a = gaussian_noise(3, {256});
  const at::Tensor b = a * 2.0;  // parallel: sin(theta) = 0
  const at::Tensor m = slerp(a, b, 0.25);
  EXPECT_TRUE(at::isfinite(m).all().item<bool>());
  EXPECT_LT(max_abs(m, a * 1.25), 1e-5);
  const at::Tensor opposite = slerp(a, -a, 0.5);  // antiparallel: lerp too (the midpoint is 0)
  EXPECT_TRUE(at::isfinite(opposite).all().item<bool>());
}

TEST(BoxFilter, MatchesDirectSums) {
  const at::Tensor in = gaussian_noise(4, {2, 3, 23, 31});
  BoxFilter box;
  for (int size : {1, 2, 3, 5, 7, 11, 15}) {
    at::Tensor out;
    box.box_sums(in, size, out);
    ASSERT_EQ(out.size(2), 23 - size + 1);
    ASSERT_EQ(out.size(3), 31 - size + 1);
    at::Tensor expected = at::zeros_like(out);
    for (int a = 0; a < size; ++a) {
      for (int b = 0; b < size; ++b) {
        expected += in.narrow(2, a, out.size(2)).narrow(3, b, out.size(3));
      }
    }
    EXPECT_LT(max_abs(out, expected), 1e-4) << "size " << size;
  }
}

TEST(Ddim, EtaNoiseIsSeededAndFinalStepIsX0) {
  at::Generator g = seeded_generator(5);
  const at::Tensor y = at::rand({3, 3, 8, 10}, g) * 2 - 1;
  GlobalDenoiser denoiser(RecordSet{{1, 2, 3}, y, at::zeros({3})});
  const NoiseSchedule schedule;
  const auto levels = schedule.sampling_levels(10, 1.0);
  const at::Tensor start = gaussian_noise(8, {3, 8, 10});
  const auto run = [&](std::uint64_t seed) {
    return ddim_sample(denoiser, start, levels, 1.0, seeded_generator(seed), Attribution::frame);
  };
  const SampleResult a = run(1), b = run(1);
  EXPECT_TRUE(at::equal(a.image, b.image));
  EXPECT_TRUE(at::equal(a.image, a.last.x0));
  // The output is the convex combination its weights say.
  const at::Tensor w = a.last.record_weights.to(at::kFloat).view({3, 1, 1, 1});
  EXPECT_LT(max_abs((w * y).sum(0), a.image), 1e-5);
}

TEST(Ddim, InversionOfRecordsSamplesBackToThem) {
  at::Generator g = seeded_generator(6);
  const at::Tensor y = at::rand({3, 3, 8, 10}, g) * 2 - 1;
  GlobalDenoiser denoiser(RecordSet{{1, 2, 3}, y, at::zeros({3})});
  const auto levels = NoiseSchedule().sampling_levels(20, 0.6);
  for (int k : {0, 2}) {
    const at::Tensor latent = ddim_invert(denoiser, y[k], levels);
    const SampleResult back =
        ddim_sample(denoiser, latent, levels, 0.0, std::nullopt, Attribution::frame);
    EXPECT_LT(max_abs(back.image, y[k]), 1e-3) << "record " << k;
  }
}

at::Tensor centred_square(int h, int w, int side) {
  at::Tensor image = at::full({3, h, w}, -1.0);
  image.narrow(1, (h - side) / 2, side).narrow(2, (w - side) / 2, side).fill_(1.0);
  return image;
}

double bright_area(const at::Tensor& image) { return (image[0] > 0).sum().item<double>(); }

TEST(CameraWarp, ZoomScalesContent) {
  const at::Tensor square = centred_square(64, 96, 20);
  CameraMotion out;
  out.zoom = 0.5;
  const at::Tensor smaller = warp_planes(square, camera_homography(out, 96, 64));
  EXPECT_NEAR(bright_area(smaller), 100.0, 12.0);  // 20 x 20 -> 10 x 10
  CameraMotion in;
  in.zoom = 1.5;
  const at::Tensor larger = warp_planes(square, camera_homography(in, 96, 64));
  EXPECT_NEAR(bright_area(larger), 900.0, 40.0);  // -> 30 x 30
  // The centre stays put.
  EXPECT_GT(smaller[0][32][48].item<double>(), 0.9);
}

TEST(CameraWarp, TranslationRotationAndIdentity) {
  const at::Tensor square = centred_square(64, 96, 20);
  EXPECT_TRUE(at::equal(warp_planes(square, identity_homography()), square));
  CameraMotion right;
  right.translation_x = 10;
  const at::Tensor moved = warp_planes(square, camera_homography(right, 96, 64));
  EXPECT_LT(max_abs(moved.narrow(2, 20, 66), square.narrow(2, 10, 66)), 1e-3);
  // A 90-degree turn maps the square onto itself; a 45-degree one does not.
  CameraMotion quarter;
  quarter.angle = 90;
  EXPECT_NEAR(bright_area(warp_planes(square, camera_homography(quarter, 96, 64))), 400.0, 25.0);
  CameraMotion eighth;
  eighth.angle = 45;
  EXPECT_GT(max_abs(warp_planes(square, camera_homography(eighth, 96, 64)), square), 0.5);
}

TEST(CameraWarp, ThreeDMotion) {
  const at::Tensor square = centred_square(64, 96, 20);
  CameraMotion forward;
  forward.translation_z = 50;  // a quarter of the way to the scene plane: content grows 4/3
  EXPECT_NEAR(bright_area(warp_planes(square, camera_homography(forward, 96, 64))),
              400.0 * 16.0 / 9.0, 60.0);
  CameraMotion pan;
  pan.rotation_3d_y = 5;  // turning right moves the content left
  const at::Tensor turned = warp_planes(square, camera_homography(pan, 96, 64));
  const at::Tensor columns = (turned[0] > 0).any(0).nonzero();
  EXPECT_LT(columns.min().item<int64_t>(), 38);
  // Attribution maps stay convex under warps.
  const at::Tensor weights = at::softmax(gaussian_noise(9, {4, 64, 96}), 0);
  const at::Tensor warped = warp_planes(weights, camera_homography(pan, 96, 64));
  EXPECT_LT(max_abs(warped.sum(0), at::ones({64, 96})), 1e-5);
}

TEST(ColourMatch, LabRoundTripAndMatching) {
  at::Generator g = seeded_generator(10);
  const at::Tensor image = (at::rand({3, 16, 16}, g) * 1.2 - 0.8).clamp(-1, 1);
  EXPECT_LT(max_abs(lab_to_rgb(rgb_to_lab(image)), image), 1e-4);
  const at::Tensor white = rgb_to_lab(at::ones({3, 1, 1}));
  EXPECT_NEAR(white[0].item<double>(), 100.0, 0.01);
  EXPECT_NEAR(white[1].item<double>(), 0.0, 0.01);

  const at::Tensor reddish = image * 0.3 + at::tensor({0.4f, -0.3f, -0.3f}).view({3, 1, 1});
  for (ColourMatchMode mode : {ColourMatchMode::lab_mean_std, ColourMatchMode::lab_histogram}) {
    const at::Tensor matched = match_colours(image, reddish, mode);
    const at::Tensor lab = rgb_to_lab(matched).flatten(1), ref = rgb_to_lab(reddish).flatten(1);
    EXPECT_LT(max_abs(lab.mean(1), ref.mean(1)), 3.0);
    EXPECT_LT(max_abs(lab.std(1), ref.std(1)), 3.0);
    EXPECT_GT(max_abs(matched, image), 0.1);
  }
  EXPECT_TRUE(at::equal(match_colours(image, reddish, ColourMatchMode::none), image));
}

}  // namespace
}  // namespace palimpsest
