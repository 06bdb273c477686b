// Two ingests on one catalog share the work (issue 15.9): a file or a record another live ingest
// has claimed is left to it; a claim whose owner died (stale heartbeat) is taken over.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "indexer/ingest/embedding_pass.h"
#include "indexer/ingest/ingester.h"
#include "indexer/media/image_codec.h"
#include "schema/embedding_store.h"
#include "schema/work_claims.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

std::string png(int seed) {
  RgbImage img(16, 16);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i * (seed + 7));
  return encode_png(img);
}

struct Archive {
  testing::TempDir dir;
  fs::path root = dir / "archive";
  Archive() {
    for (int i = 0; i < 3; ++i) testing::write_file(root / ("p" + std::to_string(i) + ".png"), png(i));
  }
  std::string uri(const std::string& name) const { return fs::weakly_canonical(root / name).string(); }
};

TEST(IngestClaims, AFileAnotherLiveIngestHoldsIsLeftToIt) {
  Archive a;
  Catalog catalog(a.dir / "c.db");
  const std::int64_t archive = catalog.ensure_archive("default", a.root.string());
  ASSERT_TRUE(catalog.claims().claim_file(archive, a.uri("p1.png"), "other:1:live", 3600));
  Ingester ingester(catalog, {});
  const IngestSummary s = ingester.run({a.root});
  EXPECT_EQ(s.count(FileOutcome::added), 2);
  EXPECT_EQ(s.count(FileOutcome::deferred), 1);
  EXPECT_EQ(s.to_json()["files_deferred"], 1);
  EXPECT_FALSE(catalog.find_source(archive, a.uri("p1.png")));
  // The run released its own claims; the other ingest's is still there.
  for (const char* name : {"p0.png", "p2.png"}) EXPECT_TRUE(catalog.claims().claim_file(archive, a.uri(name), "probe", 3600));
  EXPECT_FALSE(catalog.claims().claim_file(archive, a.uri("p1.png"), "probe", 3600));
}

TEST(IngestClaims, AStaleClaimIsTakenOver) {
  Archive a;
  Catalog catalog(a.dir / "c.db");
  const std::int64_t archive = catalog.ensure_archive("default", a.root.string());
  ASSERT_TRUE(catalog.claims().claim_file(archive, a.uri("p1.png"), "dead:1:x", 3600));
  IngestOptions options;
  options.claim_stale_after_s = -1;  // every other owner's heartbeat counts as stale
  Ingester ingester(catalog, options);
  const IngestSummary s = ingester.run({a.root});
  EXPECT_EQ(s.count(FileOutcome::added), 3);
  EXPECT_EQ(s.count(FileOutcome::deferred), 0);
  EXPECT_TRUE(catalog.claims().claim_file(archive, a.uri("p1.png"), "probe", 3600));  // released
}

TEST(IngestClaims, TheEmbeddingPassLeavesClaimedRecordsToTheirOwner) {
  const fs::path clip = testing::fixture_dir("clip");
  Archive a;
  Catalog catalog(a.dir / "c.db");
  Ingester ingester(catalog, {});
  ASSERT_EQ(ingester.run({a.root}).count(FileOutcome::added), 3);
  auto encoder = ClipEncoder::load(testing::write_fixture_model(a.dir.path(), clip));
  const std::int64_t model =
      catalog.embeddings().ensure_model(encoder->info().name, encoder->info().embed_dim, encoder->info().weights_sha256);
  const auto held = catalog.claims().claim_records(model, {2}, "other:1:live", 3600);
  ASSERT_EQ(held, (std::vector<std::int64_t>{2}));
  EmbeddingPassOptions options;
  options.update_index = false;
  const EmbeddingReport report = embed_missing_records(catalog, *encoder, options);
  EXPECT_EQ(report.embedded, 2);
  EXPECT_EQ(report.deferred, 1);
  EXPECT_FALSE(catalog.embeddings().get(2, model));
  // Its owner gone (stale), the next pass embeds it.
  options.claim_stale_after_s = -1;
  const EmbeddingReport next = embed_missing_records(catalog, *encoder, options);
  EXPECT_EQ(next.embedded, 1);
  EXPECT_EQ(catalog.embeddings().count(model), 3);
}

}  // namespace
}  // namespace palimpsest
