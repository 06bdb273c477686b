// End-to-end tests of `palimpsest ingest`: the real binary on a small archive the test writes.
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/media/image_codec.h"
#include "indexer/media/video_writer.h"
#include "schema/catalog.h"
#include "tests/common/test_support.h"
#include "schema/film_store.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::run_palimpsest;

constexpr double kFps = 24;
// Shot boundaries of the test footage, in seconds.
const std::vector<double> kCuts = {2.0, 3.5, 5.0};
constexpr double kVideoSeconds = 6.0;

RgbImage pattern(int w, int h, int seed) {
  RgbImage img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = img.row(y) + 3 * x;
      p[0] = static_cast<std::uint8_t>((x * 7 + seed * 40) % 256);
      p[1] = static_cast<std::uint8_t>((y * 5 + seed * 90) % 256);
      p[2] = static_cast<std::uint8_t>((x + y + seed * 150) % 256);
    }
  return img;
}

// Footage with hard cuts at kCuts: each shot a distinct colour with a square drifting across.
void write_footage(const fs::path& path, int w = 320, int h = 180) {
  const int colours[][3] = {{140, 20, 20}, {150, 200, 250}, {10, 70, 25}, {250, 235, 190}};
  fs::create_directories(path.parent_path());
  VideoWriter writer(path, w, h, kFps);
  const int frames = static_cast<int>(kVideoSeconds * kFps);
  for (int f = 0; f < frames; ++f) {
    const double t = f / kFps;
    int shot = 0;
    while (shot < static_cast<int>(kCuts.size()) && t >= kCuts[shot] - 1e-9) ++shot;
    RgbImage img(w, h);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        std::uint8_t* p = img.row(y) + 3 * x;
        const bool square = std::abs(x - (20 + f * 2) % w) < 16 && std::abs(y - h / 2) < 16;
        for (int c = 0; c < 3; ++c) p[c] = static_cast<std::uint8_t>(square ? 255 - colours[shot][c] : colours[shot][c]);
      }
    writer.write(img);
  }
  writer.finish();
}

void write_archive(const fs::path& dir) {
  write_footage(dir / "footage" / "harbour.mp4");
  testing::write_file(dir / "footage" / "harbour.srt",
                      "1\n00:00:00,500 --> 00:00:01,800\nThe <i>red</i> room.\n\n"
                      "2\n00:00:02,100 --> 00:00:03,000\nBlue water\nat night.\n");
  testing::write_file(dir / "images" / "a.png", encode_png(pattern(64, 48, 1)));
  testing::write_file(dir / "images" / "b.jpg", encode_jpeg(pattern(640, 480, 2)));
  testing::write_file(dir / "texts" / "notes.md",
                      "# Harbour\n\nBoats leave at dawn.\n\nThe lighthouse é turns.\n");
  testing::write_file(dir / "images" / ".hidden.png", encode_png(pattern(8, 8, 3)));
}

struct Archive {
  testing::TempDir dir;
  fs::path db;
  Archive() : db(dir / "catalog.db") {
    fs::create_directories(dir / "archive");
    write_archive(dir / "archive");
  }
  fs::path root() const { return dir / "archive"; }
};

TEST(IngestCli, IngestsEveryRecordKind) {
  Archive a;
  auto r = run_palimpsest({"--db", a.db, "ingest", a.root(), "--archive", "harbour", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["files_added"], 5);  // the hidden file is not archive content
  EXPECT_EQ(summary["files_failed"], 0);
  EXPECT_EQ(summary["records_added"]["image"], 2);
  EXPECT_EQ(summary["records_added"]["subtitle"], 2);
  EXPECT_EQ(summary["records_added"]["text"], 3);
  EXPECT_EQ(summary["subtitles_linked"], 1);

  Catalog catalog(a.db);
  EXPECT_EQ(catalog.integrity_check(), "ok");
  // Every image and frame has a JPEG thumbnail no larger than 384 px.
  RecordFilter filter;
  filter.limit = 1000;
  for (const RecordRow& rec : catalog.records(filter)) {
    if (rec.kind == RecordKind::image || rec.kind == RecordKind::frame) {
      auto jpeg = catalog.thumbnail(rec.id);
      ASSERT_TRUE(jpeg) << rec.title;
      EXPECT_EQ(jpeg->substr(0, 3), "\xFF\xD8\xFF");
    }
  }
  filter.kind = RecordKind::image;
  auto images = catalog.records(filter);
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[1].width.value_or(0), 640);
  EXPECT_EQ(images[1].height.value_or(0), 480);

  filter.kind = RecordKind::subtitle;
  auto cues = catalog.records(filter);
  ASSERT_EQ(cues.size(), 2u);
  EXPECT_EQ(cues[0].text, "The red room.");
  EXPECT_EQ(cues[0].ts_ms, 500);
  EXPECT_EQ(cues[0].dur_ms.value_or(0), 1300);
  EXPECT_EQ(cues[1].text, "Blue water\nat night.");
  auto subtitle_source = catalog.source(cues[0].source_id);
  ASSERT_TRUE(subtitle_source->linked_source_id);
  EXPECT_EQ(fs::path(catalog.source(*subtitle_source->linked_source_id)->uri).filename(), "harbour.mp4");

  filter.kind = RecordKind::text;
  auto texts = catalog.records(filter);
  ASSERT_EQ(texts.size(), 3u);
  const std::string body = testing::read_file(a.root() / "texts" / "notes.md");
  for (const RecordRow& t : texts) {
    EXPECT_EQ(body.substr(t.meta["byte_offset"].get<std::size_t>(), t.meta["byte_length"].get<std::size_t>()), t.text);
  }
  EXPECT_EQ(texts[2].meta["heading"], "Harbour");
}

TEST(IngestCli, VideoShotsAreFoundAtTheirCutsAndSampledEverySecond) {
  Archive a;
  auto r = run_palimpsest({"--db", a.db, "ingest", a.root() / "footage" / "harbour.mp4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Catalog catalog(a.db);
  RecordFilter filter;
  filter.kind = RecordKind::frame;
  filter.limit = 1000;
  std::vector<RecordRow> keyframes, samples;
  for (RecordRow& rec : catalog.records(filter))
    (rec.meta["role"] == "keyframe" ? keyframes : samples).push_back(rec);
  ASSERT_EQ(keyframes.size(), kCuts.size() + 1) << "one keyframe per shot";
  EXPECT_EQ(keyframes[0].ts_ms, 0);
  for (std::size_t i = 0; i < kCuts.size(); ++i) {
    // Found within one frame of the true cut (the issue asks for within one sample).
    EXPECT_NEAR(keyframes[i + 1].ts_ms, kCuts[i] * 1000, 1000 / kFps + 1) << "cut " << i;
    EXPECT_EQ(keyframes[i + 1].meta["shot"], static_cast<int>(i + 1));
    // A keyframe's duration spans its shot.
    EXPECT_NEAR(keyframes[i].ts_ms + keyframes[i].dur_ms.value_or(0), kCuts[i] * 1000, 1000 / kFps + 1);
  }
  // Samples every second; where a sample falls on a shot's first frame (0, 2 and 5 s) the
  // keyframe record serves as both, so separate sample records are at 1, 3 and 4 s.
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_TRUE(keyframes[0].meta["also_sample"].get<bool>());
  EXPECT_TRUE(keyframes[1].meta["also_sample"].get<bool>());
  EXPECT_FALSE(keyframes[2].meta["also_sample"].get<bool>());
  EXPECT_TRUE(keyframes[3].meta["also_sample"].get<bool>());
  for (const RecordRow& s : samples) {
    EXPECT_EQ(s.ts_ms % 1000, 0) << s.ts_ms;
    int shot = 0;
    while (shot < static_cast<int>(kCuts.size()) && s.ts_ms >= kCuts[shot] * 1000 + 1000 / kFps) ++shot;
    EXPECT_EQ(s.meta["shot"], shot) << "sample at " << s.ts_ms;
  }
  auto source = catalog.source(keyframes[0].source_id);
  EXPECT_NEAR(static_cast<double>(source->duration_ms.value_or(0)), kVideoSeconds * 1000, 100);
}

TEST(IngestCli, SampleRateOption) {
  Archive a;
  auto r = run_palimpsest({"--db", a.db, "ingest", a.root() / "footage", "--sample-fps", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Catalog catalog(a.db);
  // 6 s at 4 samples/s, some of them coinciding with the 4 keyframes.
  EXPECT_GE(catalog.count_records(RecordKind::frame), 24);
  EXPECT_LE(catalog.count_records(RecordKind::frame), 28);
}

TEST(IngestCli, ReingestingTheSameFilesAddsNothing) {
  Archive a;
  ASSERT_EQ(run_palimpsest({"--db", a.db, "ingest", a.root()}).exit_code, 0);
  std::vector<std::int64_t> before;
  {
    Catalog catalog(a.db);
    RecordFilter filter;
    filter.limit = 1000;
    for (auto& rec : catalog.records(filter)) before.push_back(rec.id);
  }
  auto r = run_palimpsest({"--db", a.db, "ingest", a.root(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["files_unchanged"], 5);
  EXPECT_EQ(summary["files_added"], 0);
  EXPECT_TRUE(summary["records_added"].empty());
  Catalog catalog(a.db);
  RecordFilter filter;
  filter.limit = 1000;
  std::vector<std::int64_t> after;
  for (auto& rec : catalog.records(filter)) after.push_back(rec.id);
  EXPECT_EQ(before, after);
}

TEST(IngestCli, AChangedFileReplacesItsRecords) {
  Archive a;
  ASSERT_EQ(run_palimpsest({"--db", a.db, "ingest", a.root()}).exit_code, 0);
  testing::write_file(a.root() / "texts" / "notes.md", "Only one paragraph now.\n");
  auto r = run_palimpsest({"--db", a.db, "ingest", a.root(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["files_replaced"], 1);
  EXPECT_EQ(summary["files_unchanged"], 4);
  Catalog catalog(a.db);
  RecordFilter filter;
  filter.kind = RecordKind::text;
  auto texts = catalog.records(filter);
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0].text, "Only one paragraph now.");
}

TEST(IngestCli, TextsAsPeopleHaveThemSeparatorsEscapesAndLongParagraphs) {
  testing::TempDir dir;
  std::string long_paragraph;
  for (int i = 0; i < 100; ++i) long_paragraph += "word" + std::to_string(i) + (i % 10 == 9 ? "\n" : " ");
  const std::string text = "A fortune.\n%\nAnother, \x1b[1mbold\x1b[0m.\n* * *\n" + long_paragraph;
  testing::write_file(dir / "a" / "quotes.txt", text);
  auto r = run_palimpsest({"--db", (dir / "c.db").string(), "ingest", (dir / "a").string(), "--no-embed", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Catalog catalog(dir / "c.db");
  RecordFilter filter;
  filter.kind = RecordKind::text;
  const auto texts = catalog.records(filter);
  ASSERT_EQ(texts.size(), 5u);  // two short paragraphs, three passages of the long one
  EXPECT_EQ(texts[0].text, "A fortune.");
  EXPECT_EQ(texts[1].text, "Another, bold.");  // no escape sequence anywhere
  for (int i = 2; i < 5; ++i) {
    const RecordRow& passage = texts[static_cast<std::size_t>(i)];
    EXPECT_EQ(passage.meta["paragraph"], 2);
    EXPECT_EQ(passage.meta["passage"], i - 2);
    EXPECT_EQ(passage.meta["passages"], 3);
    EXPECT_NE(passage.title.find("(" + std::to_string(i - 1) + "/3)"), std::string::npos) << passage.title;
    // Its byte range in the file is its text (newlines in the file where the text has them).
    const std::string bytes = text.substr(passage.meta["byte_offset"].get<std::size_t>(), passage.meta["byte_length"].get<std::size_t>());
    EXPECT_EQ(bytes, passage.text);
  }
  EXPECT_EQ(texts[2].text.substr(0, 6), "word0 ");
  EXPECT_EQ(texts[3].text.substr(0, 7), "word36 ");  // 12 words of overlap
  EXPECT_EQ(texts[4].text.substr(texts[4].text.size() - 6), "word99");
  // The escape sequence is not searchable either.
  EXPECT_TRUE(catalog.lexical_search("1mbold", {}, 10).empty());
  EXPECT_EQ(catalog.lexical_search("bold", {}, 10).size(), 1u);
}

TEST(IngestCli, BadFilesAreReportedOneLineEachAndTheRestIsIngested) {
  testing::TempDir dir;
  const fs::path root = dir / "bad";
  testing::write_file(root / "good.png", encode_png(pattern(32, 32, 4)));
  testing::write_file(root / "good.txt", "A fine paragraph.\n");
  testing::write_file(root / "empty.mp4", "");
  testing::write_file(root / "not-an-image.jpg", "I am text pretending to be a JPEG.\n");
  std::string png = encode_png(pattern(64, 64, 5));
  testing::write_file(root / "corrupt.png", png.substr(0, 40) + std::string(2000, '\x5a'));
  testing::write_file(root / "latin1.txt", "caf\xE9 au lait\n");
  // A truncated video: the first 40% of a valid MP4 (its index is at the front: faststart).
  write_footage(dir / "full.mp4");
  const std::string video = testing::read_file(dir / "full.mp4");
  testing::write_file(root / "truncated.mp4", video.substr(0, video.size() * 2 / 5));
  // A 1 GiB text file (sparse: costs no disk).
  {
    std::ofstream big(root / "huge.txt", std::ios::binary);
    for (int i = 0; i < 200; ++i) big << "The start of a very large text, line " << i << ".\n";
  }
  ASSERT_EQ(::truncate((root / "huge.txt").c_str(), 1ll << 30), 0);
  // A path that cannot be read.
  fs::create_symlink(dir / "nowhere.png", root / "dangling.png");

  const fs::path db = dir / "c.db";
  auto r = run_palimpsest({"--db", db, "ingest", root, "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["files_added"], 2) << r.out;
  EXPECT_EQ(summary["files_failed"], 7) << r.out;
  std::map<std::string, std::string> reasons;
  for (auto& f : summary["failed"]) reasons[fs::path(f["path"].get<std::string>()).filename()] = f["reason"];
  EXPECT_EQ(reasons["empty.mp4"], "empty file");
  EXPECT_NE(reasons["not-an-image.jpg"].find("promises an image"), std::string::npos);
  EXPECT_FALSE(reasons["corrupt.png"].empty());
  EXPECT_NE(reasons["latin1.txt"].find("UTF-8"), std::string::npos) << reasons["latin1.txt"];
  EXPECT_NE(reasons["truncated.mp4"].find("truncated"), std::string::npos) << reasons["truncated.mp4"];
  EXPECT_NE(reasons["huge.txt"].find("too large"), std::string::npos) << reasons["huge.txt"];
  EXPECT_NE(reasons["dangling.png"].find("No such file"), std::string::npos) << reasons["dangling.png"];
  // One line per failure on stderr, naming the file, plus the closing count.
  for (const auto& [name, reason] : reasons) {
    EXPECT_NE(r.err.find(name + ": " + reason + "\n"), std::string::npos) << name;
  }
  EXPECT_NE(r.err.find("7 files failed"), std::string::npos) << r.err;

  Catalog catalog(db);
  EXPECT_EQ(catalog.count_sources(), 2);
  EXPECT_EQ(catalog.integrity_check(), "ok");
}

TEST(IngestCli, KilledMidFileLeavesAConsistentCatalogAndTheNextRunCompletes) {
  Archive a;
  // Reference: an uninterrupted ingest into another catalog.
  const fs::path reference = a.dir / "reference.db";
  ASSERT_EQ(run_palimpsest({"--db", reference, "ingest", a.root()}).exit_code, 0);
  Catalog ref(reference);
  const auto expected = ref.count_records_by_kind();

  // Kill -9 in the middle of the video's transaction (records are written in path order:
  // the footage folder comes first), then again in the middle of a later file.
  for (const char* crash_at : {"4", "3"}) {
    const std::string env = std::string("PALIMPSEST_CRASH_AT_RECORD=") + crash_at;
    ::putenv(const_cast<char*>(strdup(env.c_str())));
    auto crashed = run_palimpsest({"--db", a.db, "ingest", a.root()});
    ::unsetenv("PALIMPSEST_CRASH_AT_RECORD");
    ASSERT_EQ(crashed.exit_code, 128 + SIGKILL) << "the fault injection did not fire";
    Catalog catalog(a.db);
    EXPECT_EQ(catalog.integrity_check(), "ok");
    // Every source present is complete: no half-ingested file.
    for (const SourceRow& s : catalog.sources(catalog.find_archive("default")->id)) {
      RecordFilter mine;
      mine.source_id = s.id;
      mine.limit = 100000;
      const auto got = catalog.records(mine).size();
      const auto ref_source = ref.find_source(ref.find_archive("default")->id, s.uri);
      ASSERT_TRUE(ref_source);
      RecordFilter theirs;
      theirs.source_id = ref_source->id;
      theirs.limit = 100000;
      EXPECT_EQ(got, ref.records(theirs).size()) << s.uri;
    }
  }
  auto resumed = run_palimpsest({"--db", a.db, "ingest", a.root()});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  Catalog catalog(a.db);
  EXPECT_EQ(catalog.count_records_by_kind(), expected);
  EXPECT_EQ(catalog.count_sources(), ref.count_sources());
}

TEST(IngestCli, MissingPathsAndBadOptionsAreClearErrors) {
  testing::TempDir dir;
  auto missing = run_palimpsest({"--db", dir / "c.db", "ingest", dir / "does-not-exist"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("does-not-exist: No such file or directory"), std::string::npos) << missing.err;
  auto bad = run_palimpsest({"--db", dir / "c.db", "ingest", dir.path(), "--sample-fps", "0"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  auto none = run_palimpsest({"--db", dir / "c.db", "ingest"});
  EXPECT_EQ(none.exit_code, 2);
}

TEST(Cli, VersionLoadsEveryNativeLibrary) {
  auto r = run_palimpsest({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("libtorch 1.13"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("faiss 1.7"), std::string::npos) << r.out;
}

TEST(Cli, HelpListsTheCommands) {
  auto r = run_palimpsest({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"ingest", "records", "record", "demo"}) EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
}

TEST(Cli, RecordsListingAndRecordDetail) {
  Archive a;
  ASSERT_EQ(run_palimpsest({"--db", a.db, "ingest", a.root() / "texts"}).exit_code, 0);
  auto list = run_palimpsest({"--db", a.db, "records", "--kind", "text"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("Boats leave at dawn."), std::string::npos) << list.out;
  auto one = run_palimpsest({"--db", a.db, "record", "2", "--json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(nlohmann::json::parse(one.out)["text"], "Boats leave at dawn.");
  EXPECT_EQ(run_palimpsest({"--db", a.db, "record", "999"}).exit_code, 1);
  EXPECT_EQ(run_palimpsest({"--db", a.db, "records", "--kind", "sound"}).exit_code, 2);
}

TEST(Cli, DatabaseFromEnvironment) {
  Archive a;
  ::setenv("PALIMPSEST_DB", a.db.c_str(), 1);
  auto r = run_palimpsest({"ingest", a.root() / "texts"});
  ::unsetenv("PALIMPSEST_DB");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(a.db));
}

}  // namespace
}  // namespace palimpsest

namespace palimpsest {
namespace {

TEST(DemoCli, GeneratesIngestsRendersAndSaysWhereToLook) {
  testing::TempDir dir;
  const std::vector<std::string> args = {"demo", "--out", (dir / "demo").string(), "--images", "6", "--size", "64x48"};
  auto r = run_palimpsest(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Where to look"), std::string::npos) << r.out;
  Catalog catalog(dir / "demo" / "palimpsest.db");
  EXPECT_EQ(catalog.count_records(RecordKind::image), 7);  // 6 stills and the scanned camera log's page
  EXPECT_GE(catalog.count_records(RecordKind::frame), 6);   // at least a keyframe per shot
  EXPECT_GE(catalog.count_records(RecordKind::subtitle), 6);
  EXPECT_GE(catalog.count_records(RecordKind::text), 1);
  // The demo manuscript, planned and rendered with provenance.
  const auto film = catalog.films().get(1);
  ASSERT_TRUE(film);
  EXPECT_EQ(film->status, FilmStatus::done);
  EXPECT_GT(film->frame_count, 100);
  EXPECT_EQ(film->frames_rendered, film->frame_count);
  EXPECT_TRUE(std::filesystem::is_regular_file(film->video_path)) << film->video_path;
  EXPECT_FALSE(catalog.films().frame_provenance(1, 0).empty());
  EXPECT_NE(r.out.find("#/film/1"), std::string::npos) << r.out;
  // Running it again is a no-op: the archive is regenerated identically and found unchanged,
  // the plan comes out the same and the film is already rendered.
  auto again = run_palimpsest(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 added"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("(0 frames rendered, " + std::to_string(film->frame_count) + " reused"),
            std::string::npos)
      << again.out;
}

}  // namespace
}  // namespace palimpsest
