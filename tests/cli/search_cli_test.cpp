// `palimpsest search`: dense and hybrid search through the vector store that ingest keeps beside
// the catalog, and clear errors for bad queries.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/media/image_codec.h"
#include "schema/catalog_rows.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

class SearchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path clip = testing::fixture_dir("clip");
    model_ = testing::write_fixture_model(dir_.path(), clip).string();
    RgbImage img(48, 32);
    for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i % 200);
    image_ = (dir_ / "a" / "x.png").string();
    testing::write_file(image_, encode_png(img));
    testing::write_file(dir_ / "a" / "notes.txt",
                        "A red circle over the sea.\n\nThe harbour at night.\n\nBoats in the harbour.\n");
    db_ = (dir_ / "c.db").string();
    auto r = testing::run_palimpsest({"--db", db_, "ingest", (dir_ / "a").string(), "--model", model_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  testing::CommandResult search(std::vector<std::string> args) {
    std::vector<std::string> all = {"--db", db_, "search"};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back("--model");
    all.push_back(model_);
    return testing::run_palimpsest(all);
  }
  testing::TempDir dir_;
  std::string model_, image_, db_;
};

TEST_F(SearchCli, IngestSavesTheIndexAndSearchUsesIt) {
  const fs::path folder = dir_ / ".c.db.vectors";
  ASSERT_TRUE(fs::exists(folder));
  ASSERT_FALSE(fs::is_empty(folder));

  auto hybrid = search({"red circle over the sea", "--json"});
  ASSERT_EQ(hybrid.exit_code, 0) << hybrid.err;
  EXPECT_EQ(hybrid.err.find("vector index"), std::string::npos) << hybrid.err;  // nothing to repair
  auto hits = nlohmann::json::parse(hybrid.out);
  ASSERT_EQ(hits.size(), 4u);  // every record has a vector (random-weight model: any order)
  int red = 0;
  for (const auto& hit : hits) {
    EXPECT_FALSE(hit["dense_score"].is_null()) << hit.dump();
    if (hit["text"] == "A red circle over the sea.") {
      ++red;
      EXPECT_FALSE(hit["lexical_score"].is_null());
      EXPECT_EQ(hit["lexical_rank"], 1);
    }
  }
  EXPECT_EQ(red, 1);

  auto dense = search({"harbour", "--mode", "dense", "-k", "2", "--json"});
  ASSERT_EQ(dense.exit_code, 0) << dense.err;
  auto dense_hits = nlohmann::json::parse(dense.out);
  ASSERT_EQ(dense_hits.size(), 2u);
  EXPECT_TRUE(dense_hits[0]["lexical_score"].is_null());

  auto by_image = search({"--image", image_, "--kind", "image", "--json"});
  ASSERT_EQ(by_image.exit_code, 0) << by_image.err;
  auto image_hits = nlohmann::json::parse(by_image.out);
  ASSERT_EQ(image_hits.size(), 1u);
  EXPECT_EQ(image_hits[0]["kind"], "image");

  // The index file deleted: rebuilt from the catalog, with a note, and the same results.
  fs::remove_all(folder);
  auto rebuilt = search({"red circle over the sea", "--json"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_NE(rebuilt.err.find("vector index"), std::string::npos) << rebuilt.err;
  EXPECT_EQ(nlohmann::json::parse(rebuilt.out), hits);
}

TEST_F(SearchCli, BadQueriesGiveClearErrors) {
  auto empty = search({""});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("empty query"), std::string::npos) << empty.err;

  auto blank = search({"   ", "--mode", "dense"});
  EXPECT_EQ(blank.exit_code, 2);
  EXPECT_NE(blank.err.find("empty query"), std::string::npos) << blank.err;

  auto kind = search({"sea", "--kind", "painting"});
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_NE(kind.err.find("unknown kind 'painting'"), std::string::npos) << kind.err;

  for (const char* k : {"0", "-3", "1001", "1000000000"}) {
    auto r = search({"sea", "-k", k});
    EXPECT_EQ(r.exit_code, 2) << k;
    EXPECT_NE(r.err.find("k must be between 1 and 1000"), std::string::npos) << k << ": " << r.err;
  }
  auto huge = search({"sea", "-k", "99999999999999999999"});
  EXPECT_EQ(huge.exit_code, 2) << huge.err;
  EXPECT_FALSE(huge.err.empty());

  auto missing = search({"--image", (dir_ / "nope.png").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.png"), std::string::npos) << missing.err;

  testing::write_file(dir_ / "fake.png", "this is not an image");
  auto fake = search({"--image", (dir_ / "fake.png").string()});
  EXPECT_EQ(fake.exit_code, 1);
  EXPECT_NE(fake.err.find("fake.png"), std::string::npos) << fake.err;

  auto mode = search({"sea", "--mode", "fuzzy"});
  EXPECT_EQ(mode.exit_code, 2);

  auto archive = search({"sea", "--archive", "nowhere"});
  EXPECT_EQ(archive.exit_code, 1);
  EXPECT_NE(archive.err.find("nowhere"), std::string::npos) << archive.err;
}

}  // namespace
}  // namespace palimpsest
