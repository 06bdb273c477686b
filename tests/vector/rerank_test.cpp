// IVF-PQ with exact re-ranking: it finds what exact search finds on embedding-like data, with
// exact scores, from any number of threads; the plan picks it beyond a memory budget; and its
// re-rank file stays in step with the index file and the catalog through crashes between their
// writes, damage, leftovers and removals.
#include <atomic>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "indexer/vector/index_plan.h"
#include "indexer/vector/rerank_file.h"
#include "indexer/vector/vector_store.h"
#include "indexer/vector/vector_store_internals.h"
#include "tests/vector/vector_fixtures.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using namespace vector_testing;

// IVF-PQ with re-ranking, and codes coarse on purpose (pq_m sub-quantizers), so that the codes
// alone rank poorly and what the re-ranking adds shows.
VectorStoreOptions reranked(int pq_m) {
  VectorStoreOptions o = forced(VectorIndexKind::ivf_pq);
  o.pq_m = pq_m;
  return o;
}

double recall_at_10(const VectorStore& store, const std::vector<std::int64_t>& ids, const std::vector<float>& data,
                    int dim, const std::vector<float>& queries) {
  const std::size_t nq = queries.size() / static_cast<std::size_t>(dim);
  std::size_t found = 0;
  for (std::size_t q = 0; q < nq; ++q) {
    const auto truth = ids_of(brute_force(ids, data, dim, queries.data() + q * dim, 10));
    const std::set<std::int64_t> exact(truth.begin(), truth.end());
    for (const VectorHit& h : store.search(queries.data() + q * dim, dim, 10)) found += exact.count(h.record_id);
  }
  return static_cast<double>(found) / static_cast<double>(nq * 10);
}

std::vector<fs::path> rerank_files(const fs::path& folder) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().extension() == ".rerank") out.push_back(entry.path());
  return out;
}

void flip_byte(const fs::path& file, std::uint64_t at) {
  std::string bytes = testing::read_file(file);
  ASSERT_LT(at, bytes.size());
  bytes[at] = static_cast<char>(bytes[at] ^ 0x5A);
  testing::write_file(file, bytes);
}

TEST(RerankedIvfPq, FindsWhatTheFlatIndexFinds) {
  const int dim = 64;
  const std::size_t n = 20000;
  const auto data = clustered_vectors(n, dim, 40, 1);
  const auto ids = sequential_ids(n);
  const auto queries = clustered_vectors(100, dim, 40, 2);  // fresh draws from the same clusters

  VectorStore store(1, dim, reranked(4));
  store.rebuild(stream_of(ids, data, dim), static_cast<std::int64_t>(n));
  VectorStoreOptions codes_only = reranked(4);
  codes_only.rerank = false;
  VectorStore pq(1, dim, codes_only);
  pq.rebuild(stream_of(ids, data, dim), static_cast<std::int64_t>(n));

  const VectorIndexInfo info = store.describe();
  EXPECT_EQ(info.type, "IVF512,PQ4");
  EXPECT_GT(info.rerank_factor, 0);
  EXPECT_GE(info.recall_at_10, 0.95);  // the tuner's measurement on held-out vectors
  EXPECT_EQ(info.rerank_bytes, RerankFile::kRowsOffset + n * dim * 4);
  EXPECT_EQ(pq.describe().rerank_factor, 0);
  EXPECT_EQ(pq.describe().rerank_bytes, 0u);

  const double with_rerank = recall_at_10(store, ids, data, dim, queries);
  const double codes = recall_at_10(pq, ids, data, dim, queries);
  EXPECT_GE(with_rerank, 0.93) << "codes alone: " << codes;
  EXPECT_LT(codes, with_rerank - 0.15) << "4-byte codes should rank far worse than exact re-ranking";

  // The scores are exact cosine similarities, not code estimates.
  for (int q = 0; q < 20; ++q) {
    const float* query = queries.data() + q * dim;
    const std::vector<float> uq = unit(query, dim);
    for (const VectorHit& h : store.search(query, dim, 10)) {
      const std::vector<float> x = unit(data.data() + (h.record_id - 1) * dim, dim);
      double cosine = 0;
      for (int j = 0; j < dim; ++j) cosine += static_cast<double>(uq[j]) * x[j];
      EXPECT_NEAR(h.score, cosine, 1e-5) << "record " << h.record_id;
    }
  }
}

TEST(RerankedIvfPq, MappedFromItsFilesItAnswersManyThreadsAsOne) {
  const int dim = 32;
  const std::size_t n = 6000;
  const auto data = clustered_vectors(n, dim, 30, 3);
  const auto ids = sequential_ids(n);
  testing::TempDir dir;
  VectorStoreOptions o = reranked(4);
  o.tuning_queries = 50;
  o.latency_limit_ms = 50;
  o.mmap_min_bytes = 0;  // lists read in place
  {
    VectorStore built = VectorStore::open_detached(1, dim, dir.path(), o);
    built.rebuild(stream_of(ids, data, dim), static_cast<std::int64_t>(n));
    built.save();
  }
  Log log;
  const VectorStore store = VectorStore::open_detached(1, dim, dir.path(), log.attach(o));
  EXPECT_TRUE(log.lines.empty()) << log.all();
  const VectorIndexInfo info = store.describe();
  EXPECT_TRUE(info.memory_mapped);
  EXPECT_GT(info.rerank_factor, 0);
  EXPECT_EQ(info.ntotal, static_cast<std::int64_t>(n));

  const auto queries = clustered_vectors(60, dim, 30, 4);
  std::vector<std::vector<VectorHit>> expected;
  for (int q = 0; q < 60; ++q) expected.push_back(store.search(queries.data() + q * dim, dim, 10));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round)
        for (int i = 0; i < 60; ++i) {
          const int q = (i + 17 * t) % 60;  // threads start at different queries
          const auto hits = store.search(queries.data() + q * dim, dim, 10);
          bool same = hits.size() == expected[q].size();
          for (std::size_t j = 0; same && j < hits.size(); ++j)
            same = hits[j].record_id == expected[q][j].record_id && hits[j].score == expected[q][j].score;
          if (!same) ++mismatches;
        }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(RerankedIvfPq, PlannedBeyondTheMemoryBudget) {
  VectorStoreOptions o;
  o.index_memory_bytes = std::uint64_t{3} << 30;
  const IndexPlan plan = plan_index(10'000'000, 512, o);
  EXPECT_EQ(plan.kind, VectorIndexKind::ivf_pq);
  EXPECT_TRUE(plan.rerank);
  EXPECT_EQ(plan.factory, "IVF16384_HNSW32,PQ64");  // the codes only pick candidates: dim/8 bytes
  EXPECT_LE(plan.estimated_bytes, o.index_memory_bytes);
  EXPECT_NE(plan.reason.find("re-ranked"), std::string::npos) << plan.reason;
  // Without re-ranking the codes must carry the precision: the largest that fit.
  o.rerank = false;
  const IndexPlan codes_only = plan_index(10'000'000, 512, o);
  EXPECT_FALSE(codes_only.rerank);
  EXPECT_EQ(codes_only.factory, "IVF16384_HNSW32,PQ128");
  // Collections that fit keep their full vectors in the lists and need no re-ranking.
  EXPECT_FALSE(plan_index(1'000'000, 512, VectorStoreOptions{}).rerank);
}

// A store of 3000 records, IVF-PQ with re-ranking, opened from a catalog.
class RerankRepair : public ::testing::Test {
 protected:
  static constexpr int kDim = 32;
  RerankRepair() : fx(3000, kDim) {
    options = reranked(4);
    options.tuning_queries = 50;
    options.latency_limit_ms = 50;
  }

  void build_and_save() {
    VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), options);
    index_path = store.file_path();
    ASSERT_EQ(rerank_files(fx.folder()).size(), 1u);
    rerank_path = rerank_files(fx.folder()).front();
  }

  VectorStore open(Log& log) { return VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach(options)); }

  // Every record of the catalog is in the store, and searching for a record's own vector finds
  // it first with an exact score of 1, which only its own row can give.
  void expect_rows_match_catalog(const VectorStore& store) {
    EXPECT_EQ(store.size(), fx.catalog.embeddings().count(fx.model));
    for (std::size_t i = 0; i < fx.ids.size(); i += 97) {
      const auto hits = store.search(fx.data.data() + i * kDim, kDim, 1);
      ASSERT_EQ(hits.size(), 1u);
      EXPECT_EQ(hits[0].record_id, fx.ids[i]);
      EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
    }
  }

  std::uint64_t rows_in(const fs::path& file) const {
    return (fs::file_size(file) - RerankFile::kRowsOffset) / (kDim * sizeof(float));
  }

  CatalogWithEmbeddings fx;
  VectorStoreOptions options;
  fs::path index_path, rerank_path;
};

TEST_F(RerankRepair, RowsSavedAfterTheIndexFileAreCutOff) {
  build_and_save();
  const fs::path old_index = fx.dir / "old.pvec";
  fs::copy_file(index_path, old_index);
  std::vector<std::int64_t> fresh;
  {
    Log log;
    VectorStore store = open(log);
    fresh = fx.add_records(40, 15);
    store.add(fresh, fx.data.data() + (fx.ids.size() - 40) * kDim, kDim);
    store.save();
  }
  ASSERT_EQ(rows_in(rerank_path), 3040u);
  // The crash: the re-rank file committed its 40 new rows, the index file was never renamed into
  // place, and the catalog still records the old generation.
  fs::copy_file(old_index, index_path, fs::copy_options::overwrite_existing);
  fx.catalog.set_state("vectors." + std::to_string(fx.model) + ".generation", "1");
  Log log;
  VectorStore store = open(log);
  EXPECT_TRUE(log.mentions("40 rows past the index's 3000")) << log.all();
  EXPECT_TRUE(log.mentions("40 missing")) << log.all();
  EXPECT_TRUE(log.mentions("caught up")) << log.all();
  expect_rows_match_catalog(store);
  for (std::size_t i = 0; i < fresh.size(); i += 9) {
    const auto hits = store.search(fx.data.data() + (fx.ids.size() - 40 + i) * kDim, kDim, 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].record_id, fresh[i]);
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
  }
  EXPECT_EQ(rows_in(rerank_path), 3040u);  // cut to 3000, then the 40 caught up again
  Log again;
  VectorStore reopened = open(again);
  EXPECT_TRUE(again.lines.empty()) << again.all();
}

TEST_F(RerankRepair, RowsNeverCommittedAreCutOff) {
  build_and_save();
  {
    Log log;
    VectorStore store = open(log);
    // Rows appended, then the process dies before save().
    const auto fresh = fx.add_records(25, 16);
    store.add(fresh, fx.data.data() + (fx.ids.size() - 25) * kDim, kDim);
  }
  ASSERT_EQ(rows_in(rerank_path), 3025u);
  Log log;
  VectorStore store = open(log);
  EXPECT_TRUE(log.mentions("25 rows past the index's 3000")) << log.all();
  EXPECT_TRUE(log.mentions("25 missing")) << log.all();
  expect_rows_match_catalog(store);
}

TEST_F(RerankRepair, MissingRerankFileIsRebuilt) {
  build_and_save();
  fs::remove(rerank_path);
  Log log;
  VectorStore store = open(log);
  EXPECT_TRUE(log.mentions("is missing")) << log.all();
  EXPECT_TRUE(log.mentions("rebuilt from the catalog")) << log.all();
  expect_rows_match_catalog(store);
  EXPECT_EQ(rerank_files(fx.folder()).size(), 1u);
}

TEST_F(RerankRepair, DamagedRerankHeaderIsRebuilt) {
  build_and_save();
  flip_byte(rerank_path, 20);  // inside the file id
  Log log;
  VectorStore store = open(log);
  EXPECT_TRUE(log.mentions("damaged header")) << log.all();
  EXPECT_TRUE(log.mentions("rebuilt from the catalog")) << log.all();
  expect_rows_match_catalog(store);
  EXPECT_EQ(rerank_files(fx.folder()).size(), 1u);  // the damaged file is gone
}

TEST_F(RerankRepair, DamagedRowIsReplacedFromTheCatalog) {
  build_and_save();
  const std::int64_t target = fx.ids[123];
  std::int64_t row = -1;
  {
    Log log;
    const VectorStore store = open(log);
    row = VectorStoreInternals::index(store).slot(target);
  }
  ASSERT_GE(row, 0);
  flip_byte(rerank_path, RerankFile::kRowsOffset + static_cast<std::uint64_t>(row) * kDim * 4 + 9);
  Log log;
  VectorStore store = open(log);
  EXPECT_TRUE(log.mentions("1 changed (1 of them in the re-rank file only)")) << log.all();
  EXPECT_TRUE(log.mentions("caught up")) << log.all();
  const auto hits = store.search(fx.data.data() + 123 * kDim, kDim, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].record_id, target);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
}

TEST_F(RerankRepair, LeftoverRerankFilesAreRemoved) {
  build_and_save();
  // A rebuild that died before its index file was saved leaves a file nothing refers to.
  const fs::path leftover = fx.folder() / RerankFile::file_name(fx.model, 0xabcdef);
  testing::write_file(leftover, std::string(5000, 'x'));
  const fs::path other_model = fx.folder() / RerankFile::file_name(fx.model + 1, 0xabcdef);
  testing::write_file(other_model, "another model's file");
  Log log;
  VectorStore store = open(log);
  EXPECT_TRUE(log.lines.empty()) << log.all();
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_TRUE(fs::exists(other_model));
  EXPECT_TRUE(fs::exists(rerank_path));
  // A rebuild writes a new file; once the index that uses it is saved, the old one goes.
  store.rebuild_from_catalog();
  store.save();
  const auto files = rerank_files(fx.folder());
  ASSERT_EQ(files.size(), 2u);  // this model's new file and the other model's
  EXPECT_FALSE(fs::exists(rerank_path));
  expect_rows_match_catalog(store);
}

TEST_F(RerankRepair, DeadRowsAskForARebuild) {
  build_and_save();
  Log log;
  VectorStore store = open(log);
  const std::vector<std::int64_t> gone(fx.ids.begin(), fx.ids.begin() + 1000);
  ASSERT_EQ(store.remove(gone), 1000);
  EXPECT_NE(store.describe().rebuild_reason.find("1000 of 3000 re-rank rows"), std::string::npos)
      << store.describe().rebuild_reason;
  for (const VectorHit& h : store.search(fx.data.data(), kDim, 20)) EXPECT_GT(h.record_id, gone.back());
  // The catalog still holds them (ingest deletes from the catalog first): they come back.
  EXPECT_TRUE(store.maintain());
  EXPECT_TRUE(store.describe().rebuild_reason.empty());
  EXPECT_EQ(store.describe().rerank_bytes, RerankFile::kRowsOffset + 3000 * kDim * 4);
  expect_rows_match_catalog(store);
}

}  // namespace
}  // namespace palimpsest
