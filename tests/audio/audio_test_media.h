#pragma once
// Test helper: writes synthetic audio (and audio+video) files in-process with libav, in any
// container and codec this FFmpeg has, through the AudioStreamWriter under test's sibling
// encoder path; and small signal measurements. Nothing is shelled out.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "indexer/audio/audio_stream_writer.h"
#include "indexer/media/av_handles.h"

extern "C" {
#include <libavutil/log.h>
}

namespace palimpsest::testing {

// libav logs what its filters find (silencedetect, ebur128's summary) and every corrupt packet
// the bad-input tests feed it; the CLI silences it the same way.
inline const bool kQuietLibav = (av_log_set_level(AV_LOG_FATAL), true);

// Fills `count` frames starting at frame `first` (interleaved, `channels` per frame).
using SignalFill = std::function<void(std::int64_t first, std::int64_t count, float* out)>;

// Writes `frames` frames of `fill` to `path` as `container` (a libavformat muxer name: wav, flac,
// mp3, ogg, ipod, mp4...) with the options' encoder, rate and channel count.
inline void write_audio_file(const std::filesystem::path& path, const std::string& container,
                             const AudioStreamOptions& options, std::int64_t frames, const SignalFill& fill) {
  AVFormatContext* raw = nullptr;
  av_check(avformat_alloc_output_context2(&raw, nullptr, container.c_str(), path.c_str()),
           "muxer " + container);
  AvOutputFormatContextPtr format(raw);
  AudioStreamWriter writer(format.get(), options);
  av_check(avio_open(&format->pb, path.c_str(), AVIO_FLAG_WRITE), "open " + path.string());
  av_check(avformat_write_header(format.get(), nullptr), "header " + path.string());
  constexpr std::int64_t kChunk = 8192;
  std::vector<float> buffer(static_cast<std::size_t>(kChunk * options.channels));
  for (std::int64_t first = 0; first < frames; first += kChunk) {
    const std::int64_t count = std::min(kChunk, frames - first);
    fill(first, count, buffer.data());
    writer.write(buffer.data(), count);
  }
  writer.finish();
  av_check(av_write_trailer(format.get()), "trailer " + path.string());
  avio_closep(&format->pb);
}

// A sine of `frequency` Hz and peak `amplitude` on every channel, where `on(seconds)` holds,
// digital silence elsewhere.
inline SignalFill tone(int rate, int channels, double frequency, double amplitude,
                       std::function<bool(double)> on = {}) {
  return [=](std::int64_t first, std::int64_t count, float* out) {
    for (std::int64_t i = 0; i < count; ++i) {
      const double t = static_cast<double>(first + i) / rate;
      const bool playing = !on || on(t);
      const float v = playing ? static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * frequency * t)) : 0.0f;
      for (int c = 0; c < channels; ++c) out[i * channels + c] = v;
    }
  };
}

inline double rms_of(const std::vector<float>& samples, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  to = std::min(to, samples.size());
  double sum = 0;
  for (std::size_t i = from; i < to; ++i) sum += static_cast<double>(samples[i]) * samples[i];
  return to > from ? std::sqrt(sum / static_cast<double>(to - from)) : 0.0;
}

// Frequency of a mono signal from its upward zero crossings (for pure tones), over its middle
// 80% (codecs add low-level noise at the edges).
inline double zero_crossing_frequency(const std::vector<float>& mono, int rate) {
  std::int64_t first = -1, last = -1, crossings = 0;
  for (std::size_t i = std::max<std::size_t>(1, mono.size() / 10); i < mono.size() * 9 / 10; ++i) {
    if (mono[i - 1] < 0 && mono[i] >= 0) {
      if (first < 0) first = static_cast<std::int64_t>(i);
      last = static_cast<std::int64_t>(i);
      ++crossings;
    }
  }
  if (crossings < 2) return 0;
  return (crossings - 1) * static_cast<double>(rate) / static_cast<double>(last - first);
}

}  // namespace palimpsest::testing
