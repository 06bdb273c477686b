#include "indexer/audio/loudness_meter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "indexer/audio/audio_filter_graph.h"

namespace palimpsest {

struct LoudnessMeter::Impl {
  int channels = 0;
  std::int64_t frame_size = 0;  // 100 ms
  std::unique_ptr<AudioFilterGraph> graph;
  std::vector<double> buffer;
  std::int64_t filled = 0;
  std::int64_t pushed_frames = 0;
  double sample_peak = 0;
  double filter_true_peak = 0;
  double integrated = -std::numeric_limits<double>::infinity();
  bool finished = false;
  LoudnessReading reading;

  void drain() {
    FilterMetadata metadata;
    int frames = 0;
    while (graph->pull(metadata, frames)) {
      if (const std::string* i = find_metadata(metadata, "lavfi.r128.I")) integrated = std::strtod(i->c_str(), nullptr);
      if (const std::string* t = find_metadata(metadata, "lavfi.r128.true_peak")) {
        filter_true_peak = std::max(filter_true_peak, std::strtod(t->c_str(), nullptr));
      }
    }
  }

  void flush_block() {
    graph->push(buffer.data(), static_cast<int>(filled), pushed_frames);
    pushed_frames += filled;
    filled = 0;
    drain();
  }

  template <typename Sample>
  void add(const Sample* samples, std::int64_t frames) {
    if (finished) throw std::logic_error("LoudnessMeter::add after finish()");
    std::int64_t i = 0;
    while (i < frames) {
      const std::int64_t take = std::min(frames - i, frame_size - filled);
      const Sample* from = samples + i * channels;
      double* to = buffer.data() + filled * channels;
      for (std::int64_t k = 0; k < take * channels; ++k) {
        const double v = from[k];
        to[k] = v;
        sample_peak = std::max(sample_peak, std::abs(v));
      }
      filled += take;
      i += take;
      reading.frames += take;
      if (filled == frame_size) flush_block();
    }
  }
};

LoudnessMeter::LoudnessMeter(int sample_rate, int channels, bool true_peak, bool dual_mono)
    : impl_(std::make_unique<Impl>()) {
  if (sample_rate < 1000 || sample_rate % 10 != 0 || channels < 1 || channels > 8) {
    throw std::invalid_argument("loudness meter needs a rate that is a multiple of 10 Hz and 1-8 channels");
  }
  Impl& m = *impl_;
  m.channels = channels;
  m.frame_size = sample_rate / 10;
  m.buffer.assign(static_cast<std::size_t>(m.frame_size * channels), 0.0);
  std::string chain = "ebur128=metadata=1";
  if (true_peak) chain += ":peak=true";
  if (dual_mono && channels == 1) chain += ":dualmono=true";
  m.graph = std::make_unique<AudioFilterGraph>(sample_rate, channels, chain);
}

LoudnessMeter::~LoudnessMeter() = default;

void LoudnessMeter::add(const float* interleaved, std::int64_t frames) { impl_->add(interleaved, frames); }
void LoudnessMeter::add(const double* interleaved, std::int64_t frames) { impl_->add(interleaved, frames); }

LoudnessReading LoudnessMeter::finish() {
  Impl& m = *impl_;
  if (m.finished) return m.reading;
  if (m.filled > 0) m.flush_block();
  m.graph->close();
  m.drain();
  m.finished = true;
  // ebur128 reports -70 (its absolute gate) when nothing passed the gate.
  if (m.integrated > -70.0 + 1e-9) m.reading.integrated_lufs = m.integrated;
  if (m.sample_peak > 0) m.reading.sample_peak_dbfs = 20.0 * std::log10(m.sample_peak);
  const double true_peak = std::max(m.filter_true_peak, m.sample_peak);
  if (true_peak > 0) m.reading.true_peak_dbtp = 20.0 * std::log10(true_peak);
  return m.reading;
}

}  // namespace palimpsest
