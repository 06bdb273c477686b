// `palimpsest ingest --model`: every new record gets a vector in the catalog, once.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/media/image_codec.h"
#include "schema/catalog.h"
#include "tests/common/test_support.h"
#include "schema/embedding_store.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

TEST(IngestEmbedding, EveryRecordIsEmbeddedOnceAndTheModelRegistered) {
  const fs::path clip = testing::fixture_dir("clip");
  testing::TempDir dir;
  const fs::path model = testing::write_fixture_model(dir.path(), clip);
  RgbImage img(48, 32);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i % 200);
  testing::write_file(dir / "a" / "x.png", encode_png(img));
  testing::write_file(dir / "a" / "notes.txt", "First paragraph.\n\nSecond paragraph.\n");
  const fs::path db = dir / "c.db";

  auto r = testing::run_palimpsest({"--db", db, "ingest", dir / "a", "--model", model, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["embeddings"]["embedded"], 3);
  EXPECT_EQ(j["embeddings"]["by_kind"]["image"], 1);
  EXPECT_EQ(j["embeddings"]["by_kind"]["text"], 2);
  // The ingest's time is the whole of it, embedding included.
  EXPECT_GE(j["seconds"].get<double>(), j["embeddings"]["seconds"].get<double>());

  {
    Catalog catalog(db);
    auto models = catalog.embeddings().models();
    ASSERT_EQ(models.size(), 1u);
    EXPECT_EQ(models[0].name, "fixture-tiny");
    EXPECT_EQ(models[0].dim, 32);
    EXPECT_EQ(catalog.embeddings().count(models[0].id), 3);
    catalog.embeddings().for_each(models[0].id, [](std::int64_t, const float* v, int dim) {
      double norm = 0;
      for (int i = 0; i < dim; ++i) norm += v[i] * v[i];
      EXPECT_NEAR(norm, 1.0, 1e-4);
      return true;
    });
  }
  auto again = testing::run_palimpsest({"--db", db, "ingest", dir / "a", "--model", model, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["embeddings"]["embedded"], 0);
}

TEST(IngestEmbedding, PipedOutputShowsPlainProgressLinesForEmbeddingToo) {
  const fs::path clip = testing::fixture_dir("clip");
  testing::TempDir dir;
  const fs::path model = testing::write_fixture_model(dir.path(), clip);
  testing::write_file(dir / "a" / "notes.txt", "First paragraph.\n\nSecond paragraph.\n");
  auto r = testing::run_palimpsest({"--db", dir / "c.db", "ingest", dir / "a", "--model", model});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("added text"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("embedding 2/2 records"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\r"), std::string::npos) << "no redrawn bar when piped";
}

TEST(IngestEmbedding, ABadModelFailsBeforeAnyWork) {
  testing::TempDir dir;
  testing::write_file(dir / "a" / "notes.txt", "Text.\n");
  testing::write_file(dir / "model" / "model.json", "{ not json");
  auto r = testing::run_palimpsest({"--db", dir / "c.db", "ingest", dir / "a", "--model", dir / "model"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("model.json"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "c.db"));
}

}  // namespace
}  // namespace palimpsest
