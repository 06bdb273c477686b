#pragma once
// Modality-aware hybrid search: dense (CLIP text or image query -> nearest vectors), lexical (FTS5
// BM25) and exact matches (every word of the query in a record's own text), with filters by
// archive, kinds and time.
//
// Pictures, texts and sounds (Modality) are ranked apart: each modality gets its own dense list
// (so thousands of texts cannot crowd a few pictures out of it), its dense scores are calibrated
// against the modality's background for the query (score_background.h), and its lists are fused on
// that calibrated scale (rank_fusion.h: exact matches first, then z + lexical). Because
// every modality's scores are on the same scale, the modalities' lists also merge into one
// ranking (search()); search_by_modality() keeps them apart. Every hit carries its modality, dense
// score and rank, calibrated score, lexical score and rank, whether it is an exact match, and the
// fused score it is ordered by.

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
#include "retrieval/search/score_background.h"
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
  int rank = 0;  // 1-based, in the list it is returned in
  RecordRow record;
  Modality modality = Modality::picture;
  FusedHit scores;
};

// Adds a result's rank, modality and scores to its record's JSON (the CLI's and the API's search
// hits): rank, modality, fused_score, exact, calibrated_score, dense_score, dense_rank,
// lexical_score, lexical_rank (null when absent).
void add_search_scores(nlohmann::json& hit, const SearchResult& result);

struct ModalityResults {
  Modality modality = Modality::picture;
  std::vector<SearchResult> results;  // best first, at most k
  // The background the dense scores were calibrated against (nullopt: no dense query, or no
  // vectors of this modality).
  std::optional<ScoreDistribution> background;
};

// The kinds of `modality` that `filter` admits (its kind and its kinds, when set), in enum order.
std::vector<RecordKind> admitted_kinds(const SearchFilter& filter, Modality modality);

constexpr int kMaxSearchK = 1000;

// A Searcher caches what it has read (record rows, text embeddings) for its lifetime: make one
// per request, or per batch of requests that may share those reads (a planning run). Not
// thread-safe (one Catalog connection).
class Searcher {
 public:
  // encoder and index may be null: search is then lexical only (and says so for dense requests).
  Searcher(Catalog& catalog, ClipEncoder* encoder, DenseIndex* index);

  // The best k records of all modalities the filter admits, on the calibrated scale. Throws
  // SearchError for an empty query, k outside [1, kMaxSearchK], or a dense request without an
  // encoder/index.
  std::vector<SearchResult> search(const SearchRequest& request);
  // The best k records of each modality the filter admits (modalities in enum order, each listed
  // even when it found nothing). Throws as search().
  std::vector<ModalityResults> search_by_modality(const SearchRequest& request);

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
  std::optional<double> stored_score(std::int64_t record_id, const std::vector<float>& query);
  // The background distribution of dense scores for `query` among a modality's records (read
  // from the catalog once per Searcher); nullopt without vectors of that modality.
  std::optional<ScoreDistribution> background(Modality modality, const std::vector<float>& query);
  std::optional<RecordKind> kind_of(std::int64_t record_id);
  Catalog& catalog_;
  ClipEncoder* encoder_;
  DenseIndex* index_;
  std::unordered_map<std::int64_t, std::optional<RecordRow>> records_;
  std::map<std::string, std::vector<float>> text_vectors_;
  std::optional<ScoreBackground> background_;
  std::unordered_map<std::int64_t, std::vector<float>> stored_vectors_;  // for lexical-only hits
  std::unordered_map<std::int64_t, RecordKind> kinds_;  // every record's kind, read on first use
};

}  // namespace palimpsest
