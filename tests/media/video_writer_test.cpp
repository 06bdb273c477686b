#include "indexer/media/video_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "tests/common/test_support.h"
#include "tests/media/video_probe.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::ProbedVideo;

// A frame that changes with its index, so the encoder has real motion to code.
RgbImage moving_frame(int width, int height, int index) {
  RgbImage image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = image.row(y) + x * 3;
      p[0] = static_cast<std::uint8_t>((x + index * 3) & 0xFF);
      p[1] = static_cast<std::uint8_t>((y * 2) & 0xFF);
      p[2] = static_cast<std::uint8_t>(((x / 8 + y / 8 + index) % 2) * 200);
    }
  }
  return image;
}

void write_video(const fs::path& path, int width, int height, double fps, int frames,
                 VideoWriterOptions options = {}) {
  VideoWriter writer(path, width, height, fps, options);
  for (int i = 0; i < frames; ++i) writer.write(moving_frame(width, height, i));
  writer.finish();
}

ProbedVideo probe(const fs::path& path) { return testing::probe_video(path); }

TEST(VideoWriter, WritesH264Mp4WithExactFrameCount) {
  testing::TempDir dir;
  const fs::path path = dir / "clip.mp4";
  {
    VideoWriter writer(path, 160, 96, 24.0);
    ASSERT_EQ(writer.codec_name(), "libx264") << "this FFmpeg lacks libx264: " << writer.warning();
    EXPECT_TRUE(writer.warning().empty());
    for (int i = 0; i < 37; ++i) writer.write(moving_frame(160, 96, i));
    EXPECT_EQ(writer.frames_written(), 37);
    EXPECT_TRUE(fs::exists(writer.partial_path()));
    EXPECT_FALSE(fs::exists(path));
    writer.finish();
    EXPECT_TRUE(writer.finished());
  }
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir / "clip.mp4.partial"));

  const ProbedVideo video = probe(path);
  EXPECT_EQ(video.codec, "h264");
  EXPECT_EQ(video.pix_fmt, AV_PIX_FMT_YUV420P);
  EXPECT_EQ(video.width, 160);
  EXPECT_EQ(video.height, 96);
  EXPECT_EQ(av_cmp_q(video.r_frame_rate, AVRational{24, 1}), 0)
      << video.r_frame_rate.num << "/" << video.r_frame_rate.den;
  EXPECT_EQ(av_cmp_q(video.avg_frame_rate, AVRational{24, 1}), 0)
      << video.avg_frame_rate.num << "/" << video.avg_frame_rate.den;
  EXPECT_NEAR(video.duration_s, 37 / 24.0, 1e-3);
  EXPECT_EQ(video.decoded_frames, 37);
}

TEST(VideoWriter, MovesIndexToTheFrontForStreaming) {
  testing::TempDir dir;
  const fs::path path = dir / "fast.mp4";
  write_video(path, 64, 64, 25.0, 10);
  const std::string bytes = testing::read_file(path);
  const size_t moov = bytes.find("moov");
  const size_t mdat = bytes.find("mdat");
  ASSERT_NE(moov, std::string::npos);
  ASSERT_NE(mdat, std::string::npos);
  EXPECT_LT(moov, mdat);
}

TEST(VideoWriter, KeepsFractionalFrameRatesExact) {
  testing::TempDir dir;
  const fs::path path = dir / "ntsc.mp4";
  write_video(path, 64, 48, 30000.0 / 1001.0, 12);
  const ProbedVideo video = probe(path);
  EXPECT_EQ(av_cmp_q(video.avg_frame_rate, AVRational{30000, 1001}), 0)
      << video.avg_frame_rate.num << "/" << video.avg_frame_rate.den;
  EXPECT_EQ(video.decoded_frames, 12);
}

TEST(VideoWriter, AbandonedWriterLeavesNoFile) {
  testing::TempDir dir;
  const fs::path path = dir / "abandoned.mp4";
  {
    VideoWriter writer(path, 64, 64, 24.0);
    for (int i = 0; i < 5; ++i) writer.write(moving_frame(64, 64, i));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir / "abandoned.mp4.partial"));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(VideoWriter, ReplacesAnExistingFileOnlyWhenFinished) {
  testing::TempDir dir;
  const fs::path path = dir / "film.mp4";
  testing::write_file(path, "old film");
  {
    VideoWriter writer(path, 64, 64, 24.0);
    writer.write(moving_frame(64, 64, 0));
  }
  EXPECT_EQ(testing::read_file(path), "old film");  // an abandoned render keeps the old one
  write_video(path, 64, 64, 24.0, 3);
  EXPECT_EQ(probe(path).decoded_frames, 3);
}

TEST(VideoWriter, RejectsOddSizesAndBadParameters) {
  testing::TempDir dir;
  EXPECT_THROW(VideoWriter(dir / "a.mp4", 63, 64, 24.0), std::invalid_argument);
  EXPECT_THROW(VideoWriter(dir / "a.mp4", 64, 45, 24.0), std::invalid_argument);
  EXPECT_THROW(VideoWriter(dir / "a.mp4", 0, 64, 24.0), std::invalid_argument);
  EXPECT_THROW(VideoWriter(dir / "a.mp4", 64, 64, 0.0), std::invalid_argument);
  try {
    VideoWriter(dir / "a.mp4", 641, 360, 24.0);
    FAIL() << "odd width accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("even"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(VideoWriter, RejectsFramesOfTheWrongSizeAndUseAfterFinish) {
  testing::TempDir dir;
  VideoWriter writer(dir / "b.mp4", 64, 64, 24.0);
  EXPECT_THROW(writer.write(moving_frame(32, 64, 0)), std::invalid_argument);
  writer.write(moving_frame(64, 64, 0));
  writer.finish();
  EXPECT_THROW(writer.write(moving_frame(64, 64, 1)), std::logic_error);
  EXPECT_THROW(writer.finish(), std::logic_error);
  EXPECT_TRUE(fs::exists(dir / "b.mp4"));  // finished files survive the writer
}

TEST(VideoWriter, UnwritableFolderIsAClearError) {
  testing::TempDir dir;
  EXPECT_THROW(VideoWriter(dir / "missing" / "c.mp4", 64, 64, 24.0), std::runtime_error);
}

TEST(VideoWriter, Mpeg4FallbackEncoderWorks) {
  testing::TempDir dir;
  const fs::path path = dir / "fallback.mp4";
  VideoWriterOptions options;
  options.encoder = "mpeg4";
  {
    VideoWriter writer(path, 96, 64, 24.0, options);
    EXPECT_EQ(writer.codec_name(), "mpeg4");
    for (int i = 0; i < 9; ++i) writer.write(moving_frame(96, 64, i));
    writer.finish();
  }
  const ProbedVideo video = probe(path);
  EXPECT_EQ(video.codec, "mpeg4");
  EXPECT_EQ(video.pix_fmt, AV_PIX_FMT_YUV420P);
  EXPECT_EQ(video.decoded_frames, 9);
}

}  // namespace
}  // namespace palimpsest
