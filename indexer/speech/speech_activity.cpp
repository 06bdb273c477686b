#include "indexer/speech/speech_activity.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace palimpsest {
namespace {

constexpr std::size_t kFrameSamples = 320;  // 20 ms at 16 kHz
constexpr std::int64_t kFrameMs = 20;

}  // namespace

SpeechActivity measure_speech_activity(std::span<const std::int16_t> samples,
                                       const SpeechActivityOptions& options) {
  SpeechActivity activity;
  const std::size_t frames = samples.size() / kFrameSamples;
  activity.total_ms = static_cast<std::int64_t>(samples.size()) * 1000 / 16000;
  if (frames == 0) return activity;
  std::vector<double> energy_db(frames);
  for (std::size_t f = 0; f < frames; ++f) {
    const std::int16_t* frame = samples.data() + f * kFrameSamples;
    double mean = 0;
    for (std::size_t i = 0; i < kFrameSamples; ++i) mean += frame[i];
    mean /= kFrameSamples;  // DC offset is not sound
    double power = 0;
    for (std::size_t i = 0; i < kFrameSamples; ++i) {
      const double x = frame[i] - mean;
      power += x * x;
    }
    power /= kFrameSamples * 32768.0 * 32768.0;
    energy_db[f] = 10 * std::log10(power + 1e-12);
  }
  std::vector<double> sorted = energy_db;
  const std::size_t tenth = frames / 10;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(tenth), sorted.end());
  activity.floor_dbfs = sorted[tenth];
  activity.peak_dbfs = *std::max_element(energy_db.begin(), energy_db.end());
  const double threshold = std::max(activity.floor_dbfs + options.rise_db, options.silence_dbfs);
  std::int64_t active = 0;
  for (double e : energy_db)
    if (e > threshold) ++active;
  activity.active_ms = active * kFrameMs;
  activity.may_contain_speech = activity.active_ms >= options.min_active_ms;
  return activity;
}

}  // namespace palimpsest
