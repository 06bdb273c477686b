#include "indexer/audio/audio_decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "indexer/media/video_writer.h"
#include "tests/audio/audio_test_media.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

struct Decoded {
  AudioSourceInfo info;
  std::vector<float> samples;  // interleaved, as float whatever the format
  std::int64_t first_frame = -1;
  std::int64_t peak_buffered = 0;
};

Decoded decode(const fs::path& path, AudioFormat format, double start_s = 0, double duration_s = -1,
               int block_frames = 4096) {
  AudioDecoderOptions options;
  options.format = format;
  options.start_s = start_s;
  options.duration_s = duration_s;
  options.block_frames = block_frames;
  AudioDecoder decoder(path, options);
  Decoded out;
  AudioBlock block;
  while (decoder.next(block)) {
    if (out.first_frame < 0) out.first_frame = block.start_frame;
    EXPECT_LE(block.frames, block_frames);
    const std::int64_t n = block.frames * format.channels;
    for (std::int64_t i = 0; i < n; ++i) out.samples.push_back(block.s16 ? block.s16[i] / 32768.0f : block.f32[i]);
  }
  out.info = decoder.info();
  out.peak_buffered = decoder.peak_buffered_frames();
  return out;
}

std::vector<float> channel(const std::vector<float>& interleaved, int channels, int c) {
  std::vector<float> out;
  for (std::size_t i = c; i < interleaved.size(); i += channels) out.push_back(interleaved[i]);
  return out;
}

// The message of the AudioError `f` throws (fails the test when it throws nothing).
template <typename F>
std::string audio_error(F f) {
  try {
    f();
  } catch (const AudioError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no AudioError";
  return {};
}

struct FormatCase {
  std::string name, container, encoder, extension;
  int rate;
  bool lossless;
};

// Every format the issue names, 3 s of 440 Hz at -12 dBFS, decoded to both working formats.
TEST(AudioDecoder, DecodesEveryFormatToBothWorkingFormats) {
  TempDir dir;
  const std::vector<FormatCase> cases = {
      {"wav", "wav", "pcm_s16le", "wav", 44100, true},
      {"flac", "flac", "flac", "flac", 44100, true},
      {"mp3", "mp3", "libmp3lame", "mp3", 44100, false},
      {"vorbis", "ogg", "libvorbis", "ogg", 44100, false},
      {"opus", "ogg", "libopus", "opus", 48000, false},
      {"m4a", "ipod", "aac", "m4a", 48000, false},
  };
  const double amplitude = std::pow(10.0, -12.0 / 20.0);
  for (const FormatCase& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path path = dir / ("tone." + c.extension);
    testing::write_audio_file(path, c.container, {c.encoder, c.rate, 2, 128000}, 3 * c.rate,
                              testing::tone(c.rate, 2, 440, amplitude));
    for (const AudioFormat format : {kSpeechFormat, kSoundtrackFormat}) {
      const Decoded d = decode(path, format);
      EXPECT_EQ(d.info.sample_rate, c.rate);
      EXPECT_EQ(d.info.channels, 2);
      EXPECT_NEAR(d.info.duration_s, 3.0, 0.1);
      EXPECT_FALSE(d.info.has_video);
      EXPECT_EQ(d.info.resampled, c.rate != format.sample_rate);
      EXPECT_EQ(d.info.downmixed, format.channels == 1);
      const std::int64_t frames = static_cast<std::int64_t>(d.samples.size()) / format.channels;
      // Lossless sources come back to the sample (the resampler may round one off); lossy ones
      // within a codec frame of padding.
      EXPECT_NEAR(frames, 3 * format.sample_rate, c.lossless ? 1 : format.sample_rate * 0.05);
      const std::vector<float> left = channel(d.samples, format.channels, 0);
      EXPECT_NEAR(20 * std::log10(testing::rms_of(left, left.size() / 10, left.size() * 9 / 10)),
                  20 * std::log10(amplitude / std::sqrt(2.0)), 0.5);
      EXPECT_NEAR(testing::zero_crossing_frequency(left, format.sample_rate), 440.0, 1.0);
    }
  }
}

TEST(AudioDecoder, ReadsTheSoundTrackOfAVideo) {
  TempDir dir;
  const fs::path video = dir / "clip.mp4";
  testing::write_mp4_with_sound(video, 20, 10, 2 * 48000, testing::tone(48000, 2, 440, 0.3));
  const Decoded d = decode(video, kSpeechFormat);
  EXPECT_TRUE(d.info.has_video);
  EXPECT_EQ(d.info.codec, "aac");
  EXPECT_NEAR(d.info.video_offset_s, 0.0, 0.05);
  EXPECT_NEAR(static_cast<double>(d.samples.size()), 2 * 16000, 1024 / 3.0 + 1);
  EXPECT_NEAR(testing::zero_crossing_frequency(d.samples, 16000), 440.0, 1.0);
}

// A range is cut on the full decode's sample grid: the same samples, resampled or not.
TEST(AudioDecoder, RangeEqualsTheSameSpanOfAFullDecode) {
  TempDir dir;
  struct Case {
    std::string name, container, encoder;
    int rate;
    AudioFormat format;
    double tolerance;
  };
  const std::vector<Case> cases = {
      {"f32 48k to soundtrack", "wav", "pcm_f32le", 48000, kSoundtrackFormat, 0.0},
      {"s16 44.1k to speech", "wav", "pcm_s16le", 44100, kSpeechFormat, 0.0},
      {"flac 44.1k to soundtrack", "flac", "flac", 44100, kSoundtrackFormat, 0.0},
      {"aac 48k to soundtrack", "ipod", "aac", 48000, kSoundtrackFormat, 2e-3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path path = dir / ("long." + c.container);
    // A chirp, so that any misalignment shows.
    testing::write_audio_file(path, c.container, {c.encoder, c.rate, 2, 192000}, 12 * c.rate,
                              [rate = c.rate](std::int64_t first, std::int64_t count, float* out) {
                                for (std::int64_t i = 0; i < count; ++i) {
                                  const double t = static_cast<double>(first + i) / rate;
                                  out[2 * i] = static_cast<float>(0.4 * std::sin(2 * std::numbers::pi * (200 * t + 40 * t * t)));
                                  out[2 * i + 1] = static_cast<float>(0.2 * std::sin(2 * std::numbers::pi * 330 * t));
                                }
                              });
    const Decoded full = decode(path, c.format);
    const double start = 7.3215, duration = 2.5;
    const Decoded range = decode(path, c.format, start, duration, 1000);
    const std::int64_t first = std::llround(start * c.format.sample_rate);
    const std::int64_t frames = std::llround(duration * c.format.sample_rate);
    EXPECT_EQ(range.first_frame, first);
    ASSERT_EQ(static_cast<std::int64_t>(range.samples.size()), frames * c.format.channels);
    double worst = 0;
    for (std::int64_t i = 0; i < frames * c.format.channels; ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(range.samples[i] - full.samples[first * c.format.channels + i])));
    }
    EXPECT_LE(worst, c.tolerance);
  }
}

TEST(AudioDecoder, BlocksAreBoundedAndMemoryDoesNotGrowWithLength) {
  TempDir dir;
  const fs::path path = dir / "a.flac";
  testing::write_audio_file(path, "flac", {"flac", 44100, 2, 0}, 60 * 44100, testing::tone(44100, 2, 300, 0.5));
  const Decoded d = decode(path, kSpeechFormat, 0, -1, 1024);
  EXPECT_EQ(static_cast<std::int64_t>(d.samples.size()), 60 * 16000);
  // One block plus what one FLAC frame (4608 samples at 44.1 kHz) resamples to.
  EXPECT_LE(d.peak_buffered, 1024 + 4608 * 16000 / 44100 + 64);
}

TEST(AudioDecoder, NoAudioStreamIsOneClearError) {
  TempDir dir;
  const fs::path video = dir / "silent.mp4";
  {
    VideoWriter writer(video, 64, 48, 10, {.encoder = "mpeg4"});
    RgbImage frame(64, 48);
    for (int i = 0; i < 5; ++i) writer.write(frame);
    writer.finish();
  }
  const std::string message = audio_error([&] { AudioDecoder decoder(video); });
  EXPECT_EQ(message, video.string() + ": no audio stream (the video has no sound)");
  EXPECT_THROW(AudioDecoder{video}, NoAudioStreamError);
}

TEST(AudioDecoder, ZeroLengthAudioIsOneClearError) {
  TempDir dir;
  const fs::path path = dir / "empty.wav";
  testing::write_audio_file(path, "wav", {"pcm_s16le", 16000, 1, 0}, 0, testing::tone(16000, 1, 440, 0.5));
  const std::string message = audio_error([&] { decode(path, kSpeechFormat); });
  EXPECT_EQ(message, path.string() + ": no audio samples (0-length audio)");
}

TEST(AudioDecoder, TelephoneAudioIsResampledAndSaysSo) {
  TempDir dir;
  const fs::path path = dir / "call.wav";
  testing::write_audio_file(path, "wav", {"pcm_mulaw", 8000, 1, 0}, 4 * 8000, testing::tone(8000, 1, 500, 0.5));
  const Decoded d = decode(path, kSpeechFormat);
  EXPECT_TRUE(d.info.narrowband);
  EXPECT_TRUE(d.info.resampled);
  EXPECT_EQ(d.info.codec, "pcm_mulaw");
  ASSERT_FALSE(d.info.notes.empty());
  EXPECT_EQ(d.info.notes[0], "8000 Hz telephone-band audio (nothing above 4 kHz), resampled to 16000 Hz");
  EXPECT_NEAR(static_cast<double>(d.samples.size()), 4 * 16000, 1);
  EXPECT_NEAR(testing::zero_crossing_frequency(d.samples, 16000), 500.0, 1.0);
  EXPECT_NEAR(testing::rms_of(d.samples, 1000, 60000), 0.5 / std::sqrt(2.0), 0.02);
}

TEST(AudioDecoder, SixChannelAudioIsDownmixedAndSaysSo) {
  TempDir dir;
  const fs::path path = dir / "surround.flac";
  // 5.1 with a tone only in the centre channel (index 2), which a downmix must keep.
  testing::write_audio_file(path, "flac", {"flac", 48000, 6, 0}, 2 * 48000,
                            [](std::int64_t first, std::int64_t count, float* out) {
                              for (std::int64_t i = 0; i < count; ++i) {
                                for (int c = 0; c < 6; ++c) out[6 * i + c] = 0;
                                out[6 * i + 2] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 440 * (first + i) / 48000.0));
                              }
                            });
  for (const AudioFormat format : {kSpeechFormat, kSoundtrackFormat}) {
    const Decoded d = decode(path, format);
    EXPECT_EQ(d.info.channels, 6);
    EXPECT_TRUE(d.info.downmixed);
    ASSERT_FALSE(d.info.notes.empty());
    EXPECT_EQ(d.info.notes.back(), "6 channels (" + d.info.channel_layout + ") downmixed to " +
                                       (format.channels == 1 ? "mono" : "stereo"));
    EXPECT_EQ(static_cast<std::int64_t>(d.samples.size()), 2 * format.sample_rate * format.channels);
    const std::vector<float> left = channel(d.samples, format.channels, 0);
    EXPECT_GT(testing::rms_of(left), 0.1);  // the centre is heard, not dropped
    EXPECT_NEAR(testing::zero_crossing_frequency(left, format.sample_rate), 440.0, 1.0);
  }
}

TEST(AudioDecoder, TruncatedFilesAreOneClearError) {
  TempDir dir;
  for (const std::string container : {"wav", "flac"}) {
    SCOPED_TRACE(container);
    const fs::path path = dir / ("cut." + container);
    testing::write_audio_file(path, container, {container == "wav" ? "pcm_s16le" : "flac", 44100, 2, 0},
                              20 * 44100, testing::tone(44100, 2, 440, 0.5));
    fs::resize_file(path, fs::file_size(path) / 2);
    const std::string message = audio_error([&] { decode(path, kSpeechFormat); });
    EXPECT_EQ(message.rfind(path.string() + ": truncated: the audio breaks off at ", 0), 0u) << message;
    EXPECT_NE(message.find("of the 20.00 s its container declares"), std::string::npos) << message;
  }
}

TEST(AudioDecoder, CorruptFilesAreReportedNotSilentlyAccepted) {
  TempDir dir;
  const fs::path garbage = dir / "noise.mp3";
  {
    std::mt19937 random(7);
    std::ofstream out(garbage, std::ios::binary);
    for (int i = 0; i < 50000; ++i) out.put(static_cast<char>(random()));
  }
  const std::string message = audio_error([&] { decode(garbage, kSpeechFormat); });
  EXPECT_EQ(message.rfind(garbage.string() + ": ", 0), 0u) << message;

  // A FLAC whose middle third is overwritten: either refused naming the file, or decoded with
  // the damage counted and noted — never decoded as if nothing happened.
  const fs::path damaged = dir / "damaged.flac";
  testing::write_audio_file(damaged, "flac", {"flac", 44100, 2, 0}, 10 * 44100, testing::tone(44100, 2, 440, 0.5));
  {
    std::fstream io(damaged, std::ios::binary | std::ios::in | std::ios::out);
    const auto size = static_cast<std::streamoff>(fs::file_size(damaged));
    io.seekp(size / 3);
    std::mt19937 random(11);
    for (std::streamoff i = 0; i < size / 3; ++i) io.put(static_cast<char>(random()));
  }
  try {
    const Decoded d = decode(damaged, kSpeechFormat);
    ASSERT_FALSE(d.info.notes.empty());
    EXPECT_NE(d.info.notes.back().find("corrupt packets skipped"), std::string::npos);
  } catch (const AudioError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(damaged.string() + ": ", 0), 0u) << e.what();
  }
}

TEST(AudioDecoder, RangePastTheEndIsOneClearError) {
  TempDir dir;
  const fs::path path = dir / "short.wav";
  testing::write_audio_file(path, "wav", {"pcm_s16le", 16000, 1, 0}, 3 * 16000, testing::tone(16000, 1, 440, 0.5));
  const std::string message = audio_error([&] { decode(path, kSpeechFormat, 10.0, 1.0); });
  EXPECT_EQ(message, path.string() + ": the range starts at 10.00 s, past the end of the audio (3.00 s)");
}

TEST(AudioDecoder, NotAMediaFileIsOneClearError) {
  TempDir dir;
  const fs::path path = dir / "notes.wav";
  testing::write_file(path, "these are notes, not audio\n");
  const std::string message = audio_error([&] { AudioDecoder decoder(path); });
  EXPECT_EQ(message.rfind(path.string() + ": not a decodable audio or video file (", 0), 0u) << message;
}

}  // namespace
}  // namespace palimpsest
