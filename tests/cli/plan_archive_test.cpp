// Planning on an archive where texts outnumber pictures ten to one (issue 12): every shot gets
// its own picture when one exists above the threshold, the warnings name each shot without one,
// and an exact lexical match stays first in hybrid search. The archive is built here: demo
// stills, 240 paragraphs of prose in the same vocabulary and a subtitle file, ingested and
// embedded with palimpsest-tiny.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/demo/demo_archive.h"
#include "retrieval/planning/planner.h"
#include "tests/common/test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace palimpsest {
namespace {

constexpr int kPictures = 24;
constexpr int kTexts = 10 * kPictures;

constexpr const char* kManuscript =
    "A large red circle over the sea.\n\n"
    "Two small yellow stars at night.\n\n"
    "A green triangle in the desert.\n\n"
    "Purple squares at the top of the sunset.\n\n"
    "A white ring in the snow.\n";

// Paragraphs in the demo world's words, close to the manuscript's lines. (palimpsest-tiny, trained
// on the demo world, has no modality gap to speak of; planner_test.cpp's
// PicturesAreNotCrowdedOutByTextsThatOutnumberThem has one, as CLIP does.)
std::string prose() {
  const std::vector<std::string> colours = {"red", "green", "blue", "yellow", "white", "black", "orange", "purple"};
  const std::vector<std::string> shapes = {"circle", "square", "triangle", "star", "ring", "cross"};
  const std::vector<std::string> places = {"sea", "desert", "snow", "forest", "city", "sky", "sunset", "night"};
  std::string out;
  for (int i = 0; i < kTexts; ++i)
    out += "The " + colours[i % colours.size()] + " " + shapes[(i / 3) % shapes.size()] + " over the " +
           places[(i / 7) % places.size()] + ", as the notes remember it (" + std::to_string(i) + ").\n\n";
  return out;
}

class PlanArchiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    demo::DemoArchiveOptions options;
    options.image_count = kPictures;
    options.write_video = false;
    demo::write_demo_archive(*dir_ / "archive", options);
    // Only the stills of the demo archive, and our own texts.
    fs::remove_all(*dir_ / "archive" / "texts");
    testing::write_file(*dir_ / "archive" / "texts" / "notes.txt", prose());
    testing::write_file(*dir_ / "archive" / "texts" / "film.srt",
                        "1\n00:00:01,000 --> 00:00:03,000\nWho goes there?\n\n"
                        "2\n00:00:04,000 --> 00:00:06,000\nYou are a villain, and the sea knows it.\n\n"
                        "3\n00:00:07,000 --> 00:00:09,000\nThe red circle again.\n");
    testing::write_file(*dir_ / "script.txt", kManuscript);
    const auto r = testing::run_palimpsest({"--db", db(), "ingest", (*dir_ / "archive").string(), "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string db() { return (*dir_ / "c.db").string(); }

  static json run_json(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--db", db()};
    all.insert(all.end(), args.begin(), args.end());
    const auto r = testing::run_palimpsest(all);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  static testing::TempDir* dir_;
};

testing::TempDir* PlanArchiveTest::dir_ = nullptr;

// First in the suite: the catalog's first command with the embedded model.
TEST_F(PlanArchiveTest, TheEmbeddedModelSaysOnceWhatItKnowsAndHowToBringARealOne) {
  const auto first = testing::run_palimpsest({"--db", db(), "search", "red circle"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("palimpsest-tiny"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("palimpsest model import"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("palimpsest model fetch"), std::string::npos) << first.err;
  const auto second = testing::run_palimpsest({"--db", db(), "search", "red circle"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.err.find("palimpsest-tiny"), std::string::npos) << second.err;
}

TEST_F(PlanArchiveTest, TheArchiveHoldsTenTextsPerPicture) {
  auto count = [](const std::string& kind) {
    const auto r = testing::run_palimpsest({"--db", db(), "records", "--kind", kind, "--limit", "1000", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::count(r.out.begin(), r.out.end(), '\n');  // JSON lines
  };
  EXPECT_EQ(count("image"), kPictures);
  EXPECT_EQ(count("text"), kTexts);
}

TEST_F(PlanArchiveTest, EveryShotGetsItsOwnPictureWhenOneIsAboveTheThresholdAndTheRestAreNamed) {
  const json timeline = run_json({"plan", (*dir_ / "script.txt").string(), "--json"});
  ASSERT_EQ(timeline["shots"].size(), 5u);
  const std::vector<std::string> warnings = timeline["warnings"].get<std::vector<std::string>>();

  int own = 0;
  for (const json& shot : timeline["shots"]) {
    const std::string text = shot["text"];
    // What the planner saw: the shot's pictures and texts, each ranked and calibrated apart.
    const json lists = run_json({"search", text, "--per-modality", "--mode", "dense", "-k", "1000", "--json"});
    double best_picture = -1e9;
    for (const json& hit : lists["picture"]) best_picture = std::max(best_picture, hit["calibrated_score"].get<double>());
    const bool above = best_picture >= kDefaultPictureThreshold;
    const std::string status = shot["pictures"]["status"];
    EXPECT_EQ(status == "own", above) << text << ": best picture z " << best_picture << ", status " << status;
    for (const json& k : shot["keyframes"]) {
      bool picture = false;
      for (const json& hit : lists["picture"]) picture = picture || hit["id"] == k["record"];
      EXPECT_TRUE(picture) << "keyframe " << k["record"] << " of \"" << text << "\" is not a picture";
    }
    const std::string named = "shot " + std::to_string(shot["index"].get<int>()) + " (line " +
                              std::to_string(shot["source_line"].get<int>()) + ")";
    const bool warned = std::any_of(warnings.begin(), warnings.end(),
                                    [&](const std::string& w) { return w.rfind(named, 0) == 0; });
    EXPECT_EQ(warned, !above) << named << ": " << timeline["warnings"].dump();
    own += status == "own";
  }
  EXPECT_GE(own, 3) << timeline["pictures"].dump();
  EXPECT_EQ(timeline["pictures"]["own"], own);
}

TEST_F(PlanArchiveTest, AThresholdNoPictureReachesNamesEveryShot) {
  const auto r = testing::run_palimpsest(
      {"--db", db(), "plan", (*dir_ / "script.txt").string(), "--json", "--threshold", "50"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json timeline = json::parse(r.out);
  EXPECT_EQ(timeline["pictures"]["own"], 0);
  const std::vector<std::string> warnings = timeline["warnings"].get<std::vector<std::string>>();
  ASSERT_EQ(warnings.size(), 5u) << r.err;
  for (int i = 0; i < 5; ++i) {
    const std::string line = std::to_string(1 + 2 * i);
    EXPECT_EQ(warnings[static_cast<std::size_t>(i)].rfind("shot " + std::to_string(i) + " (line " + line + ")", 0), 0u)
        << warnings[static_cast<std::size_t>(i)];
    EXPECT_NE(warnings[static_cast<std::size_t>(i)].find("no picture above the threshold 50"), std::string::npos);
    EXPECT_NE(r.err.find("palimpsest: warning: " + warnings[static_cast<std::size_t>(i)]), std::string::npos) << r.err;
  }
  for (const json& shot : timeline["shots"]) EXPECT_TRUE(shot["keyframes"].empty());
}

TEST_F(PlanArchiveTest, AnExactLexicalMatchStaysFirstInHybridSearch) {
  const json lexical = run_json({"search", "a villain", "--mode", "lexical", "--json"});
  ASSERT_FALSE(lexical.empty());
  EXPECT_EQ(lexical[0]["kind"], "subtitle");
  const json hybrid = run_json({"search", "a villain", "--json"});
  ASSERT_FALSE(hybrid.empty());
  EXPECT_EQ(hybrid[0]["id"], lexical[0]["id"]) << hybrid.dump(1);
  EXPECT_TRUE(hybrid[0]["exact"].get<bool>());
  // Every word of the query in the record's own text, not side by side, is exact too.
  const json apart = run_json({"search", "villain knows", "--json"});
  ASSERT_FALSE(apart.empty());
  EXPECT_EQ(apart[0]["id"], lexical[0]["id"]) << apart.dump(1);
  EXPECT_TRUE(apart[0]["exact"].get<bool>());
  EXPECT_FALSE(apart[1]["exact"].get<bool>());
  // Dense alone ranks it behind paragraphs that share no word with the query.
  const json dense = run_json({"search", "a villain", "--mode", "dense", "--kinds", "text,subtitle", "-k", "1000", "--json"});
  int dense_rank = 0;
  for (std::size_t i = 0; i < dense.size(); ++i)
    if (dense[i]["id"] == lexical[0]["id"]) dense_rank = static_cast<int>(i) + 1;
  EXPECT_GT(dense_rank, 1);
}

}  // namespace
}  // namespace palimpsest
