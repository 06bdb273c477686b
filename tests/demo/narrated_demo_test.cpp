// The demo archive's narrated reel and scanned camera log: the reel speaks where its narration
// says and hisses softly elsewhere, its pictures are those of the silent reel, it is the same
// from the same seed, it stays silent (and says so) without espeak-ng; the camera log is a
// picture-only PDF page whose words OCR reads back.
#include <cmath>

#include <gtest/gtest.h>

#include "indexer/audio/audio_decoder.h"
#include "indexer/demo/demo_archive.h"
#include "indexer/ocr/character_error_rate.h"
#include "indexer/ocr/ocr_engine.h"
#include "indexer/pdf/page_renderer.h"
#include "indexer/pdf/pdf_document.h"
#include "tests/audio/audio_test_media.h"  // quiets libav's logging
#include "tests/common/test_support.h"
#include "tests/media/video_probe.h"

namespace palimpsest::demo {
namespace {

namespace fs = std::filesystem;
using palimpsest::testing::read_file;
using palimpsest::testing::TempDir;

DemoArchiveOptions reel_options() {
  DemoArchiveOptions options;
  options.seed = 11;
  options.image_count = 1;
  options.image_width = 32;
  options.image_height = 32;
  options.video_width = 128;
  options.video_height = 72;
  options.video_fps = 12;
  options.shot_count = 3;
  options.shot_duration_s = 2.0;
  return options;
}

double rms(const std::vector<float>& mono, double from_s, double to_s) {
  double sum = 0;
  const auto first = static_cast<std::size_t>(from_s * 48000), last = static_cast<std::size_t>(to_s * 48000);
  for (std::size_t i = first; i < last; ++i) sum += static_cast<double>(mono[i]) * mono[i];
  return std::sqrt(sum / static_cast<double>(last - first));
}

TEST(NarratedDemo, TheReelSpeaksEachShotsLineOverANoiseFloor) {
  TempDir dir;
  const DemoArchiveManifest m = write_demo_archive(dir.path(), reel_options());
  EXPECT_TRUE(m.warnings.empty()) << m.warnings.front();
  ASSERT_EQ(m.narration.size(), 3u);
  for (std::size_t i = 0; i < m.narration.size(); ++i) {
    const NarrationLine& line = m.narration[i];
    EXPECT_EQ(line.shot, static_cast<int>(i));
    EXPECT_EQ(line.text, narration_text(m.shots[i].scene));
    EXPECT_GE(line.start_s, m.shots[i].start_s);
    EXPECT_GT(line.end_s, line.start_s + 0.5);
    EXPECT_LE(line.end_s, m.video_duration_s);
    if (i > 0) EXPECT_GE(line.start_s, m.narration[i - 1].end_s);
  }
  EXPECT_FALSE(fs::exists(dir / "footage/.harbour.narration-0.wav")) << "work files are removed";

  AudioDecoderOptions options;
  options.format = kSoundtrackFormat;
  std::vector<float> left;
  const AudioSourceInfo info = decode_audio(m.video, options, [&](const AudioBlock& b) {
    for (std::int64_t i = 0; i < b.frames; ++i) left.push_back(b.f32[2 * i]);
  });
  EXPECT_EQ(info.codec, "aac");
  EXPECT_TRUE(info.has_video);
  EXPECT_NEAR(static_cast<double>(left.size()) / 48000, m.video_duration_s, 1024.0 / 48000);
  // Speech where the narration says, a quiet floor (not digital silence) before the first line.
  const double floor = rms(left, 0.0, m.narration[0].start_s - 0.02);
  EXPECT_GT(floor, 0.0);
  EXPECT_LT(floor, 0.01) << "a low floor: below -40 dBFS";
  for (const NarrationLine& line : m.narration)
    EXPECT_GT(rms(left, line.start_s, line.end_s), 10 * floor) << line.text << ": not 20 dB above the floor";
}

TEST(NarratedDemo, NarrationKeepsThePicturesAndTheSeedKeepsTheFile) {
  TempDir silent_dir, first, second;
  DemoArchiveOptions silent = reel_options();
  silent.narrate = false;
  const DemoArchiveManifest s = write_demo_archive(silent_dir.path(), silent);
  const DemoArchiveManifest a = write_demo_archive(first.path(), reel_options());
  const DemoArchiveManifest b = write_demo_archive(second.path(), reel_options());
  EXPECT_THROW(AudioDecoder decoder(s.video), NoAudioStreamError);
  const testing::ProbedVideo quiet = testing::probe_video(s.video, /*keep_luma=*/true);
  const testing::ProbedVideo loud = testing::probe_video(a.video, /*keep_luma=*/true);
  ASSERT_EQ(quiet.decoded_frames, 72);
  ASSERT_EQ(loud.decoded_frames, quiet.decoded_frames);
  for (int f = 0; f < quiet.decoded_frames; ++f) EXPECT_TRUE(quiet.luma[f] == loud.luma[f]) << "frame " << f;
  EXPECT_EQ(read_file(a.video), read_file(b.video));
  EXPECT_EQ(read_file(a.scanned_page), read_file(b.scanned_page));
}

TEST(NarratedDemo, WithoutEspeakTheReelIsSilentAndItIsSaid) {
  TempDir dir;
  DemoArchiveOptions options = reel_options();
  options.narration.program = "palimpsest-no-such-espeak";
  const DemoArchiveManifest m = write_demo_archive(dir.path(), options);
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_NE(m.warnings[0].find("palimpsest-no-such-espeak could not be run"), std::string::npos) << m.warnings[0];
  EXPECT_NE(m.warnings[0].find(m.video.string() + " has no narration"), std::string::npos) << m.warnings[0];
  EXPECT_TRUE(m.narration.empty());
  EXPECT_THROW(AudioDecoder decoder(m.video), NoAudioStreamError);
  EXPECT_EQ(testing::probe_video(m.video).decoded_frames, 72);
}

TEST(NarratedDemo, TheCameraLogIsAScannedPageThatOcrReads) {
  TempDir dir;
  DemoArchiveOptions options = reel_options();
  options.narrate = false;
  const DemoArchiveManifest m = write_demo_archive(dir.path(), options);
  ASSERT_EQ(m.scanned_page, dir / "texts/camera_log.pdf");
  EXPECT_NE(std::find(m.files().begin(), m.files().end(), m.scanned_page), m.files().end());
  EXPECT_FALSE(fs::exists(dir / "texts/.scanned-page.typed.pdf"));

  PdfDocument pdf(m.scanned_page);
  ASSERT_EQ(pdf.page_count(), 1);
  const PdfPage page = pdf.page(1);
  EXPECT_TRUE(page.words().empty()) << "a scan has no text layer";
  const RenderedPage rendered = render_page(pdf, page, {150, 16'000'000});
  // Not clean black on white: paper tone and noise everywhere.
  int white = 0;
  for (std::size_t i = 0; i < rendered.image.pixels.size(); ++i) white += rendered.image.pixels[i] == 255;
  EXPECT_LT(white, static_cast<int>(rendered.image.pixels.size() / 100));

  OcrEngine ocr;
  const OcrResult read = ocr.recognize(rendered.image, "camera_log.pdf", 150);
  EXPECT_NE(read.text.find("CAMERA LOG"), std::string::npos) << read.text;
  const std::string line = narration_text(m.shots[1].scene);
  EXPECT_NE(read.text.find(line.substr(0, line.size() - 1)), std::string::npos)
      << "the second shot's line \"" << line << "\" in: " << read.text;
}

}  // namespace
}  // namespace palimpsest::demo
