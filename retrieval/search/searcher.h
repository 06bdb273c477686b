#pragma once
// Hybrid search: dense (CLIP text or image query -> nearest vectors), lexical (FTS5 BM25), and
// their reciprocal rank fusion, with filters by archive, kind and time. Every hit carries its
// dense score, lexical score and fused rank.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "indexer/media/rgb_image.h"
#include "retrieval/search/dense_index.h"
#include "retrieval/search/rank_fusion.h"
#include "schema/catalog.h"
#include "schema/error.h"

namespace palimpsest {

class ClipEncoder;

class SearchError : public Error {
 public:
  explicit SearchError(const std::string& message) : Error(message, error_class::bad_request) {}
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

// A Searcher caches what it has read (record rows, text embeddings) for its lifetime: make one
// per request, or per batch of requests that may share those reads (a planning run). Not
// thread-safe (one Catalog connection).
class Searcher {
 public:
  // encoder and index may be null: search is then lexical only (and says so for dense requests).
  Searcher(Catalog& catalog, ClipEncoder* encoder, DenseIndex* index);

  // Throws SearchError for an empty query, k outside [1, kMaxSearchK], or a dense request
  // without an encoder/index.
  std::vector<SearchResult> search(const SearchRequest& request);

  // The dense query vector for a request (text and/or image, averaged and normalised).
  std::vector<float> query_vector(const SearchRequest& request);

  // The text encoder's vector for `text` (cached). Throws SearchError without an encoder.
  const std::vector<float>& text_vector(const std::string& text);
  // Encodes the texts not cached yet in one batch (one encoder call instead of one per text).
  void prepare_text_vectors(const std::vector<std::string>& texts);

  // The catalog's record `id` (cached; nullptr when it does not exist).
  const RecordRow* record(std::int64_t id);

 private:
  std::vector<ScoredId> dense_candidates(const std::vector<float>& query, int depth,
                                         const SearchFilter& filter);
  Catalog& catalog_;
  ClipEncoder* encoder_;
  DenseIndex* index_;
  std::unordered_map<std::int64_t, std::optional<RecordRow>> records_;
  std::map<std::string, std::vector<float>> text_vectors_;
};

}  // namespace palimpsest
