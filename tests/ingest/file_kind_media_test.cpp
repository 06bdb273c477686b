// File kinds for sound and documents: audio by signature or by the streams of its container, PDFs
// by their signature, and the mislabelled ones named for what they hold.
#include <gtest/gtest.h>

#include "indexer/ingest/file_kind.h"
#include "tests/audio/audio_test_media.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

std::string bytes(std::string_view text) { return std::string(text); }

TEST(FileKindMedia, AudioFormatsAreKnownByTheirFirstBytes) {
  const std::string wav = bytes(std::string_view("RIFF\x24\x00\x00\x00WAVEfmt ", 16));
  EXPECT_EQ(detect_file_kind("x.bin", wav).kind, FileKind::audio);
  EXPECT_EQ(detect_file_kind("x.bin", wav).format, "wav");
  EXPECT_EQ(detect_file_kind("x.flac", "fLaC\0\0\0\x22").kind, FileKind::audio);
  EXPECT_EQ(detect_file_kind("x.mp3", bytes(std::string_view("ID3\x04\x00\x00\x00\x00\x00\x00", 10))).kind,
            FileKind::audio);
  EXPECT_EQ(detect_file_kind("x.m4a", bytes(std::string_view("\0\0\0\x20" "ftypM4A \0\0\0\0", 16))).kind,
            FileKind::audio);
  // Ogg: the codec of the first packet decides.
  auto ogg = [](std::string_view packet) {
    std::string page = bytes(std::string_view("OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x01", 27));
    page.push_back(static_cast<char>(packet.size()));
    return page + std::string(packet);
  };
  EXPECT_EQ(detect_file_kind("x.ogg", ogg("OpusHead\x01\x02")).format, "ogg opus");
  EXPECT_EQ(detect_file_kind("x.ogg", ogg("\x01vorbis\0\0\0\0")).kind, FileKind::audio);
  EXPECT_EQ(detect_file_kind("x.ogv", ogg("\x80theora\x03\x02")).kind, FileKind::video);
}

TEST(FileKindMedia, PdfsAreKnownByTheirSignatureAndHtmlNamedPdfIsNamedForWhatItIs) {
  EXPECT_EQ(detect_file_kind("report.bin", "%PDF-1.7\n%\xE2\xE3\n").kind, FileKind::pdf);
  const KindDetection html = detect_file_kind("report.pdf", "<!DOCTYPE html>\n<html><body>hi</body></html>");
  EXPECT_EQ(html.problem, "not a PDF (no %PDF- signature; the content is HTML)");
  EXPECT_EQ(detect_file_kind("report.pdf", "").problem, "empty file");
  const KindDetection noise = detect_file_kind("song.mp3", bytes(std::string_view("\x01\x02\x03\x04\x05\x06", 6)));
  EXPECT_EQ(noise.problem, "extension .mp3 promises audio, but the content is not a known audio format");
}

TEST(FileKindMedia, AContainerIsAudioOrVideoByItsStreams) {
  testing::TempDir dir;
  // AAC in a plain MP4 (brand isom, like a phone's voice memo): sound only.
  AudioStreamOptions aac;
  testing::write_audio_file(dir / "memo.mp4", "mp4", aac, 48000, testing::tone(48000, 2, 440, 0.3));
  EXPECT_EQ(detect_file_kind(dir / "memo.mp4").kind, FileKind::audio);
  // Pictures and sound: a video.
  testing::write_mp4_with_sound(dir / "film.mp4", 12, 12, 48000, testing::tone(48000, 2, 440, 0.3));
  EXPECT_EQ(detect_file_kind(dir / "film.mp4").kind, FileKind::video);
}

}  // namespace
}  // namespace palimpsest
