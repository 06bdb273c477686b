#include "indexer/audio/audio_stream_writer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "indexer/audio/audio_decoder.h"
#include "indexer/audio/soundtrack_mixer.h"
#include "tests/audio/audio_test_media.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::vector<float> decode_all(const fs::path& path, AudioSourceInfo* info = nullptr) {
  AudioDecoderOptions options;
  options.format = kSoundtrackFormat;
  std::vector<float> out;
  const AudioSourceInfo i = decode_audio(path, options, [&](const AudioBlock& b) {
    out.insert(out.end(), b.f32, b.f32 + b.frames * 2);
  });
  if (info) *info = i;
  return out;
}

// The film renderer's path: a mixed soundtrack, AAC-encoded next to a video stream in an MP4,
// read back by an independent demuxer/decoder.
TEST(AudioStreamWriter, MuxesAacNextToVideoAndDecodesBack) {
  TempDir dir;
  const fs::path source = dir / "tone.wav";
  testing::write_audio_file(source, "wav", {"pcm_f32le", 48000, 2, 0}, 4 * 48000, testing::tone(48000, 2, 440, 0.2));
  // 3.3 s: not a whole number of AAC frames (1024 samples).
  std::vector<float> pcm;
  const SoundtrackResult mixed = mix_soundtrack(
      3.3, {{.source = source, .duration_s = 3.3, .record_id = 1}}, {},
      [&](const float* block, std::int64_t frames) { pcm.insert(pcm.end(), block, block + 2 * frames); });
  ASSERT_EQ(mixed.frames, 158400);

  const fs::path film = dir / "film.mp4";
  testing::write_mp4_with_sound(film, 33, 10, mixed.frames, [&](std::int64_t first, std::int64_t count, float* out) {
    std::copy_n(pcm.data() + 2 * first, 2 * count, out);
  });

  // What libavformat sees: a video stream and an AAC stream of the PCM's duration.
  AvInputFormatContextPtr format = open_input_file(film.string());
  ASSERT_EQ(format->nb_streams, 2u);
  EXPECT_EQ(format->streams[0]->codecpar->codec_type, AVMEDIA_TYPE_VIDEO);
  const AVStream* audio = format->streams[1];
  EXPECT_EQ(audio->codecpar->codec_id, AV_CODEC_ID_AAC);
  EXPECT_EQ(audio->codecpar->sample_rate, 48000);
  EXPECT_EQ(audio->codecpar->ch_layout.nb_channels, 2);
  EXPECT_NEAR(audio->duration * av_q2d(audio->time_base), 3.3, 1024.0 / 48000);

  // Decoded: the PCM's length within one AAC frame, and the same sound.
  AudioSourceInfo info;
  const std::vector<float> decoded = decode_all(film, &info);
  EXPECT_TRUE(info.has_video);
  EXPECT_NEAR(static_cast<double>(decoded.size() / 2), static_cast<double>(mixed.frames), 1024);
  const std::size_t from = 2 * 4800, to = 2 * 150000;
  EXPECT_NEAR(20 * std::log10(testing::rms_of(decoded, from, to) / testing::rms_of(pcm, from, to)), 0.0, 0.2);
  double error = 0, energy = 0;
  for (std::size_t i = from; i < to; ++i) {
    error += (decoded[i] - pcm[i]) * (decoded[i] - pcm[i]);
    energy += pcm[i] * pcm[i];
  }
  EXPECT_GT(10 * std::log10(energy / error), 20.0);  // aligned in time: the codec's error only
}

// Whatever block sizes come in, a lossless encoder gives back exactly what went in: the frame
// buffering neither drops, repeats nor reorders a sample.
TEST(AudioStreamWriter, AnyBlockSizesRoundTripLosslessly) {
  TempDir dir;
  const fs::path path = dir / "blocks.flac";
  const std::int64_t total = 48000 * 2 + 321;
  std::vector<float> pcm(static_cast<std::size_t>(2 * total));
  for (std::int64_t i = 0; i < total; ++i) {  // values that 16-bit FLAC holds exactly
    pcm[2 * i] = static_cast<float>(((i * 7919) % 20000) - 10000) / 32768.0f;
    pcm[2 * i + 1] = static_cast<float>(((i * 104729) % 30000) - 15000) / 32768.0f;
  }
  const std::vector<std::int64_t> sizes = {1, 1000, 4607, 4608, 10000, 3, 20011};
  std::size_t next_size = 0;
  std::int64_t written = 0;
  testing::write_audio_file(path, "flac", {"flac", 48000, 2, 0}, total,
                            [&](std::int64_t first, std::int64_t count, float* out) {
                              std::copy_n(pcm.data() + 2 * first, 2 * count, out);
                            });
  // write_audio_file writes in fixed chunks; write odd sizes through the writer directly too.
  const fs::path odd = dir / "odd.flac";
  {
    AVFormatContext* raw = nullptr;
    av_check(avformat_alloc_output_context2(&raw, nullptr, "flac", odd.c_str()), "flac muxer");
    AvOutputFormatContextPtr format(raw);
    AudioStreamWriter writer(format.get(), {"flac", 48000, 2, 0});
    av_check(avio_open(&format->pb, odd.c_str(), AVIO_FLAG_WRITE), "open");
    av_check(avformat_write_header(format.get(), nullptr), "header");
    while (written < total) {
      const std::int64_t n = std::min(sizes[next_size++ % sizes.size()], total - written);
      writer.write(pcm.data() + 2 * written, n);
      written += n;
    }
    EXPECT_EQ(writer.frames_written(), total);
    writer.finish();
    EXPECT_THROW(writer.finish(), std::logic_error);
    EXPECT_THROW(writer.write(pcm.data(), 1), std::logic_error);
    av_check(av_write_trailer(format.get()), "trailer");
    avio_closep(&format->pb);
  }
  for (const fs::path& p : {path, odd}) {
    SCOPED_TRACE(p.filename().string());
    const std::vector<float> decoded = decode_all(p);
    ASSERT_EQ(decoded.size(), pcm.size());
    for (std::size_t i = 0; i < pcm.size(); ++i) ASSERT_EQ(decoded[i], pcm[i]) << "sample " << i;
  }
}

TEST(AudioStreamWriter, RefusesWhatItCannotEncode) {
  AVFormatContext* raw = nullptr;
  av_check(avformat_alloc_output_context2(&raw, nullptr, "mp4", "unused.mp4"), "mp4 muxer");
  AvOutputFormatContextPtr format(raw);
  EXPECT_THROW(AudioStreamWriter(format.get(), {.encoder = "no-such-encoder"}), std::invalid_argument);
  EXPECT_THROW(AudioStreamWriter(format.get(), {.encoder = "libx264"}), std::invalid_argument);  // not audio
  EXPECT_THROW(AudioStreamWriter(format.get(), {.encoder = "libopus", .sample_rate = 44100}), std::invalid_argument);
  EXPECT_THROW(AudioStreamWriter(nullptr), std::invalid_argument);
  AudioStreamWriter aac(format.get());
  EXPECT_EQ(aac.codec_name(), "aac");
  EXPECT_EQ(aac.stream()->codecpar->codec_id, AV_CODEC_ID_AAC);
}

}  // namespace
}  // namespace palimpsest
