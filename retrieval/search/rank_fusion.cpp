#include "retrieval/search/rank_fusion.h"

#include <algorithm>
#include <unordered_map>

namespace palimpsest {

std::vector<FusedHit> reciprocal_rank_fusion(const std::vector<ScoredId>& dense,
                                             const std::vector<ScoredId>& lexical, int k) {
  std::unordered_map<std::int64_t, FusedHit> by_id;
  auto add = [&](const std::vector<ScoredId>& list, bool is_dense) {
    int rank = 0;
    for (const ScoredId& hit : list) {
      ++rank;
      FusedHit& f = by_id[hit.record_id];
      f.record_id = hit.record_id;
      // A list may name a record twice (e.g. two query vectors); keep its best position.
      auto& r = is_dense ? f.dense_rank : f.lexical_rank;
      if (r) continue;
      r = rank;
      (is_dense ? f.dense_score : f.lexical_score) = hit.score;
      f.fused_score += 1.0 / (k + rank);
    }
  };
  add(dense, true);
  add(lexical, false);
  std::vector<FusedHit> out;
  out.reserve(by_id.size());
  for (auto& [id, hit] : by_id) out.push_back(hit);
  auto best_rank = [](const FusedHit& h) {
    return std::min(h.dense_rank.value_or(1 << 30), h.lexical_rank.value_or(1 << 30));
  };
  std::sort(out.begin(), out.end(), [&](const FusedHit& a, const FusedHit& b) {
    if (a.fused_score != b.fused_score) return a.fused_score > b.fused_score;
    if (best_rank(a) != best_rank(b)) return best_rank(a) < best_rank(b);
    return a.record_id < b.record_id;
  });
  return out;
}

}  // namespace palimpsest
