#include "retrieval/search/rank_fusion.h"

#include <algorithm>
#include <unordered_map>

namespace palimpsest {

std::vector<FusedHit> fuse_calibrated(const FusionLists& lists) {
  std::unordered_map<std::int64_t, FusedHit> by_id;
  auto entry = [&](std::int64_t id) -> FusedHit& {
    FusedHit& f = by_id[id];
    f.record_id = id;
    return f;
  };
  int rank = 0;
  for (const ScoredId& hit : lists.dense) {
    ++rank;
    FusedHit& f = entry(hit.record_id);
    if (f.dense_rank) continue;  // a list may name a record twice; keep its best position
    f.dense_rank = rank;
    f.dense_score = hit.score;
  }
  rank = 0;
  for (const ScoredId& hit : lists.lexical) {
    ++rank;
    FusedHit& f = entry(hit.record_id);
    if (f.lexical_rank) continue;
    f.lexical_rank = rank;
    f.lexical_score = hit.score;
  }
  for (const ScoredId& hit : lists.exact) {
    FusedHit& f = entry(hit.record_id);
    if (f.exact) continue;
    f.exact = true;
    f.exact_score = hit.score;
  }

  std::vector<FusedHit> out;
  out.reserve(by_id.size());
  for (auto& [id, f] : by_id) {
    if (!f.dense_score && lists.dense_score_of) f.dense_score = lists.dense_score_of(id);
    if (f.dense_score && lists.background) f.calibrated = lists.background->z(*f.dense_score);
    f.fused_score = f.calibrated.value_or(0.0);
    if (f.lexical_score && lists.best_lexical > 0)
      f.fused_score += kLexicalWeight * *f.lexical_score / lists.best_lexical;
    out.push_back(f);
  }
  std::sort(out.begin(), out.end(), fused_before);
  return out;
}

bool fused_before(const FusedHit& a, const FusedHit& b) {
  auto best_rank = [](const FusedHit& h) {
    return std::min(h.dense_rank.value_or(1 << 30), h.lexical_rank.value_or(1 << 30));
  };
  if (a.exact != b.exact) return a.exact;
  if (a.exact && *a.exact_score != *b.exact_score) return *a.exact_score > *b.exact_score;
  if (a.fused_score != b.fused_score) return a.fused_score > b.fused_score;
  if (best_rank(a) != best_rank(b)) return best_rank(a) < best_rank(b);
  return a.record_id < b.record_id;
}

}  // namespace palimpsest
