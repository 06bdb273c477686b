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

// An MP4 with a small mpeg4 video stream (`video_frames` frames at `fps`, a grey ramp) and an
// AAC stream of `audio_frames` frames of `fill` at 48 kHz stereo, written interleaved as the film
// renderer would: after each picture, the audio up to that picture's end.
inline void write_mp4_with_sound(const std::filesystem::path& path, int video_frames, int fps,
                                 std::int64_t audio_frames, const SignalFill& fill) {
  AVFormatContext* raw = nullptr;
  av_check(avformat_alloc_output_context2(&raw, nullptr, "mp4", path.c_str()), "mp4 muxer");
  AvOutputFormatContextPtr format(raw);
  const AVCodec* codec = avcodec_find_encoder_by_name("mpeg4");
  AvCodecContextPtr encoder = make_codec_context(codec);
  encoder->width = 64;
  encoder->height = 48;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder->time_base = AVRational{1, fps};
  encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  av_check(avcodec_open2(encoder.get(), codec, nullptr), "open mpeg4");
  AVStream* video = avformat_new_stream(format.get(), nullptr);
  av_check(avcodec_parameters_from_context(video->codecpar, encoder.get()), "video parameters");
  video->time_base = encoder->time_base;
  AudioStreamWriter audio(format.get());
  av_check(avio_open(&format->pb, path.c_str(), AVIO_FLAG_WRITE), "open " + path.string());
  av_check(avformat_write_header(format.get(), nullptr), "mp4 header");
  AvFramePtr picture = make_av_frame();
  picture->format = AV_PIX_FMT_YUV420P;
  picture->width = 64;
  picture->height = 48;
  av_check(av_frame_get_buffer(picture.get(), 0), "picture buffer");
  AvPacketPtr packet = make_av_packet();
  auto drain = [&] {
    while (avcodec_receive_packet(encoder.get(), packet.get()) == 0) {
      av_packet_rescale_ts(packet.get(), encoder->time_base, video->time_base);
      packet->stream_index = video->index;
      av_check(av_interleaved_write_frame(format.get(), packet.get()), "write video packet");
    }
  };
  std::vector<float> pcm;
  std::int64_t audio_done = 0;
  for (int f = 0; f < video_frames; ++f) {
    av_check(av_frame_make_writable(picture.get()), "picture writable");
    for (int p = 0; p < 3; ++p) {
      const int h = p == 0 ? 48 : 24, w = p == 0 ? 64 : 32;
      for (int y = 0; y < h; ++y) std::fill_n(picture->data[p] + y * picture->linesize[p], w, 16 + (7 * f) % 200);
    }
    picture->pts = f;
    av_check(avcodec_send_frame(encoder.get(), picture.get()), "send picture");
    drain();
    const std::int64_t until = f + 1 == video_frames ? audio_frames
                                                     : std::min<std::int64_t>(audio_frames, (f + 1) * 48000LL / fps);
    if (until > audio_done) {
      pcm.resize(static_cast<std::size_t>((until - audio_done) * 2));
      fill(audio_done, until - audio_done, pcm.data());
      audio.write(pcm.data(), until - audio_done);
      audio_done = until;
    }
  }
  av_check(avcodec_send_frame(encoder.get(), nullptr), "flush video");
  drain();
  audio.finish();
  av_check(av_write_trailer(format.get()), "mp4 trailer");
  avio_closep(&format->pb);
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
