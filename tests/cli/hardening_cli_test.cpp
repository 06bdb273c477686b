// Issue 15 from the command line: limits that keep `plan` within memory (run under an
// address-space limit), schedule names and error messages, file names that are not UTF-8 or that
// carry newlines and terminal escapes, and two ingests on one catalog at once.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <future>
#include <sstream>

#include "indexer/media/image_codec.h"
#include "schema/catalog.h"
#include "schema/embedding_store.h"
#include "schema/film_store.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// What `palimpsest plan` may use here: libtorch's libraries alone map about 1.5 GB of address
// space; planning a film within the limits takes a few MB more. The reproducers took 1.2 GB of
// resident memory (86400 s), 4.8 GB (400000 s) and 24 GB (5000000 s).
constexpr std::uint64_t kPlanAddressSpace = 3ull << 30;

std::string png_bytes(int seed) {
  RgbImage img(32, 24);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i * (seed + 3) % 251);
  return encode_png(img);
}

TEST(HardeningCli, LongFilmsAreRefusedWithinAnAddressSpaceLimit) {
  testing::TempDir dir;
  const std::string db = (dir / "c.db").string();
  for (const std::string duration : {"5000000s", "1e7s", "96000000f", "400000s", "86400s"}) {
    testing::write_file(dir / "long.txt", "A calm sea.\n\nA red circle over the sea. [[duration: " + duration + "]]\n");
    const auto r = testing::run_palimpsest_limited({"--db", db, "plan", (dir / "long.txt").string()}, kPlanAddressSpace);
    EXPECT_EQ(r.exit_code, 1) << duration << ": " << r.err;
    EXPECT_NE(r.err.find("the film length limit is 86400 frames (--max-frames raises it)"), std::string::npos)
        << duration << ": " << r.err;
    EXPECT_NE(r.err.find("long.txt:3"), std::string::npos) << duration << ": " << r.err;
  }
  // Nothing was saved, and a user who means it raises the limit.
  EXPECT_TRUE(Catalog(dir / "c.db").films().list(0, 10).empty());
  testing::write_file(dir / "long.txt", "A red circle over the sea. [[duration: 100s]]\n");
  auto fewer = testing::run_palimpsest({"--db", db, "plan", (dir / "long.txt").string(), "--max-frames", "600"});
  EXPECT_EQ(fewer.exit_code, 1);
  EXPECT_NE(fewer.err.find("1200 frames at 12 fps"), std::string::npos) << fewer.err;
  auto raised = testing::run_palimpsest_limited(
      {"--db", db, "plan", (dir / "long.txt").string(), "--fps", "1", "--max-frames", "100"}, kPlanAddressSpace);
  EXPECT_EQ(raised.exit_code, 0) << raised.err;
  EXPECT_EQ(testing::run_palimpsest({"--db", db, "plan", (dir / "long.txt").string(), "--fps", "500"}).exit_code, 2);
}

TEST(HardeningCli, UnknownScheduleNamesAreRefusedNamingTheParameter) {
  testing::TempDir dir;
  testing::write_file(dir / "m.txt", "A red circle.\n");
  const std::string db = (dir / "c.db").string();
  auto evil = testing::run_palimpsest({"--db", db, "plan", (dir / "m.txt").string(), "--schedule", "evil=0:(1)"});
  EXPECT_EQ(evil.exit_code, 2);
  EXPECT_NE(evil.err.find("--schedule: no parameter named \"evil\" (strength, noise"), std::string::npos) << evil.err;
  auto empty = testing::run_palimpsest({"--db", db, "plan", (dir / "m.txt").string(), "--schedule", "=0"});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("--schedule needs a parameter name before '='"), std::string::npos) << empty.err;
  auto escape = testing::run_palimpsest({"--db", db, "plan", (dir / "m.txt").string(), "--schedule", "\x1b[2J=1"});
  EXPECT_EQ(escape.exit_code, 2);
  EXPECT_NE(escape.err.find("\\x1b[2J"), std::string::npos) << escape.err;
  EXPECT_EQ(escape.err.find('\x1b'), std::string::npos);
  // A known name with a bad value still says what is wrong with the value.
  auto bad = testing::run_palimpsest({"--db", db, "plan", (dir / "m.txt").string(), "--schedule", "zoom=0:(1), 0:(2)"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("zoom: duplicate frame 0"), std::string::npos) << bad.err;
  EXPECT_TRUE(Catalog(dir / "c.db").films().list(0, 10).empty());
}

TEST(HardeningCli, AnErrorQuotingAHugeManuscriptIsOneShortLine) {
  testing::TempDir dir;
  std::string keys;
  for (int i = 0; i < 3000; ++i) keys += std::to_string(i) + ":(0.5),\n";
  testing::write_file(dir / "m.txt", "A red circle. [[strength: " + keys + "x]]\n");
  auto r = testing::run_palimpsest({"--db", (dir / "c.db").string(), "plan", (dir / "m.txt").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err.substr(0, 2000);
  EXPECT_LT(r.err.size(), 800u) << r.err;
  EXPECT_NE(r.err.find("m.txt:1:"), std::string::npos) << r.err;
}

// Issue 15.1 and 15.10 from the CLI: `records --json`, `search --json` and the `ingest --json`
// summary with a file name that is not UTF-8 (they failed with type_error.316), and names with a
// newline or an ANSI escape printed escaped.
TEST(HardeningCli, FileNamesThatAreNotUtf8OrCarryTerminalEscapes) {
  testing::TempDir dir;
  const fs::path archive = dir / "a";
  testing::write_file(archive / "bad\xffname.png", png_bytes(1));
  testing::write_file(archive / "esc\x1b[31mred\nline.png", png_bytes(2));
  testing::write_file(archive / "empty\xfe.png", "");  // fails: listed in the summary
  const std::string db = (dir / "c.db").string();

  auto ingest = testing::run_palimpsest({"--db", db, "ingest", archive.string(), "--no-embed", "--json"});
  EXPECT_EQ(ingest.exit_code, 1) << ingest.err;  // the empty file
  const json summary = json::parse(ingest.out);
  EXPECT_EQ(summary["files_added"], 2);
  ASSERT_EQ(summary["failed"].size(), 1u);
  EXPECT_NE(summary["failed"][0]["path"].get<std::string>().find("empty\xef\xbf\xbd.png"), std::string::npos);
  EXPECT_NE(ingest.err.find("empty\\xfe.png"), std::string::npos) << ingest.err;

  // Piped, one plain line per file: names escaped.
  auto lines = testing::run_palimpsest({"--db", (dir / "d.db").string(), "ingest", archive.string(), "--no-embed"});
  EXPECT_NE(lines.err.find("esc\\x1b[31mred\\nline.png"), std::string::npos) << lines.err;
  EXPECT_NE(lines.err.find("bad\\xffname.png"), std::string::npos) << lines.err;
  for (const std::string* out : {&lines.out, &lines.err}) EXPECT_EQ(out->find('\x1b'), std::string::npos);

  auto records = testing::run_palimpsest({"--db", db, "records", "--json"});
  ASSERT_EQ(records.exit_code, 0) << records.err;
  std::istringstream rows(records.out);
  std::string row;
  std::vector<std::string> uris;
  while (std::getline(rows, row)) uris.push_back(json::parse(row)["uri"]);
  ASSERT_EQ(uris.size(), 2u);
  EXPECT_NE(uris[0].find("bad\xef\xbf\xbdname.png"), std::string::npos) << uris[0];
  EXPECT_NE(uris[1].find("esc\x1b[31mred\nline.png"), std::string::npos);  // JSON escapes it itself

  auto listing = testing::run_palimpsest({"--db", db, "records"});
  ASSERT_EQ(listing.exit_code, 0);
  EXPECT_NE(listing.out.find("bad\\xffname.png"), std::string::npos) << listing.out;
  EXPECT_NE(listing.out.find("esc\\x1b[31mred line.png"), std::string::npos) << listing.out;
  EXPECT_EQ(listing.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(std::count(listing.out.begin(), listing.out.end(), '\n'), 2);
  auto one = testing::run_palimpsest({"--db", db, "record", "2"});
  EXPECT_NE(one.out.find("esc\\x1b[31mred\\nline.png"), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find('\x1b'), std::string::npos);
  auto record_json = testing::run_palimpsest({"--db", db, "record", "1", "--json"});
  ASSERT_EQ(record_json.exit_code, 0) << record_json.err;
  EXPECT_EQ(json::parse(record_json.out)["id"], 1);

  auto search = testing::run_palimpsest({"--db", db, "search", "name", "--mode", "lexical", "--json"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  const json hits = json::parse(search.out);
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0]["uri"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);
  auto bytes = testing::run_palimpsest({"--db", db, "search", "\xff", "--mode", "lexical", "--json"});
  EXPECT_EQ(bytes.exit_code, 0) << bytes.err;
  EXPECT_NO_THROW(json::parse(bytes.out));
}

// Issue 15.9: two ingests of one archive into one catalog at once. Whatever the interleaving,
// every file is added by exactly one of them and every record embedded once (the reproducer
// double-counted files and computed ~11k embeddings for 6,037 records).
TEST(HardeningCli, TwoIngestsAtOnceShareTheWork) {
  const fs::path clip = testing::fixture_dir("clip");
  testing::TempDir dir;
  const fs::path model = testing::write_fixture_model(dir.path(), clip);
  const fs::path archive = dir / "a";
  constexpr int kImages = 60, kTexts = 20;
  for (int i = 0; i < kImages; ++i) testing::write_file(archive / ("img" + std::to_string(100 + i) + ".png"), png_bytes(i));
  for (int i = 0; i < kTexts; ++i)
    testing::write_file(archive / ("t" + std::to_string(100 + i) + ".txt"),
                        "Paragraph one of " + std::to_string(i) + ".\n\nParagraph two.\n\nParagraph three.\n");
  const std::string db = (dir / "c.db").string();
  { Catalog created(db); }  // the catalog exists before both start
  auto ingest = [&] {
    return testing::run_palimpsest({"--db", db, "ingest", archive.string(), "--model", model.string(), "--ocr", "off", "--no-speech", "--json"});
  };
  auto first = std::async(std::launch::async, ingest);
  auto second = std::async(std::launch::async, ingest);
  const testing::CommandResult a = first.get(), b = second.get();
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const json ja = json::parse(a.out), jb = json::parse(b.out);
  constexpr int kFiles = kImages + kTexts, kRecords = kImages + 3 * kTexts;
  EXPECT_EQ(ja["files_added"].get<int>() + jb["files_added"].get<int>(), kFiles) << ja.dump() << jb.dump();
  for (const json* j : {&ja, &jb}) {
    EXPECT_EQ((*j)["files_seen"], kFiles);
    EXPECT_EQ((*j)["files_added"].get<int>() + (*j)["files_unchanged"].get<int>() + (*j)["files_deferred"].get<int>(),
              kFiles);
    EXPECT_EQ((*j)["files_replaced"], 0);
  }
  EXPECT_EQ(ja["embeddings"]["embedded"].get<int>() + jb["embeddings"]["embedded"].get<int>(), kRecords)
      << ja["embeddings"].dump() << jb["embeddings"].dump();
  Catalog catalog(dir / "c.db");
  EXPECT_EQ(catalog.integrity_check(), "ok");
  EXPECT_EQ(catalog.count_records(), kRecords);
  const auto models = catalog.embeddings().models();
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(catalog.embeddings().count(models[0].id), kRecords);
}

}  // namespace
}  // namespace palimpsest
