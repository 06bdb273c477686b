#pragma once
// A cheap "could there be speech here" test, run before a transcriber so that silent segments
// cost nothing. It measures the short-time energy (20 ms frames) against the segment's own floor
// (its 10th percentile): speech alternates syllables with dips and pauses, so some of its frames
// rise well above that floor. Silence, near-silence and stationary sound (hiss, hum, a steady
// drone, notes over a held chord) never do, and are rejected without decoding. Sound that comes
// and goes like syllables (percussion, staccato music) passes: the transcriber then decides, and
// its low-confidence flag catches what it makes of it.
// Cost: one pass over the samples, about 1000x faster than decoding them.

#include <cstdint>
#include <span>

namespace palimpsest {

struct SpeechActivityOptions {
  double rise_db = 10;           // an active frame is this far above the floor
  double silence_dbfs = -50;     // and above this absolute level (full scale = 0 dB)
  std::int64_t min_active_ms = 250;  // less activity than this is not speech
};

struct SpeechActivity {
  std::int64_t total_ms = 0;
  std::int64_t active_ms = 0;
  double floor_dbfs = -120;      // 10th percentile of frame energies
  double peak_dbfs = -120;
  bool may_contain_speech = false;
};

// 16 kHz mono samples.
SpeechActivity measure_speech_activity(std::span<const std::int16_t> samples,
                                       const SpeechActivityOptions& options = {});

}  // namespace palimpsest
