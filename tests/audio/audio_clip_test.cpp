#include "indexer/audio/audio_clip.h"

#include <gtest/gtest.h>

#include "indexer/audio/audio_decoder.h"
#include "tests/audio/audio_test_media.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

TEST(AudioClip, ExcerptOfAnyAudioPlaysAsMp4) {
  testing::TempDir dir;
  const fs::path source = dir / "speech.mp3";
  testing::write_audio_file(source, "mp3", {"libmp3lame", 44100, 1, 96000}, 20 * 44100,
                            testing::tone(44100, 1, 440, 0.3, [](double t) { return t >= 5 && t < 8; }));
  const EncodedAudioClip clip = encode_audio_clip(source, 4.0, 5.0);
  EXPECT_EQ(clip.mime_type, "audio/mp4");
  EXPECT_DOUBLE_EQ(clip.duration_s, 5.0);
  ASSERT_GT(clip.bytes.size(), 8u);
  EXPECT_EQ(clip.bytes.substr(4, 4), "ftyp");
  // Played back: 5 s, silent for its first second, then the tone.
  const fs::path written = dir / "clip.m4a";
  testing::write_file(written, clip.bytes);
  std::vector<float> left;
  AudioDecoderOptions options;
  options.format = kSoundtrackFormat;
  decode_audio(written, options, [&](const AudioBlock& b) {
    for (std::int64_t i = 0; i < b.frames; ++i) left.push_back(b.f32[2 * i]);
  });
  // The edit list trims the priming; libav's demuxer keeps the last frame's padding (< 1024).
  EXPECT_GE(static_cast<double>(left.size()), 5.0 * 48000);
  EXPECT_LT(static_cast<double>(left.size()), 5.0 * 48000 + 1024);
  EXPECT_LT(testing::rms_of(left, 0, 40000), 0.01);
  std::vector<float> tone(left.begin() + 60000, left.begin() + 180000);
  EXPECT_GT(testing::rms_of(tone), 0.1);
  EXPECT_NEAR(testing::zero_crossing_frequency(tone, 48000), 440.0, 1.0);
}

TEST(AudioClip, RefusesBadRangesAndNamesBadFiles) {
  testing::TempDir dir;
  EXPECT_THROW(encode_audio_clip(dir / "x.wav", 0, 0), std::invalid_argument);
  EXPECT_THROW(encode_audio_clip(dir / "x.wav", 0, kMaxClipSeconds + 1), std::invalid_argument);
  try {
    encode_audio_clip(dir / "missing.wav", 0, 1);
    ADD_FAILURE() << "no error";
  } catch (const AudioError& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "missing.wav").string() + ": no such file");
  }
}

}  // namespace
}  // namespace palimpsest
