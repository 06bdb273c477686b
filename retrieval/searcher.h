#pragma once
// Hybrid search: dense (CLIP text or image query -> nearest vectors), lexical (FTS5 BM25), and
// their reciprocal rank fusion, with filters by archive, kind and time. Every hit carries its
// dense score, lexical score and fused rank.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "indexer/media/rgb_image.h"
#include "retrieval/dense_index.h"
#include "retrieval/rank_fusion.h"
#include "schema/catalog.h"

namespace palimpsest {

class ClipEncoder;

class SearchError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

enum class SearchMode { hybrid, dense, lexical };

struct SearchRequest {
  std::string text;
  std::optional<RgbImage> image;  // query by image (dense only; combined with text when both)
  int k = 10;
  SearchFilter filter;
  SearchMode mode = SearchMode::hybrid;
};

struct SearchResult {
  int rank = 0;  // 1-based
  RecordRow record;
  FusedHit scores;
};

constexpr int kMaxSearchK = 1000;

class Searcher {
 public:
  // encoder and index may be null: search is then lexical only (and says so for dense requests).
  Searcher(Catalog& catalog, ClipEncoder* encoder, DenseIndex* index);

  // Throws SearchError for an empty query, k outside [1, kMaxSearchK], or a dense request
  // without an encoder/index.
  std::vector<SearchResult> search(const SearchRequest& request);

  // The dense query vector for a request (text and/or image, averaged and normalised).
  std::vector<float> query_vector(const SearchRequest& request);

 private:
  std::vector<ScoredId> dense_candidates(const std::vector<float>& query, int depth,
                                         const SearchFilter& filter);
  Catalog& catalog_;
  ClipEncoder* encoder_;
  DenseIndex* index_;
};

}  // namespace palimpsest
