#pragma once
// Reciprocal rank fusion (Cormack, Clarke & Büttcher 2009): score(d) = sum over lists of
// 1 / (k + rank_d), ranks from 1. It needs no score calibration between dense (cosine) and
// lexical (BM25) lists, and a record found by both lists outranks one found by one list at
// the same positions.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace palimpsest {

struct ScoredId {
  std::int64_t record_id = 0;
  double score = 0;  // list-specific; higher is better
};

struct FusedHit {
  std::int64_t record_id = 0;
  double fused_score = 0;
  std::optional<double> dense_score;
  std::optional<int> dense_rank;    // 1-based
  std::optional<double> lexical_score;
  std::optional<int> lexical_rank;  // 1-based
};

constexpr int kRrfK = 60;

// Both lists best first. Ties in fused score break by better best rank, then by record id,
// so results are deterministic.
std::vector<FusedHit> reciprocal_rank_fusion(const std::vector<ScoredId>& dense,
                                             const std::vector<ScoredId>& lexical, int k = kRrfK);

}  // namespace palimpsest
