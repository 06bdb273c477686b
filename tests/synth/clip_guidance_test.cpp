// Pixel-level (clip mode) language guidance with the embedded palimpsest-tiny CLIP: the CLIP
// gradient raises the frame's CLIP score, and the provenance stays exact - records' weights plus
// the language share sum to 1 at every pixel, and the frame is the records' combination mixed
// with a colour language drew.

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "indexer/clip/clip_encoder.h"
#include "synth/clip_guidance.h"
#include "synth/frame_renderer.h"
#include "synth/record_guidance.h"
#include "synth/tensor_image.h"
#include "tests/synth/reference_scenarios.h"

namespace palimpsest {
namespace {

constexpr int kWidth = 64, kHeight = 48;

std::unique_ptr<ClipEncoder> tiny() {
  return ClipEncoder::load(std::filesystem::path(PALIMPSEST_SOURCE_DIR) / "data" / "models" / "palimpsest-tiny");
}

std::shared_ptr<LanguageTarget> target(ClipEncoder& clip, const std::string& text) {
  auto t = std::make_shared<LanguageTarget>();
  t->positive = clip.encode_texts({text});
  t->weights = {1.0};
  t->logit_scale = clip.logit_scale();
  return t;
}

double clip_score(ClipEncoder& clip, const LanguageTarget& t, const RgbImage& frame) {
  return positive_similarity(t, clip.encode_images({frame}).front());
}

// Two frames of one sequence (the second from the first, warped), three records.
std::vector<FramePlan> plans(std::shared_ptr<LanguageTarget> language, GuidanceMode mode, double ratio) {
  std::vector<FramePlan> out(2);
  for (int f = 0; f < 2; ++f) {
    out[f].frame = f;
    out[f].records = {{1, 1.0, true}, {2, 1.0}, {3, 0.5}};
    out[f].params.steps = 10;
    out[f].params.seed = 3 + static_cast<std::uint64_t>(f);
    out[f].params.strength = f == 0 ? 1.0 : 0.5;
    out[f].params.guidance_mode = mode;
    out[f].guidance_scale = ratio;
    out[f].language = language;
  }
  return out;
}

std::vector<RenderedFrame> render(ClipEncoder& clip, const std::vector<FramePlan>& p) {
  RenderSettings settings;
  settings.width = kWidth;
  settings.height = kHeight;
  settings.denoiser = DenoiserKind::local;
  settings.local.patch.p_max = 7;
  settings.pixel_weights = true;
  settings.attribution_maps = true;
  FrameRenderer renderer(settings, reference::record_image);
  renderer.set_language_model(&clip);
  std::vector<RenderedFrame> frames;
  renderer.render(p, [&](RenderedFrame&& f) { frames.push_back(std::move(f)); });
  return frames;
}

TEST(ClipGuidance, RaisesTheFramesClipScoreWithExactProvenance) {
  auto clip = tiny();
  const auto words = target(*clip, "a large red circle over the sea");
  const auto plain = render(*clip, plans(words, GuidanceMode::clip, 0.0));
  const auto guided = render(*clip, plans(words, GuidanceMode::clip, 7.0));
  ASSERT_EQ(guided.size(), 2u);
  const std::size_t pixels = static_cast<std::size_t>(kWidth) * kHeight;
  std::vector<at::Tensor> records;
  for (std::int64_t id : {1, 2, 3}) records.push_back(image_to_tensor(cover_frame(reference::record_image(id), kWidth, kHeight)));
  for (std::size_t f = 0; f < guided.size(); ++f) {
    EXPECT_GT(clip_score(*clip, *words, guided[f].image), clip_score(*clip, *words, plain[f].image) + 0.02)
        << "frame " << f;
    const FrameProvenance& p = guided[f].provenance;
    EXPECT_NEAR(p.pixel_weight_sum(), 1.0, 1e-6);
    EXPECT_GT(p.weight_of(kLanguageRecord), 0.0);
    bool language_entry = false;
    for (const ProvenanceEntry& e : p.entries) language_entry |= e.role == ProvenanceRole::language && e.record_id == 0;
    EXPECT_TRUE(language_entry);
    ASSERT_EQ(p.pixel_weights.size(), p.pixel_records.size() * pixels);
    const auto language_at = std::find(p.pixel_records.begin(), p.pixel_records.end(), kLanguageRecord);
    ASSERT_NE(language_at, p.pixel_records.end());
    const std::size_t language = static_cast<std::size_t>(language_at - p.pixel_records.begin());
    double worst_sum = 0, worst_colour = 0;
    int white = 0, language_argmax = 0;
    for (std::size_t px = 0; px < pixels; ++px) {
      double sum = 0, rec[3] = {0, 0, 0};
      std::size_t best = 0;
      for (std::size_t k = 0; k < p.pixel_records.size(); ++k) {
        const double w = p.pixel_weights[k * pixels + px];
        sum += w;
        if (w > p.pixel_weights[best * pixels + px]) best = k;
        if (k == language) continue;
        const auto id = p.pixel_records[k];
        const at::Tensor& y = records[static_cast<std::size_t>(id - 1)];
        for (int c = 0; c < 3; ++c)
          rec[c] += w * (y[c][static_cast<int64_t>(px / kWidth)][static_cast<int64_t>(px % kWidth)].item<double>() + 1) * 127.5;
      }
      worst_sum = std::max(worst_sum, std::abs(sum - 1.0));
      // The pixel is (1 - lambda) x records + lambda x a colour in [0, 255] (8-bit rounding aside).
      const double lambda = p.pixel_weights[language * pixels + px];
      for (int c = 0; c < 3; ++c) {
        const double frame = guided[f].image.pixels[px * 3 + c];
        const double residue = frame - rec[c];
        const double slack = 0.6 + 1e-3 * 255;
        if (lambda < 1e-6) {
          worst_colour = std::max(worst_colour, std::abs(residue) - slack);
        } else {
          const double colour = residue / lambda;  // the colour language drew, before the mix
          worst_colour = std::max(worst_colour, std::max(-colour, colour - 255.0) * lambda - slack);
        }
      }
      if (best == language) {
        ++language_argmax;
        const std::uint8_t* m = p.attribution_map.pixels.data() + px * 3;
        white += m[0] == 255 && m[1] == 255 && m[2] == 255;
      }
    }
    EXPECT_LT(worst_sum, 1e-5) << "frame " << f;
    EXPECT_LE(worst_colour, 0.0) << "frame " << f;
    EXPECT_EQ(white, language_argmax) << "language pixels are white on the attribution map";
  }
}

TEST(ClipGuidance, RecordsModeDrawsNoLanguageShare) {
  auto clip = tiny();
  const auto frames = render(*clip, plans(target(*clip, "a red circle"), GuidanceMode::records, 7.0));
  for (const RenderedFrame& f : frames) {
    EXPECT_EQ(f.provenance.weight_of(kLanguageRecord), 0.0);
    EXPECT_NEAR(f.provenance.pixel_weight_sum(), 1.0, 1e-6);
  }
}

TEST(ClipGuidance, ANudgeClimbsTheScore) {
  auto clip = tiny();
  const auto words = target(*clip, "two small blue squares in the snow");
  ClipGuide guide(*clip);
  const at::Tensor x0 = image_to_tensor(cover_frame(reference::record_image(2), kWidth, kHeight));
  const double before = guide.gradient(x0, *words, 0).score;
  const at::Tensor moved = guide.nudge(x0, *words, 5.0, 0);
  EXPECT_GT(guide.gradient(moved, *words, 0).score, before);
  EXPECT_LE(moved.abs().max().item<double>(), 1.0);
  // The step is ratio x kClipStep in root mean square (before clamping it can only shrink).
  EXPECT_LE((moved - x0).pow(2).mean().sqrt().item<double>(), 5.0 * kClipStep + 1e-6);
}

TEST(ClipGuidance, ClipModeWithoutAModelIsRefused) {
  RenderSettings settings;
  settings.width = kWidth;
  settings.height = kHeight;
  auto t = std::make_shared<LanguageTarget>();
  t->positive = {{1.0f, 0.0f}};
  t->weights = {1.0};
  EXPECT_THROW(render_frames(settings, plans(t, GuidanceMode::clip, 3.0), reference::record_image), std::invalid_argument);
}

}  // namespace
}  // namespace palimpsest
