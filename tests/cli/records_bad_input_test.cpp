// Bad input among the records that speak and carry writing: every broken file is one clear line
// naming it, nothing else is lost, the run goes on; long inputs (a 3-hour recording, a 5000-page
// PDF) are streamed in bounded memory with progress shown when piped.
#include <sys/resource.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "schema/catalog.h"
#include "tests/common/archive_media.h"
#include "tests/common/png_bomb.h"
#include "tests/common/test_support.h"
#include "tests/speech/speech_test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<RecordRow> records_of(const fs::path& db, RecordKind kind) {
  Catalog catalog(db);
  RecordFilter filter;
  filter.kind = kind;
  filter.limit = 100000;
  return catalog.records(filter);
}

// Largest resident set of the children waited for so far, in KiB (each test is its own process
// under ctest, so only this test's children count).
long children_peak_kib() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_maxrss;
}

// An M4A (iTunes' audio brand) whose only stream is a subtitle track: an audio file without sound.
void write_m4a_without_sound(const fs::path& path) {
  AVFormatContext* raw = nullptr;
  av_check(avformat_alloc_output_context2(&raw, nullptr, "ipod", path.c_str()), "ipod muxer");
  AvOutputFormatContextPtr format(raw);
  AVStream* text = avformat_new_stream(format.get(), nullptr);
  text->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
  text->codecpar->codec_id = AV_CODEC_ID_MOV_TEXT;
  text->time_base = AVRational{1, 1000};
  av_check(avio_open(&format->pb, path.c_str(), AVIO_FLAG_WRITE), "open " + path.string());
  av_check(avformat_write_header(format.get(), nullptr), "m4a header");
  av_check(av_write_trailer(format.get()), "m4a trailer");
  avio_closep(&format->pb);
}

// A WAV of unsigned 8-bit mono PCM at 8 kHz (86 MB for 3 hours): a 4 s tone, then 2 s of silence,
// over and over. Written in blocks: the test never holds the recording.
void write_long_wav(const fs::path& path, double seconds) {
  const std::uint32_t rate = 8000;
  const std::uint32_t bytes = static_cast<std::uint32_t>(seconds * rate);
  auto le32 = [](std::uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; };
  auto le16 = [](std::uint16_t v) { return std::string{char(v), char(v >> 8)}; };
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << "RIFF" << le32(36 + bytes) << "WAVE" << "fmt " << le32(16) << le16(1) << le16(1) << le32(rate) << le32(rate)
      << le16(1) << le16(8) << "data" << le32(bytes);
  std::string cycle(6 * rate, static_cast<char>(128));
  for (std::uint32_t i = 0; i < 4 * rate; ++i)
    cycle[i] = static_cast<char>(128 + std::lround(60 * std::sin(2 * 3.14159265358979 * 440 * i / rate)));
  for (std::uint32_t written = 0; written < bytes; written += static_cast<std::uint32_t>(cycle.size()))
    out.write(cycle.data(), std::min<std::streamsize>(cycle.size(), bytes - written));
}

TEST(RecordsBadInput, EachBrokenFileIsOneLineAndEverythingElseIsIngested) {
  testing::TempDir dir;
  const fs::path archive = dir / "archive";
  fs::create_directories(archive);
  // Broken: an M4A without an audio stream, an MP3 that is only a tag, 0-length audio, a picture
  // claiming 60000x60000 pixels, an encrypted PDF, an HTML page saved as .pdf.
  write_m4a_without_sound(archive / "no_sound.m4a");
  testing::write_file(archive / "tag_only.mp3", std::string("ID3\x03\x00\x00\x00\x00\x00\x10", 10) + std::string(16, '\0'));
  testing::write_wav_16k(archive / "zero.wav", {});
  testing::write_file(archive / "claims.png", testing::png_bomb(60000, 60000, 1));
  testing::write_document_pdf(dir / "plain.pdf", {"A secret ledger."});
  const testing::CommandOutput qpdf = testing::run_command(
      {"qpdf", "--encrypt", "user", "owner", "256", "--", (dir / "plain.pdf").string(), (archive / "locked.pdf").string()});
  ASSERT_EQ(qpdf.exit_code, 0) << qpdf.err;
  testing::write_file(archive / "page.pdf", "<!DOCTYPE html>\n<html><head><title>Report</title></head><body>Not a PDF</body></html>\n");
  // Good, though unusual: 8 kHz telephone speech, 6-channel sound.
  const std::vector<std::int16_t> speech = testing::spoken_clip(1.0);
  std::vector<std::int16_t> narrow;
  for (std::size_t i = 0; i < speech.size(); i += 2) narrow.push_back(speech[i]);  // 16 -> 8 kHz, crudely
  testing::write_wav_16k(archive / "telephone.wav", narrow, 8000);
  AudioStreamOptions surround;
  surround.encoder = "flac";
  surround.sample_rate = 48000;
  surround.channels = 6;
  testing::write_audio_file(archive / "surround.flac", "flac", surround, 48000 * 9,
                            testing::tone(48000, 6, 330, 0.3, [](double t) { return t < 2.5 || t > 6; }));

  const testing::CommandResult r =
      testing::run_palimpsest({"--db", (dir / "c.db").string(), "ingest", archive.string(), "--no-embed", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json summary = json::parse(r.out);
  EXPECT_EQ(summary["files_failed"], 6) << r.err;
  EXPECT_EQ(summary["files_added"], 2) << r.err;
  const std::map<std::string, std::string> expected = {
      {"no_sound.m4a", "no audio stream"},
      {"tag_only.mp3", "not a decodable audio or video file"},
      {"zero.wav", "0-length audio"},
      {"claims.png", "60000x60000"},
      {"locked.pdf", "encrypted PDF (password required)"},
      {"page.pdf", "not a PDF (no %PDF- signature; the content is HTML)"},
  };
  for (const auto& [name, reason] : expected) {
    const std::string path = (archive / name).string();
    EXPECT_EQ(count_of(r.err, path + ":"), 1u) << name << " in\n" << r.err;
    const std::size_t line = r.err.find("palimpsest: " + path + ": ");
    ASSERT_NE(line, std::string::npos) << name << " in\n" << r.err;
    const std::string text = r.err.substr(line, r.err.find('\n', line) - line);
    EXPECT_NE(text.find(reason), std::string::npos) << text;
    EXPECT_EQ(count_of(text, path), 1u) << "the file is named once: " << text;
  }
  EXPECT_EQ(r.err.find("poppler"), std::string::npos) << r.err;

  // The telephone recording and the surround sound are records, with what they were noted.
  std::map<std::string, std::vector<RecordRow>> audio;
  for (RecordRow& a : records_of(dir / "c.db", RecordKind::audio)) audio[fs::path(a.uri).filename()].push_back(a);
  ASSERT_FALSE(audio["telephone.wav"].empty());
  ASSERT_FALSE(audio["surround.flac"].empty());
  EXPECT_NE(audio["telephone.wav"][0].meta["notes"].dump().find("telephone-band"), std::string::npos)
      << audio["telephone.wav"][0].meta.dump();
  EXPECT_NE(audio["surround.flac"][0].meta["notes"].dump().find("downmixed"), std::string::npos);
  EXPECT_EQ(audio["surround.flac"][0].meta["channels"], 6);
  // The 6-channel tone is cut at its silence (2.5-6 s): sound, silence, sound.
  bool silent_segment = false;
  for (const RecordRow& a : audio["surround.flac"]) silent_segment = silent_segment || a.meta["silent"].get<bool>();
  EXPECT_TRUE(silent_segment);
  EXPECT_EQ(audio["telephone.wav"][0].meta["speech"].get<std::string>().empty(), false);
}

TEST(RecordsBadInput, AThreeHourRecordingIsStreamedInBoundedMemoryWithProgress) {
  testing::TempDir dir;
  write_long_wav(dir / "short" / "minutes.wav", 4 * 60);
  write_long_wav(dir / "long" / "hours.wav", 3 * 3600);
  const auto ingest = [&](const fs::path& folder) {
    return testing::run_palimpsest({"--db", (dir / "c.db").string(), "ingest", folder.string(), "--no-speech", "--no-embed"});
  };
  const testing::CommandResult minutes = ingest(dir / "short");
  ASSERT_EQ(minutes.exit_code, 0) << minutes.err;
  const long after_minutes = children_peak_kib();
  const testing::CommandResult hours = ingest(dir / "long");
  ASSERT_EQ(hours.exit_code, 0) << hours.err;
  const long after_hours = children_peak_kib();
  std::cout << "peak resident: 4 minutes " << after_minutes / 1024 << " MiB, 3 hours " << after_hours / 1024 << " MiB\n";
  EXPECT_LT(after_hours - after_minutes, 48 * 1024) << "memory grows with the recording's length";

  std::int64_t end = 0;
  std::size_t count = 0;
  for (const RecordRow& a : records_of(dir / "c.db", RecordKind::audio)) {
    if (fs::path(a.uri).filename() != "hours.wav") continue;
    ++count;
    EXPECT_GE(a.dur_ms.value_or(0), 1900) << a.title;
    EXPECT_LE(a.dur_ms.value_or(0), 15000) << a.title;
    end = std::max(end, a.ts_ms + a.dur_ms.value_or(0));
  }
  EXPECT_NEAR(end, 3 * 3600 * 1000, 200);
  EXPECT_GE(count, 3u * 3600 / 15) << "segments of at most 15 s";
  // Piped, the long recording's progress is a plain line at every tenth.
  EXPECT_EQ(count_of(hours.err, "hours.wav: sound "), 9u) << hours.err;
  EXPECT_EQ(count_of(minutes.err, "minutes.wav: sound "), 0u) << "four minutes: no lines of its own: " << minutes.err;
}

TEST(RecordsBadInput, AFiveThousandPagePdfIsStreamedInBoundedMemoryWithProgress) {
  testing::TempDir dir;
  const auto write = [](const fs::path& path, int pages) {
    fs::create_directories(path.parent_path());
    PdfWriter writer(path);
    for (int p = 1; p <= pages; ++p) {
      writer.begin_page(216, 144);
      writer.text("Ledger page " + std::to_string(p) + ": cargo of salt and timber.", 12, 40, 9);
      writer.end_page();
    }
    writer.finish();
  };
  write(dir / "short" / "fifty.pdf", 50);
  write(dir / "long" / "ledger.pdf", 5000);
  const auto ingest = [&](const fs::path& folder) {
    return testing::run_palimpsest({"--db", (dir / "c.db").string(), "ingest", folder.string(), "--no-embed"});
  };
  const testing::CommandResult fifty = ingest(dir / "short");
  ASSERT_EQ(fifty.exit_code, 0) << fifty.err;
  const long after_fifty = children_peak_kib();
  const testing::CommandResult ledger = ingest(dir / "long");
  ASSERT_EQ(ledger.exit_code, 0) << ledger.err;
  const long after_ledger = children_peak_kib();
  std::cout << "peak resident: 50 pages " << after_fifty / 1024 << " MiB, 5000 pages " << after_ledger / 1024 << " MiB\n";
  // poppler keeps about 2 KB per page loaded until the document closes (indexer/pdf/README.md).
  EXPECT_LT(after_ledger - after_fifty, 48 * 1024) << "memory grows with the page count";
  EXPECT_NE(ledger.err.find("ledger.pdf: page 2500/5000"), std::string::npos) << ledger.err;
  EXPECT_EQ(count_of(ledger.err, "ledger.pdf: page "), 9u) << ledger.err;
  EXPECT_NE(ledger.out.find("PDF:     5000 page(s)"), std::string::npos) << ledger.out;
  std::size_t pages = 0, texts = 0;
  for (const RecordRow& r : records_of(dir / "c.db", RecordKind::image)) pages += r.meta["page_count"] == 5000;
  for (const RecordRow& r : records_of(dir / "c.db", RecordKind::text)) texts += r.meta["page"] == 4321 && r.text.find("Ledger page 4321") == 0;
  EXPECT_EQ(pages, 5000u);
  EXPECT_EQ(texts, 1u);
}

}  // namespace
}  // namespace palimpsest
