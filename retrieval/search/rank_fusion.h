#pragma once
// Fusion of one modality's ranked lists on the calibrated scale (score_background.h).
//
// Per record of the modality, found by the dense list, the lexical (any word) list or the exact
// (every word) list:
//   fused = z + kLexicalWeight * bm25 / best_bm25
// where z is the record's dense cosine standardised against the modality's background for the
// query (0 when the record has no dense score or the modality no background), bm25 its lexical
// score (0 when the lexical list did not find it) and best_bm25 the best lexical score of the
// whole request, over all modalities (so the lexical part is on one scale for every modality).
// The best lexical match is worth kLexicalWeight background standard deviations.
//
// Records whose own text holds every word of the query (the exact list) are exact matches: they
// come first, by their BM25, and dense noise never buries them. The rest follow by fused
// score; ties break by the better list rank, then the smaller record id, so results are
// deterministic. With only a dense list, the order is the dense order (z is affine in the
// cosine); with only lexical lists, the BM25 order.

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "retrieval/search/score_background.h"

namespace palimpsest {

struct ScoredId {
  std::int64_t record_id = 0;
  double score = 0;  // list-specific; higher is better
};

struct FusedHit {
  std::int64_t record_id = 0;
  double fused_score = 0;              // the order (see above), on the calibrated scale
  std::optional<double> dense_score;   // cosine
  std::optional<int> dense_rank;       // 1-based, within the modality
  std::optional<double> calibrated;    // z of the dense score against the modality's background
  std::optional<double> lexical_score; // BM25 (any word)
  std::optional<int> lexical_rank;     // 1-based, within the modality
  bool exact = false;                  // the record's own text holds every word of the query
  std::optional<double> exact_score;   // BM25 of the exact match
};

inline constexpr double kLexicalWeight = 2.0;

struct FusionLists {
  std::vector<ScoredId> dense;    // best first (cosines)
  std::vector<ScoredId> lexical;  // best first (BM25), this modality's records only
  std::vector<ScoredId> exact;    // best first (BM25), this modality's records only
  std::optional<ScoreDistribution> background;
  double best_lexical = 0;        // over the whole request
  // The cosine of a record that only the lexical lists found (its stored vector against the
  // query); may be empty, or return nullopt for a record without a vector.
  std::function<std::optional<double>(std::int64_t)> dense_score_of;
};

std::vector<FusedHit> fuse_calibrated(const FusionLists& lists);

// The order above (exact matches first, then fused score, best rank, record id), also used to
// merge the lists of several modalities, whose fused scores share the calibrated scale.
bool fused_before(const FusedHit& a, const FusedHit& b);

}  // namespace palimpsest
