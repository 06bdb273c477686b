// Speech the recogniser flagged low_confidence is a guess: out of lexical and dense search unless
// asked for; OCR flagged low_confidence stays searchable (its flag means "some characters wrong").
#include <gtest/gtest.h>

#include "retrieval/search/searcher.h"
#include "schema/embedding_store.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

class LowConfidenceSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::int64_t archive = catalog_.ensure_archive("a", "/");
    SourceRow s;
    s.archive_id = archive;
    s.uri = "/talk.wav";
    s.sha256 = "h";
    s.kind = SourceKind::audio;
    auto w = catalog_.replace_source(s);
    sure_ = add(w, RecordKind::speech, "the lighthouse keeper", false);
    guess_ = add(w, RecordKind::speech, "lighthouse lighthouse lighthouse", true);
    ocr_ = add(w, RecordKind::ocr, "lighthouse tours", true);
    w.commit();
  }
  std::int64_t add(Catalog::SourceWriter& w, RecordKind kind, const std::string& text, bool low) {
    RecordRow r;
    r.kind = kind;
    r.text = text;
    r.meta = {{"low_confidence", low}};
    return w.add_record(r);
  }
  std::vector<std::int64_t> lexical(bool include) {
    SearchFilter filter;
    filter.include_low_confidence = include;
    std::vector<std::int64_t> ids;
    for (const LexicalHit& h : catalog_.lexical_search("lighthouse", filter, 10)) ids.push_back(h.record_id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  testing::TempDir dir_;
  Catalog catalog_{dir_ / "c.db"};
  std::int64_t sure_ = 0, guess_ = 0, ocr_ = 0;
};

TEST_F(LowConfidenceSearchTest, LexicalSearchLeavesOutFlaggedSpeechUnlessAsked) {
  EXPECT_EQ(lexical(false), (std::vector<std::int64_t>{sure_, ocr_}));
  EXPECT_EQ(lexical(true), (std::vector<std::int64_t>{sure_, guess_, ocr_}));
}

TEST_F(LowConfidenceSearchTest, DenseFiltersLeaveItOutToo) {
  const RecordRow guess = *catalog_.record(guess_);
  EXPECT_TRUE(is_low_confidence_speech(guess));
  EXPECT_FALSE(is_low_confidence_speech(*catalog_.record(ocr_)));
  EXPECT_FALSE(catalog_.record_matches(guess, SearchFilter{}));
  SearchFilter include;
  include.include_low_confidence = true;
  EXPECT_TRUE(catalog_.record_matches(guess, include));
}

TEST_F(LowConfidenceSearchTest, HybridSearchDoesNotReturnIt) {
  Searcher searcher(catalog_, nullptr, nullptr);
  SearchRequest request;
  request.text = "lighthouse";
  for (const SearchResult& r : searcher.search(request)) EXPECT_NE(r.record.id, guess_);
}

}  // namespace
}  // namespace palimpsest
