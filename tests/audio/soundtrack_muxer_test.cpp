#include "indexer/audio/soundtrack_muxer.h"

#include <gtest/gtest.h>

#include "indexer/audio/audio_decoder.h"
#include "indexer/media/media_decoder.h"
#include "indexer/media/video_writer.h"
#include "tests/audio/audio_test_media.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

void write_film(const fs::path& path, int frames) {
  VideoWriter writer(path, 64, 48, 12);
  RgbImage image(64, 48);
  for (int f = 0; f < frames; ++f) {
    for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<std::uint8_t>(i * 3 + f * 17);
    writer.write(image);
  }
  writer.finish();
}

std::vector<float> left_channel(const fs::path& path, AudioSourceInfo* info) {
  AudioDecoderOptions options;
  options.format = kSoundtrackFormat;
  std::vector<float> left;
  *info = decode_audio(path, options, [&](const AudioBlock& b) {
    for (std::int64_t i = 0; i < b.frames; ++i) left.push_back(b.f32[2 * i]);
  });
  return left;
}

TEST(SoundtrackMuxer, GivesARenderedFilmItsSound) {
  TempDir dir;
  const fs::path film = dir / "film.mp4";
  write_film(film, 30);  // 2.5 s at 12 fps
  const std::string silent_bytes = testing::read_file(film);
  const fs::path tone = dir / "tone.wav";
  testing::write_audio_file(tone, "wav", {"pcm_f32le", 48000, 2, 0}, 3 * 48000, testing::tone(48000, 2, 440, 0.3));
  const std::vector<SoundtrackClip> clips = {
      {.source = tone, .duration_s = 1.25, .film_start_s = 0.5, .fade_in_s = 0.05, .fade_out_s = 0.05, .record_id = 42}};

  const SoundtrackResult result = mux_soundtrack(film, film, 2.5, clips);  // in place
  EXPECT_FALSE(fs::exists(dir / "film.mp4.partial"));
  EXPECT_EQ(result.frames, 120000);
  EXPECT_NEAR(result.output_lufs, -23.0, 0.1);
  ASSERT_EQ(result.provenance.size(), 3u);
  EXPECT_TRUE(result.provenance[0].size() == 1 && result.provenance[0][0].record_id == 42);

  // The pictures are the same frames; the sound is there, where the clip is.
  MediaDecoder pictures(film);
  while (pictures.next_frame()) {
  }
  EXPECT_EQ(pictures.frames_decoded(), 30);
  AudioSourceInfo info;
  const std::vector<float> left = left_channel(film, &info);
  EXPECT_TRUE(info.has_video);
  EXPECT_EQ(info.codec, "aac");
  EXPECT_GE(left.size(), 120000u);
  EXPECT_LT(left.size(), 120000u + 1024);
  EXPECT_LT(testing::rms_of(left, 0, 20000), 1e-3);       // 0 - 0.42 s: silence
  EXPECT_GT(testing::rms_of(left, 33600, 81600), 0.05);   // 0.7 - 1.7 s: the tone
  EXPECT_LT(testing::rms_of(left, 91200, 120000), 1e-3);  // 1.9 - 2.5 s: silence
  EXPECT_GT(testing::read_file(film).size(), silent_bytes.size());

  // Deterministic: the same film and clips give the same file.
  const fs::path again = dir / "again.mp4", again2 = dir / "again2.mp4";
  testing::write_file(again, silent_bytes);
  mux_soundtrack(again, again2, 2.5, clips);
  EXPECT_EQ(testing::read_file(again2), testing::read_file(film));
}

TEST(SoundtrackMuxer, LeavesNothingBehindOnError) {
  TempDir dir;
  EXPECT_THROW(mux_soundtrack(dir / "missing.mp4", dir / "out.mp4", 1.0, {}), AudioError);
  const fs::path audio_only = dir / "sound.wav";
  testing::write_audio_file(audio_only, "wav", {"pcm_s16le", 48000, 2, 0}, 48000, testing::tone(48000, 2, 440, 0.3));
  try {
    mux_soundtrack(audio_only, dir / "out.mp4", 1.0, {});
    ADD_FAILURE() << "no error";
  } catch (const AudioError& e) {
    EXPECT_EQ(std::string(e.what()), audio_only.string() + ": the film has no video stream");
  }
  EXPECT_FALSE(fs::exists(dir / "out.mp4"));
  EXPECT_FALSE(fs::exists(dir / "out.mp4.partial"));
}

}  // namespace
}  // namespace palimpsest
