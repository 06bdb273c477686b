#include "indexer/ingest/file_kind.h"

#include <gtest/gtest.h>

#include "indexer/media/image_codec.h"

namespace palimpsest {
namespace {

RgbImage tiny() { return RgbImage(8, 8); }

TEST(FileKind, ImagesAreRecognisedByContentWhateverTheirName) {
  const std::string png = encode_png(tiny());
  const std::string jpeg = encode_jpeg(tiny());
  EXPECT_EQ(detect_file_kind("a.png", png).kind, FileKind::image);
  EXPECT_EQ(detect_file_kind("a.png", png).format, "png");
  EXPECT_EQ(detect_file_kind("a.jpg", jpeg).format, "jpeg");
  // Mislabelled: a PNG called .txt is still an image.
  EXPECT_EQ(detect_file_kind("notes.txt", png).kind, FileKind::image);
  EXPECT_EQ(detect_file_kind("noext", jpeg).kind, FileKind::image);
}

TEST(FileKind, ContainersAreVideos) {
  std::string mp4 = std::string("\0\0\0\x20" "ftypisom", 12) + std::string(64, '\0');
  EXPECT_EQ(detect_file_kind("clip.bin", mp4).kind, FileKind::video);
  EXPECT_EQ(detect_file_kind("clip.mkv", std::string("\x1A\x45\xDF\xA3") + std::string(60, '\0')).kind,
            FileKind::video);
}

TEST(FileKind, TextAndSubtitles) {
  EXPECT_EQ(detect_file_kind("notes.md", "# Title\n\nSome text.\n").kind, FileKind::text);
  EXPECT_EQ(detect_file_kind("a.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n").kind, FileKind::subtitle);
  EXPECT_EQ(detect_file_kind("a.srt", "1\n00:00:01,000 --> 00:00:02,000\nHi\n").kind, FileKind::subtitle);
  // Text with an extension that is not a text format is not ingested (skipped, no error).
  KindDetection code = detect_file_kind("main.cpp", "int main() {}\n");
  EXPECT_EQ(code.kind, FileKind::unknown);
  EXPECT_TRUE(code.problem.empty());
}

TEST(FileKind, AJpgThatIsNotAnImageIsAProblem) {
  KindDetection d = detect_file_kind("photo.jpg", "this is not a picture\n");
  EXPECT_EQ(d.kind, FileKind::unknown);
  EXPECT_NE(d.problem.find("promises an image"), std::string::npos) << d.problem;
  EXPECT_NE(detect_file_kind("movie.mp4", std::string(100, 'z')).problem, "");
  EXPECT_NE(detect_file_kind("film.srt", "   \n\n").problem.find("promises subtitles"), std::string::npos);
}

TEST(FileKind, EmptyAndBinaryTextFilesAreProblems) {
  EXPECT_EQ(detect_file_kind("a.txt", "").problem, "empty file");
  EXPECT_EQ(detect_file_kind("a.png", "").problem, "empty file");
  EXPECT_NE(detect_file_kind("a.txt", std::string("ab\xFF\xFE", 4)).problem.find("invalid UTF-8"),
            std::string::npos);
  // Unknown empty files (e.g. .keep) are simply not archive content.
  EXPECT_TRUE(detect_file_kind(".keep", "").problem.empty());
}

}  // namespace
}  // namespace palimpsest
