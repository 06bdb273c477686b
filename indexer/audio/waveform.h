#pragma once
// Waveform thumbnails: min/max/RMS summaries of short spans of audio ("ticks"), drawn as a PNG.
//
// Drawing rules: an opaque dark slate background (so the thumbnail reads the same on light and
// dark pages), the min/max envelope in a mid blue (at least one pixel: silence is a flat line)
// and the RMS core in a pale blue; both blues have a contrast ratio of at least 4.5:1 against the background (WCAG AA).
// Amplitude is linear and scaled so that the peak fills 90% of the half-height, but never
// amplified by more than 24 dB: near-silence stays flat instead of showing blown-up noise.
// Columns are equal spans of ticks; with fewer ticks than columns, ticks are repeated.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "indexer/media/rgb_image.h"

namespace palimpsest {

struct WaveformColumn {
  float min = 0;  // lowest sample (all channels), in [-1, 1]
  float max = 0;  // highest sample
  float rms = 0;  // root mean square over the span's samples
};

// Accumulates interleaved samples into ticks of `frames_per_tick` frames each.
class WaveformBuilder {
 public:
  WaveformBuilder(int channels, std::int64_t frames_per_tick);
  void add(const float* interleaved, std::int64_t frames);
  void add(const std::int16_t* interleaved, std::int64_t frames);
  // The ticks so far, the last one possibly partial.
  std::vector<WaveformColumn> ticks() const;

 private:
  void add_sample_frame(const float* frame);
  int channels_;
  std::int64_t frames_per_tick_;
  std::vector<WaveformColumn> done_;
  WaveformColumn current_;
  double sum_squares_ = 0;
  std::int64_t current_frames_ = 0;
};

struct WaveformStyle {
  int width = 384;
  int height = 64;
};

// Draws `ticks` (any number, at least one) as described above. Throws std::invalid_argument for
// no ticks or a size smaller than 8x8.
RgbImage render_waveform(std::span<const WaveformColumn> ticks, const WaveformStyle& style = {});

// render_waveform encoded as PNG with the project's image codec.
std::string waveform_png(std::span<const WaveformColumn> ticks, const WaveformStyle& style = {});

// The colours render_waveform uses (for the viewer's own drawings and for tests).
struct WaveformPalette {
  std::uint8_t background[3];
  std::uint8_t envelope[3];
  std::uint8_t rms[3];
};
const WaveformPalette& waveform_palette();

}  // namespace palimpsest
