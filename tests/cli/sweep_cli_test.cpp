// `palimpsest sweep`: every combination of the --vary values rendered from one plan, a labelled
// contact sheet and metrics per combination; bad values refused naming the parameter; a sweep
// killed with SIGKILL resumes to the very same files. And `make --json` with the film's metrics.
#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/demo/demo_archive.h"
#include "indexer/media/image_codec.h"
#include "tests/common/test_support.h"

namespace fs = std::filesystem;

namespace palimpsest {
namespace {

constexpr const char* kManuscript =
    "A large red circle over the sea.\n\n"
    "Two small yellow stars at night.\n";

void ingest_demo(const fs::path& archive, const fs::path& db) {
  if (!fs::exists(archive)) {
    demo::DemoArchiveOptions options;
    options.image_count = 16;
    options.write_video = false;
    demo::write_demo_archive(archive, options);
  }
  auto r = testing::run_palimpsest({"--db", db.string(), "ingest", archive.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::vector<std::string> sweep_args(const fs::path& db, const fs::path& manuscript, const fs::path& out) {
  return {"--db", db.string(), "sweep", manuscript.string(), "--vary", "guidance=0,7", "--vary",
          "guidance_mode=records,clip", "--frames", "1,5", "--out", out.string(), "--size", "48x32",
          "--fps", "4", "--steps", "4", "--schedule", "cadence=2", "--json"};
}

TEST(SweepCli, BadVaryValuesAreRefusedNamingTheParameter) {
  testing::TempDir dir;
  testing::write_file(dir / "m.txt", kManuscript);
  const struct {
    std::string vary;
    std::string says;
  } cases[] = {
      {"guidance=0,500", "--vary guidance: value 500 at frame 0 is outside 0 .. 100"},
      {"cfg=3,x", "--vary guidance: "},
      {"colour=1,2", "--vary colour: not a parameter"},
      {"cadence=1,1", "--vary cadence: the value \"1\" is repeated"},
      {"guidance_mode=records,pixels", "--vary guidance_mode: expected records or clip"},
      {"guidance_curve=0:(1), 150:(0)", "--vary guidance_curve"},
      {"denoiser=global,fancy", "--vary denoiser: expected global, local or local_windowed"},
      {"fov", "--vary expects NAME=VALUE"},
  };
  for (const auto& c : cases) {
    auto r = testing::run_palimpsest({"--db", (dir / "c.db").string(), "sweep", (dir / "m.txt").string(), "--vary", c.vary});
    EXPECT_EQ(r.exit_code, 2) << c.vary;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.vary << ": " << r.err;
  }
  auto twice = testing::run_palimpsest({"--db", (dir / "c.db").string(), "sweep", (dir / "m.txt").string(), "--vary",
                                        "fov=30,60", "--vary", "fov=90", "--frames", "0"});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("--vary fov is given twice"), std::string::npos) << twice.err;
  // Nothing was planned or written for any of them.
  EXPECT_FALSE(fs::exists(dir / "c.db"));
}

TEST(SweepCli, KilledMidSweepResumesToTheSameSheetAndMetrics) {
  testing::TempDir dir;
  testing::write_file(dir / "m.txt", kManuscript);
  ingest_demo(dir / "archive", dir / "c.db");

  auto reference = testing::run_palimpsest(sweep_args(dir / "c.db", dir / "m.txt", dir / "ref"));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const nlohmann::json ref = nlohmann::json::parse(reference.out);
  ASSERT_EQ(ref["combinations"].size(), 4u);
  EXPECT_EQ(ref["frames"], nlohmann::json::array({1, 5}));
  for (const auto& c : ref["combinations"]) {
    for (const char* metric : {"clip_score", "flicker", "top_share", "entropy", "novelty"})
      EXPECT_TRUE(c["metrics"][metric].is_number()) << metric << " of " << c.dump();
    EXPECT_GT(c["frames"].get<int>(), 2);
  }
  EXPECT_EQ(ref["combinations"][3]["parameters"], (nlohmann::json{{"guidance", "7"}, {"guidance_mode", "clip"}}));
  // guidance 0 draws the same frames whatever the mode; 7 in clip mode adds language.
  EXPECT_EQ(ref["combinations"][0]["metrics"], ref["combinations"][1]["metrics"]);
  EXPECT_NE(ref["combinations"][2]["metrics"], ref["combinations"][3]["metrics"]);
  const RgbImage sheet = decode_image_bytes(testing::read_file(ref["sheet"].get<std::string>()));
  EXPECT_GT(sheet.width, 2 * 160);
  EXPECT_GT(sheet.height, 4 * 20);
  const std::string csv = testing::read_file(dir / "ref" / "sweep.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "combination,guidance,guidance_mode,clip_score,flicker,top_share,entropy,novelty,frames,render_seconds");

  // The same sweep into another folder, killed after its 5th frame PNG (before that frame's JSON).
  auto args = sweep_args(dir / "c.db", dir / "m.txt", dir / "resumed");
  ::setenv("PALIMPSEST_CRASH_AT_SWEEP_FRAME", "5", 1);
  auto killed = testing::run_palimpsest(args);
  ::unsetenv("PALIMPSEST_CRASH_AT_SWEEP_FRAME");
  EXPECT_NE(killed.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir / "resumed" / "sheet.png"));
  auto resumed = testing::run_palimpsest(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const nlohmann::json again = nlohmann::json::parse(resumed.out);
  EXPECT_EQ(testing::read_file(again["sheet"].get<std::string>()), testing::read_file(ref["sheet"].get<std::string>()));
  for (std::size_t c = 0; c < 4; ++c) {
    EXPECT_EQ(again["combinations"][c]["metrics"], ref["combinations"][c]["metrics"]) << c;
    EXPECT_EQ(again["combinations"][c]["frames"], ref["combinations"][c]["frames"]) << c;
  }

  // Frames or shots outside the film are refused.
  auto outside = testing::run_palimpsest({"--db", (dir / "c.db").string(), "sweep", (dir / "m.txt").string(), "--vary",
                                          "fov=30,60", "--frames", "100000", "--size", "48x32", "--fps", "4", "--steps", "4"});
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_NE(outside.err.find("--frames: the film has"), std::string::npos) << outside.err;
}

TEST(MakeCli, JsonCarriesTheFilmsMetrics) {
  testing::TempDir dir;
  testing::write_file(dir / "m.txt", kManuscript);
  ingest_demo(dir / "archive", dir / "c.db");
  auto r = testing::run_palimpsest({"--db", (dir / "c.db").string(), "make", (dir / "m.txt").string(), "--out-dir",
                                    (dir / "film").string(), "--size", "48x32", "--fps", "4", "--steps", "4",
                                    "--schedule", "guidance_mode=clip", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["film_id"], 1);
  const nlohmann::json& m = j["metrics"];
  ASSERT_EQ(m["shots"].size(), 2u);
  EXPECT_EQ(m["film"]["frames"], j["frames_rendered"]);
  for (const char* metric : {"clip_score", "flicker", "top_share", "entropy", "novelty"})
    EXPECT_TRUE(m["film"][metric].is_number()) << metric;
  EXPECT_TRUE(m["frames"][0]["flicker"].is_null());  // a cut
  EXPECT_TRUE(m["frames"][1]["flicker"].is_number());
  EXPECT_GT(m["frames"][1]["language"].get<double>(), 0.0);  // clip mode drew some pixels

  // provenance.json carries the same metrics, and the language share as a provenance entry.
  const nlohmann::json sidecar = nlohmann::json::parse(testing::read_file(dir / "film" / "provenance.json"));
  EXPECT_EQ(sidecar["metrics"], m);
  bool language = false;
  for (const auto& e : sidecar["frames"][1]["entries"]) language |= e["role"] == "language" && e["record_id"] == 0;
  EXPECT_TRUE(language) << sidecar["frames"][1].dump();
}

}  // namespace
}  // namespace palimpsest
