// The vector store behind search (retrieval/dense_index.h): open_dense_index keeps a FAISS index
// beside the catalog, equal to brute force, repaired or caught up from the catalog on open; and
// the Searcher over it (hybrid fusion, dense filters).
#include "retrieval/search/dense_index.h"

#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "indexer/ingest/embedding_pass.h"
#include "indexer/vector/vector_store_location.h"
#include "retrieval/search/searcher.h"
#include "tests/common/test_support.h"
#include "schema/embedding_store.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

std::vector<float> random_unit(std::mt19937_64& rng, int dim) {
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<std::size_t>(dim));
  double n = 0;
  for (float& x : v) {
    x = g(rng);
    n += static_cast<double>(x) * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
  return v;
}

// A catalog of `n` text records in two archives, with random unit vectors of a hand-made model.
class DenseIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = catalog_.embeddings().ensure_model("hand", kDim, "h");
    for (int a = 0; a < 2; ++a) {
      archives_[a] = catalog_.ensure_archive(a == 0 ? "a" : "b", "/");
      SourceRow s;
      s.archive_id = archives_[a];
      s.uri = a == 0 ? "/a.txt" : "/b.srt";
      s.sha256 = "h";
      s.kind = a == 0 ? SourceKind::text : SourceKind::subtitle;
      auto w = catalog_.replace_source(s);
      for (int i = 0; i < kPerArchive; ++i) {
        RecordRow r;
        r.kind = a == 0 ? RecordKind::text : RecordKind::subtitle;
        r.text = "record " + std::to_string(i);
        r.ts_ms = i * 1000;
        r.dur_ms = 1000;
        ids_.push_back(w.add_record(r));
      }
      w.commit();
    }
    catalog_.transaction([&] {
      for (std::int64_t id : ids_) catalog_.embeddings().put(id, model_, random_unit(rng_, kDim));
    });
  }

  fs::path index_file() const { return vector_store_folder(catalog_.path()) / ("vectors-" + std::to_string(model_) + ".pvec"); }

  void expect_same_as_exact(DenseIndex& index, int queries = 20) {
    ExactDenseIndex exact(catalog_, model_);
    for (int q = 0; q < queries; ++q) {
      const std::vector<float> query = random_unit(rng_, kDim);
      const auto want = exact.search(query, 10, nullptr);
      const auto got = index.search(query, 10, nullptr);
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].record_id, want[i].record_id) << "query " << q << " rank " << i;
        EXPECT_NEAR(got[i].score, want[i].score, 1e-5);
      }
    }
  }

  static constexpr int kDim = 16;
  static constexpr int kPerArchive = 150;
  testing::TempDir dir_;
  Catalog catalog_{dir_ / "c.db"};
  std::int64_t model_ = 0;
  std::int64_t archives_[2] = {0, 0};
  std::vector<std::int64_t> ids_;
  std::mt19937_64 rng_{7};
};

TEST_F(DenseIndexTest, StoreBesideTheCatalogEqualsBruteForce) {
  std::vector<std::string> log;
  auto index = open_dense_index(catalog_, model_, [&](const std::string& l) { log.push_back(l); });
  ASSERT_TRUE(dynamic_cast<VectorStoreDenseIndex*>(index.get()));
  EXPECT_TRUE(fs::exists(index_file())) << index_file();
  EXPECT_EQ(index_file().parent_path(), dir_ / ".c.db.vectors");
  EXPECT_EQ(index->dim(), kDim);
  expect_same_as_exact(*index);

  // With a filter, the same records as brute force with the same filter.
  ExactDenseIndex exact(catalog_, model_);
  const std::function<bool(std::int64_t)> odd = [](std::int64_t id) { return id % 2 == 1; };
  const std::vector<float> query = random_unit(rng_, kDim);
  const auto want = exact.search(query, 7, odd);
  const auto got = index->search(query, 7, odd);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i].record_id, want[i].record_id);

  // k beyond the collection: all of it; k = 0: nothing; a wrong dimension: an error.
  EXPECT_EQ(index->search(query, 100000, nullptr).size(), ids_.size());
  EXPECT_TRUE(index->search(query, 0, nullptr).empty());
  EXPECT_THROW(index->search(std::vector<float>(3, 0.5f), 5, nullptr), std::invalid_argument);

  // Opened again: read from the file, nothing to repair.
  log.clear();
  const auto generation = catalog_.state("vectors." + std::to_string(model_) + ".generation");
  auto again = open_dense_index(catalog_, model_, [&](const std::string& l) { log.push_back(l); });
  EXPECT_TRUE(log.empty()) << log.front();
  EXPECT_EQ(catalog_.state("vectors." + std::to_string(model_) + ".generation"), generation);
  expect_same_as_exact(*again, 5);
}

TEST_F(DenseIndexTest, CatalogChangesAfterTheLastIndexSaveAreCaughtUpOnOpen) {
  open_dense_index(catalog_, model_);  // saved
  // The catalog commits, the process dies before the index is saved: a new vector, a replaced
  // one, a deleted record.
  SourceRow s;
  s.archive_id = archives_[0];
  s.uri = "/late.txt";
  s.sha256 = "l";
  s.kind = SourceKind::text;
  auto w = catalog_.replace_source(s);
  RecordRow r;
  r.kind = RecordKind::text;
  r.text = "late";
  const std::int64_t late = w.add_record(r);
  w.commit();
  const std::vector<float> target = random_unit(rng_, kDim);
  catalog_.embeddings().put(late, model_, target);
  std::vector<float> moved = target;
  moved[0] += 0.01f;
  catalog_.embeddings().put(ids_[3], model_, moved);  // replaced: now second nearest to `target`
  ASSERT_TRUE(catalog_.delete_source(catalog_.find_source(archives_[1], "/b.srt")->id));

  std::vector<std::string> log;
  auto index = open_dense_index(catalog_, model_, [&](const std::string& l) { log.push_back(l); });
  EXPECT_FALSE(log.empty());
  const auto hits = index->search(target, 2, nullptr);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].record_id, late);
  EXPECT_EQ(hits[1].record_id, ids_[3]);
  EXPECT_EQ(index->search(target, 100000, nullptr).size(), static_cast<std::size_t>(kPerArchive + 1));
  expect_same_as_exact(*index, 5);
}

TEST_F(DenseIndexTest, DamagedIndexFileIsRebuiltWithAMessage) {
  open_dense_index(catalog_, model_);
  {
    std::fstream f(index_file(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.write("garbage!", 8);
  }
  std::vector<std::string> log;
  auto index = open_dense_index(catalog_, model_, [&](const std::string& l) { log.push_back(l); });
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.front().find("rebuilt"), std::string::npos) << log.front();
  expect_same_as_exact(*index, 5);
}

TEST_F(DenseIndexTest, UnusableFolderFallsBackToAnIndexInMemory) {
  testing::write_file(vector_store_folder(catalog_.path()), "a file where the folder should be");
  std::vector<std::string> log;
  auto index = open_dense_index(catalog_, model_, [&](const std::string& l) { log.push_back(l); });
  bool said = false;
  for (const std::string& line : log) said |= line.find("in memory") != std::string::npos;
  EXPECT_TRUE(said) << (log.empty() ? std::string("no log") : log.front());
  expect_same_as_exact(*index, 5);
}

TEST_F(DenseIndexTest, UnknownModelIsAnError) {
  EXPECT_THROW(open_dense_index(catalog_, model_ + 100), VectorStoreError);
}

// The Searcher over the store, with a real (tiny, random-weight) text encoder from the shared
// fixtures: records are embedded by the encoder itself, so dense queries are meaningful.
class StoreSearcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path clip = testing::fixture_dir("clip");
    encoder_ = ClipEncoder::load(testing::write_fixture_model(dir_.path(), clip));
    const char* texts[] = {"the harbour at night", "boats in the harbour", "a desert at noon",
                           "snow on the mountain", "a red circle over the sea", "the city at dusk",
                           "a forest path",        "harbour lights",       "two yellow stars"};
    for (int a = 0; a < 2; ++a) {
      archives_[a] = catalog_.ensure_archive(a == 0 ? "a" : "b", "/");
      SourceRow s;
      s.archive_id = archives_[a];
      s.uri = a == 0 ? "/a.srt" : "/b.txt";
      s.sha256 = "h";
      s.kind = a == 0 ? SourceKind::subtitle : SourceKind::text;
      auto w = catalog_.replace_source(s);
      int i = 0;
      for (const char* t : texts) {
        RecordRow r;
        r.kind = a == 0 ? RecordKind::subtitle : RecordKind::text;
        r.text = t;
        r.ts_ms = (i++) * 1000;
        r.dur_ms = 1000;
        w.add_record(r);
      }
      w.commit();
    }
    const EmbeddingReport report = embed_missing_records(catalog_, *encoder_);
    model_ = report.model_id;
    EXPECT_EQ(report.indexed, 18);  // the embedding pass saved the vector store
    index_ = open_dense_index(catalog_, model_);
  }

  testing::TempDir dir_;
  Catalog catalog_{dir_ / "c.db"};
  std::unique_ptr<ClipEncoder> encoder_;
  std::unique_ptr<DenseIndex> index_;
  std::int64_t model_ = 0;
  std::int64_t archives_[2] = {0, 0};
};

TEST_F(StoreSearcherTest, HybridRanksRecordsFoundByBothListsAboveRecordsFoundByOne) {
  Searcher searcher(catalog_, encoder_.get(), index_.get());
  SearchRequest request;
  request.text = "harbour";
  request.k = 18;
  const auto results = searcher.search(request);
  ASSERT_EQ(results.size(), 18u);  // every record has a vector, so the dense list holds them all
  bool seen_single = false;
  int both = 0;
  for (const SearchResult& r : results) {
    const bool in_both = r.scores.dense_rank && r.scores.lexical_rank;
    EXPECT_TRUE(r.scores.dense_rank);
    if (in_both) {
      ++both;
      EXPECT_FALSE(seen_single) << "record " << r.record.id << " (both lists) ranked below a one-list record";
    } else {
      seen_single = true;
    }
  }
  EXPECT_EQ(both, 6);  // "harbour" in three texts of each archive
}

TEST_F(StoreSearcherTest, DenseSearchEqualsTheExactIndexAndFiltersApply) {
  ExactDenseIndex exact(catalog_, model_);
  Searcher with_store(catalog_, encoder_.get(), index_.get());
  Searcher with_exact(catalog_, encoder_.get(), &exact);
  SearchRequest request;
  request.text = "a red circle over the sea";
  request.mode = SearchMode::dense;
  request.k = 5;
  auto a = with_store.search(request);
  auto b = with_exact.search(request);
  ASSERT_EQ(a.size(), 5u);
  ASSERT_EQ(a.size(), b.size());
  // Both archives hold the same texts, so records tie in pairs: compare scores rank by rank.
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(*a[i].scores.dense_score, *b[i].scores.dense_score, 1e-5) << "rank " << i + 1;

  request.filter.archive_id = archives_[1];
  for (const SearchResult& r : with_store.search(request)) EXPECT_EQ(r.record.archive_id, archives_[1]);
  request.filter = {};
  request.filter.kind = RecordKind::subtitle;
  for (const SearchResult& r : with_store.search(request)) EXPECT_EQ(r.record.kind, RecordKind::subtitle);
  request.filter = {};
  request.filter.from_ms = 2000;
  request.filter.to_ms = 4000;
  request.k = 20;
  const auto timed = with_store.search(request);
  EXPECT_FALSE(timed.empty());
  for (const SearchResult& r : timed) {
    EXPECT_GE(r.record.ts_ms + r.record.dur_ms.value_or(0), 2000);
    EXPECT_LE(r.record.ts_ms, 4000);
  }
  request.filter = {};
  request.filter.archive_id = archives_[0] + archives_[1] + 100;  // no such archive
  EXPECT_TRUE(with_store.search(request).empty());
}

}  // namespace
}  // namespace palimpsest
