#include "indexer/audio/waveform.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "indexer/audio/audio_segmenter.h"
#include "indexer/media/image_codec.h"
#include "tests/audio/audio_test_media.h"

namespace palimpsest {
namespace {

// WCAG 2 relative luminance and contrast ratio.
double luminance(const std::uint8_t* rgb) {
  auto linear = [](std::uint8_t c) {
    const double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
}
double contrast(const std::uint8_t* a, const std::uint8_t* b) {
  const double la = luminance(a), lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}
bool is(const RgbImage& image, int x, int y, const std::uint8_t* colour) {
  const std::uint8_t* p = image.row(y) + 3 * x;
  return p[0] == colour[0] && p[1] == colour[1] && p[2] == colour[2];
}
// Rows of column x that are not background.
int drawn_rows(const RgbImage& image, int x, int* top = nullptr, int* bottom = nullptr) {
  int count = 0;
  for (int y = 0; y < image.height; ++y) {
    if (!is(image, x, y, waveform_palette().background)) {
      if (count == 0 && top) *top = y;
      if (bottom) *bottom = y;
      ++count;
    }
  }
  return count;
}

// One second of a tone, then one second of digital silence, in ticks of 2.5 ms at 16 kHz.
std::vector<WaveformColumn> tone_then_silence(double amplitude) {
  WaveformBuilder builder(1, 40);
  std::vector<float> samples(32000, 0.0f);
  for (int i = 0; i < 16000; ++i) samples[i] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * 220 * i / 16000.0));
  builder.add(samples.data(), static_cast<std::int64_t>(samples.size()));
  return builder.ticks();
}

TEST(Waveform, PngShowsTheEnvelopeAndSilenceAsAFlatLine) {
  const std::vector<WaveformColumn> ticks = tone_then_silence(0.5);
  ASSERT_EQ(ticks.size(), 800u);
  const std::string png = waveform_png(ticks);
  ASSERT_EQ(png.substr(1, 3), "PNG");
  const RgbImage image = decode_image_bytes(png);
  ASSERT_EQ(image.width, 384);
  ASSERT_EQ(image.height, 64);
  for (int x = 0; x < 384; ++x) {
    SCOPED_TRACE("column " + std::to_string(x));
    int top = -1, bottom = -1;
    const int rows = drawn_rows(image, x, &top, &bottom);
    if (x < 190) {
      // The tone's peak fills 90% of the height, symmetric about the middle, RMS core inside.
      EXPECT_GE(rows, 55);
      EXPECT_NEAR(top + bottom, 63, 1);
      EXPECT_TRUE(is(image, x, 32, waveform_palette().rms));
      EXPECT_TRUE(is(image, x, top, waveform_palette().envelope));
    } else if (x >= 194) {
      EXPECT_EQ(rows, 1);  // silence: a one-pixel line at the middle
      EXPECT_NEAR(top, 32, 1);
    }
  }
}

TEST(Waveform, ColoursReadOnTheirBackgroundWhateverThePage) {
  const WaveformPalette& p = waveform_palette();
  EXPECT_GE(contrast(p.envelope, p.background), 4.5);
  EXPECT_GE(contrast(p.rms, p.background), 4.5);
  // The background is dark but distinct from black, so the image's edge shows on a dark page,
  // and the waveform itself stands out from a black page too.
  const std::uint8_t black[3] = {0, 0, 0}, white[3] = {255, 255, 255};
  EXPECT_GE(contrast(p.envelope, black), 4.5);
  EXPECT_GE(contrast(p.background, white), 4.5);
}

TEST(Waveform, QuietAudioIsNotBlownUp) {
  // -60 dBFS: amplified by the 24 dB cap only, so it stays within a pixel of the middle.
  const RgbImage image = render_waveform(tone_then_silence(0.001));
  for (int x = 0; x < 190; ++x) EXPECT_LE(drawn_rows(image, x), 3) << "column " << x;
  // -20 dBFS is scaled up to fill the height.
  const RgbImage louder = render_waveform(tone_then_silence(0.1));
  EXPECT_GE(drawn_rows(louder, 10), 55);
}

TEST(Waveform, FewTicksAreStretchedAndBadInputRefused) {
  const std::vector<WaveformColumn> three = {{-0.5f, 0.5f, 0.3f}, {0, 0, 0}, {-0.2f, 0.2f, 0.1f}};
  const RgbImage image = render_waveform(three, {.width = 30, .height = 16});
  EXPECT_GE(drawn_rows(image, 5), 12);
  EXPECT_EQ(drawn_rows(image, 15), 1);
  EXPECT_THROW(render_waveform({}), std::invalid_argument);
  EXPECT_THROW(render_waveform(three, {.width = 4, .height = 64}), std::invalid_argument);
}

TEST(Waveform, SegmentsCarryTheirWaveform) {
  std::vector<float> samples(16000 * 3, 0.0f);
  for (int i = 0; i < 16000; ++i) samples[i] = static_cast<float>(0.4 * std::sin(i * 0.1));
  std::vector<AudioSegment> segments;
  AudioSegmenter segmenter(16000, 1, {}, [&](AudioSegment&& s) { segments.push_back(std::move(s)); });
  segmenter.push(samples.data(), static_cast<std::int64_t>(samples.size()));
  segmenter.finish();
  ASSERT_EQ(segments.size(), 1u);
  ASSERT_EQ(segments[0].waveform.size(), 1200u);  // 3 s of 2.5 ms ticks
  // The segmenter's ticks are the builder's ticks.
  WaveformBuilder builder(1, 40);
  builder.add(samples.data(), static_cast<std::int64_t>(samples.size()));
  const std::vector<WaveformColumn> expected = builder.ticks();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_FLOAT_EQ(segments[0].waveform[i].min, expected[i].min);
    EXPECT_FLOAT_EQ(segments[0].waveform[i].max, expected[i].max);
    EXPECT_NEAR(segments[0].waveform[i].rms, expected[i].rms, 1e-6);
  }
  EXPECT_EQ(decode_image_bytes(waveform_png(segments[0].waveform)).width, 384);
}

}  // namespace
}  // namespace palimpsest
