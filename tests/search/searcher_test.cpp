#include "retrieval/search/searcher.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/common/test_support.h"
#include "schema/embedding_store.h"

namespace palimpsest {
namespace {

// A catalog with texts and frames whose vectors are set by hand (no CLIP needed).
class SearcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = catalog_.ensure_archive("a", "/");
    other_ = catalog_.ensure_archive("b", "/");
    model_ = catalog_.embeddings().ensure_model("hand", 3, "h");
    SourceRow s;
    s.archive_id = archive_;
    s.uri = "/v.mp4";
    s.sha256 = "h";
    s.kind = SourceKind::video;
    auto w = catalog_.replace_source(s);
    harbour_ = add(w, RecordKind::text, "the harbour at night", {1, 0, 0});
    boats_ = add(w, RecordKind::text, "boats in the harbour", {0.8f, 0.6f, 0});
    desert_ = add(w, RecordKind::text, "a desert at noon", {0, 0, 1});
    frame_ = add(w, RecordKind::frame, "", {0.9f, 0.1f, 0.42f}, 4000, 1000);
    w.commit();
    s.archive_id = other_;
    auto w2 = catalog_.replace_source(s);
    elsewhere_ = add(w2, RecordKind::text, "harbour elsewhere", {1, 0, 0});
    w2.commit();
  }
  std::int64_t add(Catalog::SourceWriter& w, RecordKind kind, const std::string& text,
                   std::vector<float> v, std::int64_t ts = 0, std::optional<std::int64_t> dur = {}) {
    RecordRow r;
    r.kind = kind;
    r.text = text;
    r.ts_ms = ts;
    r.dur_ms = dur;
    const auto id = w.add_record(r);
    double n = 0;
    for (float x : v) n += x * x;
    for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
    pending_.push_back({id, v});
    return id;
  }
  void flush_vectors() {
    for (auto& [id, v] : pending_) catalog_.embeddings().put(id, model_, v);
    pending_.clear();
  }

  testing::TempDir dir_;
  Catalog catalog_{dir_ / "c.db"};
  std::int64_t archive_ = 0, other_ = 0, model_ = 0;
  std::int64_t harbour_ = 0, boats_ = 0, desert_ = 0, frame_ = 0, elsewhere_ = 0;
  std::vector<std::pair<std::int64_t, std::vector<float>>> pending_;
};

TEST_F(SearcherTest, ExactIndexEqualsBruteForceAndRespectsAccept) {
  flush_vectors();
  ExactDenseIndex index(catalog_, model_);
  EXPECT_EQ(index.size(), 5u);
  auto hits = index.search({1, 0, 0}, 3, nullptr);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].record_id, harbour_);  // ties (harbour, elsewhere) break by id
  EXPECT_EQ(hits[1].record_id, elsewhere_);
  EXPECT_NEAR(hits[2].score, 0.9 / std::sqrt(0.81 + 0.01 + 0.42 * 0.42), 1e-6);
  auto only_desert = index.search({1, 0, 0}, 3, [&](std::int64_t id) { return id == desert_; });
  ASSERT_EQ(only_desert.size(), 1u);
  EXPECT_THROW(index.search({1, 0}, 3, nullptr), std::invalid_argument);
}

TEST_F(SearcherTest, LexicalOnlyWithoutAModel) {
  Searcher searcher(catalog_, nullptr, nullptr);
  SearchRequest request;
  request.text = "harbour night";
  auto results = searcher.search(request);
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0].record.id, harbour_);
  EXPECT_TRUE(results[0].scores.lexical_score);
  EXPECT_FALSE(results[0].scores.dense_score);
  request.mode = SearchMode::dense;
  EXPECT_THROW(searcher.search(request), SearchError);
}

TEST_F(SearcherTest, BadRequestsAreClearErrors) {
  Searcher searcher(catalog_, nullptr, nullptr);
  SearchRequest request;
  request.text = "   ";
  EXPECT_THROW(searcher.search(request), SearchError);
  request.text = "harbour";
  request.k = 0;
  EXPECT_THROW(searcher.search(request), SearchError);
  request.k = kMaxSearchK + 1;
  EXPECT_THROW(searcher.search(request), SearchError);
}

TEST_F(SearcherTest, LexicalFiltersApply) {
  Searcher searcher(catalog_, nullptr, nullptr);
  SearchRequest request;
  request.text = "harbour";
  request.filter.archive_id = other_;
  auto results = searcher.search(request);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].record.id, elsewhere_);
  EXPECT_EQ(results[0].rank, 1);
}

}  // namespace
}  // namespace palimpsest
