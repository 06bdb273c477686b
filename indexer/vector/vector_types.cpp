#include "indexer/vector/vector_types.h"

#include <sstream>

namespace palimpsest {

std::string_view to_string(VectorIndexKind kind) {
  switch (kind) {
    case VectorIndexKind::flat: return "flat";
    case VectorIndexKind::hnsw: return "hnsw";
    case VectorIndexKind::ivf_flat: return "ivf_flat";
    case VectorIndexKind::ivf_pq: return "ivf_pq";
  }
  return "flat";
}

std::optional<VectorIndexKind> parse_vector_index_kind(std::string_view name) {
  for (VectorIndexKind k : {VectorIndexKind::flat, VectorIndexKind::hnsw, VectorIndexKind::ivf_flat,
                            VectorIndexKind::ivf_pq})
    if (to_string(k) == name) return k;
  return std::nullopt;
}

std::string VectorIndexInfo::to_string() const {
  std::ostringstream s;
  s << type << " (model " << model_id << ", " << dim << "-d): " << ntotal << " vectors";
  if (deleted > 0) s << " + " << deleted << " deleted";
  if (nprobe > 0) s << ", nprobe " << nprobe;
  if (ef_search > 0) s << ", efSearch " << ef_search;
  if (rerank_factor > 0) s << ", re-ranking " << rerank_factor << "x k candidates";
  if (recall_at_10 >= 0) {
    s.precision(3);
    s << ", recall@10 " << recall_at_10;
  } else {
    s << ", recall not measured";
  }
  if (tuned_p50_ms > 0) s << " at p50 " << tuned_p50_ms << " ms";
  s << ", generation " << generation;
  if (memory_mapped) s << ", memory-mapped";
  if (!rebuild_reason.empty()) s << "; needs rebuild: " << rebuild_reason;
  return s.str();
}

}  // namespace palimpsest
