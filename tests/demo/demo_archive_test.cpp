#include "indexer/demo/demo_archive.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "tests/common/test_support.h"
#include "tests/media/video_probe.h"

namespace palimpsest::demo {
namespace {

namespace fs = std::filesystem;
using palimpsest::testing::read_file;
using palimpsest::testing::TempDir;

// Small enough to write in well under a second.
DemoArchiveOptions small_options(std::uint64_t seed) {
  DemoArchiveOptions options;
  options.seed = seed;
  options.image_count = 9;
  options.image_width = 64;
  options.image_height = 48;
  options.video_width = 128;
  options.video_height = 72;
  options.video_fps = 12;
  options.shot_count = 3;
  options.shot_duration_s = 0.5;
  return options;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

double mean_abs_difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) total += std::abs(a[i] - b[i]);
  return total / static_cast<double>(a.size());
}

TEST(DemoArchive, WritesEveryFileTheManifestNames) {
  TempDir dir;
  const DemoArchiveManifest manifest = write_demo_archive(dir.path(), small_options(1));
  EXPECT_EQ(manifest.root, fs::absolute(dir.path()));
  EXPECT_EQ(manifest.video, dir / "footage/harbour.mp4");
  EXPECT_EQ(manifest.subtitles, dir / "footage/harbour.srt");
  EXPECT_EQ(manifest.captions, dir / "images/captions.tsv");
  EXPECT_EQ(manifest.notes, dir / "texts/notes.md");
  for (const fs::path& file : manifest.files()) {
    EXPECT_TRUE(fs::is_regular_file(file)) << file;
    EXPECT_GT(fs::file_size(file), 0u) << file;
  }
  EXPECT_FALSE(fs::exists(dir / "footage/harbour.mp4.partial"));

  ASSERT_EQ(manifest.images.size(), 9u);
  EXPECT_EQ(manifest.images[0].path, dir / "images/scene_0001.png");
  EXPECT_EQ(manifest.images[3].path, dir / "images/scene_0004.jpg");
  EXPECT_EQ(manifest.images[7].path, dir / "images/scene_0008.jpg");
  const std::string jpeg = read_file(manifest.images[3].path);
  EXPECT_EQ(jpeg.substr(0, 3), "\xFF\xD8\xFF");
  EXPECT_EQ(read_file(manifest.images[0].path).substr(1, 3), "PNG");
}

TEST(DemoArchive, CaptionsMatchTheScenes) {
  TempDir dir;
  const DemoArchiveManifest manifest = write_demo_archive(dir.path(), small_options(2));
  const std::vector<std::string> lines = lines_of(read_file(manifest.captions));
  ASSERT_EQ(lines.size(), manifest.images.size() + 1);
  EXPECT_EQ(lines[0], "file\tcaption");
  for (size_t i = 0; i < manifest.images.size(); ++i) {
    const DemoImage& image = manifest.images[i];
    EXPECT_EQ(image.caption, caption(image.scene));
    EXPECT_EQ(lines[i + 1], image.path.filename().string() + "\t" + image.caption);
  }
  for (const WrittenShot& shot : manifest.shots) EXPECT_EQ(shot.caption, caption(shot.scene));
}

TEST(DemoArchive, IsReproducibleForASeed) {
  TempDir first, second, other;
  const DemoArchiveManifest a = write_demo_archive(first.path(), small_options(7));
  const DemoArchiveManifest b = write_demo_archive(second.path(), small_options(7));
  const DemoArchiveManifest c = write_demo_archive(other.path(), small_options(8));
  ASSERT_EQ(a.images.size(), b.images.size());
  for (size_t i = 0; i < a.images.size(); ++i) {
    EXPECT_EQ(read_file(a.images[i].path), read_file(b.images[i].path)) << a.images[i].path;
    EXPECT_EQ(a.images[i].scene, b.images[i].scene);
  }
  EXPECT_EQ(read_file(a.captions), read_file(b.captions));
  EXPECT_EQ(read_file(a.subtitles), read_file(b.subtitles));
  EXPECT_EQ(read_file(a.notes), read_file(b.notes));
  EXPECT_EQ(a.cut_times_s, b.cut_times_s);
  EXPECT_EQ(read_file(a.video), read_file(b.video));  // x264 is deterministic for equal input

  EXPECT_NE(read_file(a.captions), read_file(c.captions));
  EXPECT_NE(read_file(a.images[0].path), read_file(c.images[0].path));
  EXPECT_NE(read_file(a.subtitles), read_file(c.subtitles));
}

TEST(DemoArchive, StillsAndFootageUseSeparateStreams) {
  TempDir first, second;
  DemoArchiveOptions options = small_options(3);
  const DemoArchiveManifest a = write_demo_archive(first.path(), options);
  options.image_count = 2;
  const DemoArchiveManifest b = write_demo_archive(second.path(), options);
  EXPECT_EQ(read_file(a.subtitles), read_file(b.subtitles));
  EXPECT_EQ(read_file(a.images[1].path), read_file(b.images[1].path));
}

TEST(DemoArchive, VideoHasTheExpectedFramesAndDuration) {
  TempDir dir;
  const DemoArchiveOptions options = small_options(4);
  const DemoArchiveManifest manifest = write_demo_archive(dir.path(), options);
  ASSERT_EQ(manifest.shots.size(), 3u);
  EXPECT_EQ(manifest.video_frames, 18);  // 3 shots x 0.5 s x 12 fps
  EXPECT_DOUBLE_EQ(manifest.video_duration_s, 1.5);
  EXPECT_EQ(manifest.cut_times_s, (std::vector<double>{0.5, 1.0}));
  for (size_t i = 1; i < manifest.shots.size(); ++i) {
    EXPECT_NE(manifest.shots[i].scene.background, manifest.shots[i - 1].scene.background);
  }

  const testing::ProbedVideo video = testing::probe_video(manifest.video);
  EXPECT_EQ(video.codec, "h264");
  EXPECT_EQ(video.width, 128);
  EXPECT_EQ(video.height, 72);
  EXPECT_EQ(video.decoded_frames, 18);
  EXPECT_NEAR(video.duration_s, 1.5, 1e-3);
  EXPECT_EQ(av_cmp_q(video.avg_frame_rate, AVRational{12, 1}), 0);
}

TEST(DemoArchive, SubtitlesHaveOneCuePerShot) {
  TempDir dir;
  const DemoArchiveManifest manifest = write_demo_archive(dir.path(), small_options(5));
  const std::vector<std::string> lines = lines_of(read_file(manifest.subtitles));
  ASSERT_EQ(lines.size(), 3u * 4u - 1u);  // number, times, text, blank between cues
  EXPECT_EQ(lines[0], "1");
  EXPECT_EQ(lines[1], "00:00:00,000 --> 00:00:00,500");
  std::string first_caption = manifest.shots[0].caption;
  first_caption[0] = static_cast<char>(std::toupper(first_caption[0]));
  EXPECT_EQ(lines[2], first_caption + ".");
  EXPECT_EQ(lines[3], "");
  EXPECT_EQ(lines[4], "2");
  EXPECT_EQ(lines[5], "00:00:00,500 --> 00:00:01,000");
  EXPECT_EQ(lines[9], "00:00:01,000 --> 00:00:01,500");
}

TEST(DemoArchive, NotesDescribeTheShots) {
  TempDir dir;
  const DemoArchiveManifest manifest = write_demo_archive(dir.path(), small_options(6));
  const std::string notes = read_file(manifest.notes);
  EXPECT_EQ(notes.rfind("# ", 0), 0u);
  EXPECT_NE(notes.find("\n## The harbour reel\n"), std::string::npos);
  EXPECT_NE(notes.find("\n## Stills\n"), std::string::npos);
  for (const WrittenShot& shot : manifest.shots) {
    EXPECT_NE(notes.find(shot.caption.substr(1)), std::string::npos) << shot.caption;
  }
}

TEST(DemoArchive, WithoutVideoWritesOnlyStillsAndNotes) {
  TempDir dir;
  DemoArchiveOptions options = small_options(9);
  options.write_video = false;
  options.jpeg_every = 0;
  const DemoArchiveManifest manifest = write_demo_archive(dir.path(), options);
  EXPECT_TRUE(manifest.video.empty());
  EXPECT_TRUE(manifest.shots.empty());
  EXPECT_FALSE(fs::exists(dir / "footage/harbour.mp4"));
  for (const DemoImage& image : manifest.images) EXPECT_EQ(image.path.extension(), ".png");
  EXPECT_EQ(manifest.files().size(), manifest.images.size() + 2);
}

TEST(DemoArchive, ShotVideoHasCutsExactlyWhereReported) {
  TempDir dir;
  std::mt19937_64 rng(21);
  std::vector<ShotSpec> shots = random_shots(rng, 3, 1.0);
  shots[0].duration_s = 0.5;
  shots[2].duration_s = 0.25;
  const fs::path path = dir / "cuts.mp4";
  const std::vector<double> cuts = write_shot_video(path, 96, 64, 12, shots);
  ASSERT_EQ(cuts, (std::vector<double>{0.5, 1.5}));  // 6 + 12 + 3 frames

  const testing::ProbedVideo video = testing::probe_video(path, /*keep_luma=*/true);
  ASSERT_EQ(video.decoded_frames, 21);
  // The two largest frame-to-frame changes are the cuts, far above any change within a shot.
  std::vector<std::pair<double, int>> changes;
  for (int i = 1; i < video.decoded_frames; ++i) {
    changes.push_back({mean_abs_difference(video.luma[i - 1], video.luma[i]), i});
  }
  std::sort(changes.rbegin(), changes.rend());
  std::vector<int> biggest = {changes[0].second, changes[1].second};
  std::sort(biggest.begin(), biggest.end());
  EXPECT_EQ(biggest, (std::vector<int>{6, 18}));
  EXPECT_GT(changes[1].first, 3 * changes[2].first);
}

TEST(DemoArchive, RejectsEmptyShotLists) {
  TempDir dir;
  EXPECT_THROW(write_shot_video(dir / "none.mp4", 64, 64, 12, {}), std::invalid_argument);
  EXPECT_FALSE(fs::exists(dir / "none.mp4"));
}

}  // namespace
}  // namespace palimpsest::demo
