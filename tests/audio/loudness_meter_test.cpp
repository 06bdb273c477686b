#include "indexer/audio/loudness_meter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "tests/audio/audio_test_media.h"

namespace palimpsest {
namespace {

std::vector<float> stereo_sine(double seconds, double dbfs, double frequency, int rate = 48000) {
  const double amplitude = std::pow(10.0, dbfs / 20.0);
  std::vector<float> out(static_cast<std::size_t>(2 * seconds * rate));
  for (std::size_t i = 0; i < out.size() / 2; ++i) {
    out[2 * i] = out[2 * i + 1] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * frequency * i / rate));
  }
  return out;
}

// EBU Tech 3341 test signal 1: a 1 kHz sine at -23 dBFS in both channels reads -23.0 LUFS.
TEST(LoudnessMeter, ReadsEbuReferenceSignals) {
  const std::vector<float> sine = stereo_sine(20, -23, 1000);
  LoudnessMeter meter(48000, 2);
  meter.add(sine.data(), static_cast<std::int64_t>(sine.size() / 2));
  const LoudnessReading reading = meter.finish();
  EXPECT_NEAR(reading.integrated_lufs, -23.0, 0.1);
  EXPECT_NEAR(reading.sample_peak_dbfs, -23.0, 0.01);
  EXPECT_NEAR(reading.true_peak_dbtp, -23.0, 0.2);
  EXPECT_EQ(reading.frames, 20 * 48000);
}

// Inter-sample peaks: a sine at a quarter of the rate, sampled 45 degrees off its crests, has
// sample peaks 3 dB below its true peak; the true peak sees them.
TEST(LoudnessMeter, TruePeakSeesInterSamplePeaks) {
  std::vector<float> signal(2 * 48000 * 5);
  for (std::size_t i = 0; i < signal.size() / 2; ++i) {
    signal[2 * i] = signal[2 * i + 1] = static_cast<float>(0.5 * std::sin(std::numbers::pi / 2 * i + std::numbers::pi / 4));
  }
  LoudnessMeter meter(48000, 2);
  meter.add(signal.data(), static_cast<std::int64_t>(signal.size() / 2));
  const LoudnessReading reading = meter.finish();
  EXPECT_NEAR(reading.sample_peak_dbfs, 20 * std::log10(0.5 * std::sqrt(0.5)), 0.01);
  // ebur128 oversamples with libswresample's default filter, which overshoots by about 0.6 dB
  // this close to Nyquist: a conservative reading, never one below the true peak.
  EXPECT_GE(reading.true_peak_dbtp, 20 * std::log10(0.5) - 0.05);
  EXPECT_LE(reading.true_peak_dbtp, 20 * std::log10(0.5) + 0.7);
}

TEST(LoudnessMeter, SilenceHasNoLoudness) {
  const std::vector<double> zeros(48000 * 4, 0.0);
  LoudnessMeter meter(48000, 2);
  meter.add(zeros.data(), 48000 * 2);
  const LoudnessReading reading = meter.finish();
  EXPECT_EQ(reading.integrated_lufs, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(reading.true_peak_dbtp, -std::numeric_limits<double>::infinity());
  EXPECT_THROW(LoudnessMeter(44105, 2), std::invalid_argument);
}

}  // namespace
}  // namespace palimpsest
