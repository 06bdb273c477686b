#include "indexer/vector/index_plan.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

namespace palimpsest {
namespace {

// FAISS's k-means warns below 39 training points per centroid.
constexpr std::int64_t kMinPointsPerCentroid = 39;

// Bytes per entry that every kind pays: id_map (8), fingerprint (8), rev_map node (~40).
constexpr std::uint64_t kPerEntryOverhead = 56;

int rank(VectorIndexKind kind) {
  switch (kind) {
    case VectorIndexKind::flat: return 0;
    case VectorIndexKind::hnsw: return 1;
    case VectorIndexKind::ivf_flat: return 2;
    case VectorIndexKind::ivf_pq: return 3;
  }
  return 0;
}

// PQ sub-quantizer counts in order of preference (more bytes, better recall); each must divide
// the dimension. With re-ranking the codes only pick candidates, so they never grow past the
// default (bigger codes cost scan time for what a few more re-ranked candidates give).
int choose_pq_m(int dim, std::int64_t n, std::uint64_t budget, std::uint64_t fixed_bytes, bool rerank) {
  std::vector<int> candidates;
  for (int m : {128, 96, 64, 48, 32, 24, 16, 12, 8, 4, 2, 1})
    if (m <= dim / 2 && dim % m == 0) candidates.push_back(m);
  if (candidates.empty()) return 1;
  // Default: about dim/8 bytes per vector (64 for 512-d CLIP), a common recall/size balance.
  int preferred = candidates.back();
  for (int m : candidates)
    if (m <= std::max(1, dim / 8)) {
      preferred = m;
      break;
    }
  if (budget == 0) return preferred;
  const int largest = rerank ? preferred : std::max(preferred, dim / 4);  // more than dim/4 buys little
  for (int m : candidates) {
    if (m > largest) continue;
    const std::uint64_t bytes =
        fixed_bytes + static_cast<std::uint64_t>(n) * (m + 8 + kPerEntryOverhead + (rerank ? 8 : 0));
    if (bytes <= budget) return m;
  }
  return candidates.back();  // nothing fits: the smallest codes, and the plan says so
}

IndexPlan make_plan(VectorIndexKind kind, std::int64_t n, int dim, const VectorStoreOptions& o) {
  IndexPlan p;
  p.kind = kind;
  p.ef_construction = o.ef_construction;
  std::ostringstream f;
  if (kind == VectorIndexKind::flat) {
    f << "Flat";
  } else if (kind == VectorIndexKind::hnsw) {
    p.hnsw_m = o.hnsw_m;
    f << "HNSW" << o.hnsw_m;
  } else {
    p.nlist = choose_nlist(n);
    p.hnsw_quantizer = p.nlist >= o.hnsw_quantizer_min_lists;
    if (p.hnsw_quantizer) p.hnsw_m = o.hnsw_m;
    const std::int64_t wanted =
        std::min<std::int64_t>(static_cast<std::int64_t>(p.nlist) * o.train_points_per_list,
                               o.max_train_points);
    p.train_points = std::min<std::int64_t>(
        n, std::max<std::int64_t>(wanted, static_cast<std::int64_t>(p.nlist) * kMinPointsPerCentroid));
    if (kind == VectorIndexKind::ivf_pq) {
      const std::uint64_t centroids = static_cast<std::uint64_t>(p.nlist) * dim * 4;
      p.rerank = o.rerank;
      p.pq_m = o.pq_m > 0 && dim % o.pq_m == 0 ? o.pq_m
                                               : choose_pq_m(dim, n, o.index_memory_bytes, centroids, p.rerank);
      // 8-bit codes need 256 * 39 training points; small (test-sized) collections get fewer
      // centroids per sub-quantizer rather than a degenerate codebook.
      p.pq_bits = 8;
      while (p.pq_bits > 4 && (std::int64_t{1} << p.pq_bits) * kMinPointsPerCentroid > p.train_points)
        --p.pq_bits;
      // OPQ learns a rotation; it needs a PQ-compatible dimension and enough points.
      p.opq = o.use_opq;
      if (p.opq) f << "OPQ" << p.pq_m << ",";
    }
    // The OPQ rotation is trained together with the lists (IndexPreTransform), so it keeps
    // FAISS's own one-level training.
    p.two_level_kmeans = p.nlist >= o.two_level_kmeans_min_lists && !p.opq;
    f << "IVF" << p.nlist;
    if (p.hnsw_quantizer) f << "_HNSW" << o.hnsw_m;
    if (kind == VectorIndexKind::ivf_flat) {
      f << ",Flat";
    } else {
      f << ",PQ" << p.pq_m;
      if (p.pq_bits != 8) f << "x" << p.pq_bits;
    }
  }
  p.factory = f.str();
  p.estimated_bytes = estimate_index_bytes(p, n, dim);
  return p;
}

std::string human_bytes(std::uint64_t b) {
  std::ostringstream s;
  s.precision(3);
  if (b >= (1ull << 30)) s << static_cast<double>(b) / (1ull << 30) << " GiB";
  else s << static_cast<double>(b) / (1ull << 20) << " MiB";
  return s.str();
}

std::string with_rerank(const IndexPlan& plan, std::string reason) {
  if (plan.rerank) reason += ", candidates re-ranked exactly from the full vectors on disk";
  return reason;
}

}  // namespace

int choose_nlist(std::int64_t n) {
  if (n < 2 * kMinPointsPerCentroid) return 1;
  const double low = 4.0 * std::sqrt(static_cast<double>(n));
  std::int64_t lists = 1;
  while (lists < low) lists *= 2;
  while (lists > 1 && lists * kMinPointsPerCentroid > n) lists /= 2;
  return static_cast<int>(lists);
}

std::uint64_t estimate_index_bytes(const IndexPlan& plan, std::int64_t n, int dim) {
  const std::uint64_t un = static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0));
  const std::uint64_t vec = static_cast<std::uint64_t>(dim) * 4;
  std::uint64_t per = kPerEntryOverhead;
  std::uint64_t fixed = 0;
  switch (plan.kind) {
    case VectorIndexKind::flat: per += vec; break;
    case VectorIndexKind::hnsw:
      // Level 0 holds 2*M links of 4 bytes, upper levels about M/(M-1) more in total, plus
      // the level and offset arrays.
      per += vec + static_cast<std::uint64_t>(plan.hnsw_m) * 2 * 4 +
             static_cast<std::uint64_t>(plan.hnsw_m) * 4 / std::max(1, plan.hnsw_m - 1) + 12;
      break;
    case VectorIndexKind::ivf_flat: per += vec + 8; break;
    case VectorIndexKind::ivf_pq:
      per += static_cast<std::uint64_t>(plan.pq_m) * plan.pq_bits / 8 + 8 + (plan.rerank ? 8 : 0);
      fixed += static_cast<std::uint64_t>(dim) * (std::uint64_t{1} << plan.pq_bits) * 4;
      if (plan.opq) fixed += vec * dim;
      break;
  }
  if (plan.nlist > 0) {
    fixed += static_cast<std::uint64_t>(plan.nlist) * vec;
    if (plan.hnsw_quantizer) fixed += static_cast<std::uint64_t>(plan.nlist) * plan.hnsw_m * 8;
  }
  return fixed + un * per;
}

IndexPlan plan_index(std::int64_t n, int dim, const VectorStoreOptions& o) {
  if (o.force_kind) {
    IndexPlan p = make_plan(*o.force_kind, n, dim, o);
    p.reason = with_rerank(p, "forced by options");
    return p;
  }
  VectorIndexKind kind = VectorIndexKind::ivf_pq;
  std::string why;
  if (n < o.flat_max) {
    kind = VectorIndexKind::flat;
    why = "fewer than " + std::to_string(o.flat_max) + " vectors: exact search";
  } else if (n < o.hnsw_max) {
    kind = VectorIndexKind::hnsw;
    why = "between " + std::to_string(o.flat_max) + " and " + std::to_string(o.hnsw_max) +
          " vectors: graph search";
  } else if (n < o.ivf_flat_max) {
    kind = VectorIndexKind::ivf_flat;
    why = "between " + std::to_string(std::max(o.flat_max, o.hnsw_max)) + " and " +
          std::to_string(o.ivf_flat_max) + " vectors: inverted lists";
  } else {
    why = std::to_string(o.ivf_flat_max) + " vectors or more: compressed inverted lists";
  }

  IndexPlan p = make_plan(kind, n, dim, o);
  // Under a memory budget, step down to cheaper kinds until one fits (IVF-PQ picks its code
  // size to fit, or uses its smallest when nothing does).
  while (o.index_memory_bytes > 0 && p.estimated_bytes > o.index_memory_bytes &&
         p.kind != VectorIndexKind::ivf_pq) {
    const std::uint64_t over = p.estimated_bytes;
    const std::string was(to_string(p.kind));
    kind = p.kind == VectorIndexKind::flat || p.kind == VectorIndexKind::hnsw
               ? VectorIndexKind::ivf_flat
               : VectorIndexKind::ivf_pq;
    p = make_plan(kind, n, dim, o);
    why = was + " would need about " + human_bytes(over) + ", over the budget of " +
          human_bytes(o.index_memory_bytes);
  }
  if (o.index_memory_bytes > 0 && p.estimated_bytes > o.index_memory_bytes)
    why += "; even the smallest codes need about " + human_bytes(p.estimated_bytes);
  p.reason = with_rerank(p, why);
  return p;
}

std::string rebuild_reason(const IndexPlan& built, std::int64_t trained_at, std::int64_t live,
                           std::int64_t deleted, int dim, const VectorStoreOptions& o) {
  if (o.force_kind && *o.force_kind != built.kind)
    return "the options ask for " + std::string(to_string(*o.force_kind)) + ", the index is " +
           std::string(to_string(built.kind));
  const std::int64_t entries = live + deleted;
  if (deleted > 0 && entries > 0 &&
      static_cast<double>(deleted) > o.max_deleted_fraction * static_cast<double>(entries))
    return std::to_string(deleted) + " of " + std::to_string(entries) +
           " graph entries are deleted records";
  const IndexPlan wanted = plan_index(live, dim, o);
  const bool ivf = built.kind == VectorIndexKind::ivf_flat || built.kind == VectorIndexKind::ivf_pq;
  const double grow = o.regrow_factor;
  const bool grew = trained_at > 0 && static_cast<double>(live) > grow * static_cast<double>(trained_at);
  const bool shrank = static_cast<double>(live) * grow < static_cast<double>(trained_at);
  if (wanted.kind != built.kind) {
    if (rank(wanted.kind) > rank(built.kind))
      return "the collection (" + std::to_string(live) + " vectors) outgrew " +
             std::string(to_string(built.kind)) + ": " + wanted.reason;
    if (shrank)
      return "the collection shrank from " + std::to_string(trained_at) + " to " +
             std::to_string(live) + " vectors: " + wanted.reason;
  }
  if (ivf && built.kind == wanted.kind && (grew || (shrank && wanted.nlist != built.nlist)))
    return "the collection changed from " + std::to_string(trained_at) + " to " +
           std::to_string(live) + " vectors since the inverted lists were trained";
  if (ivf && trained_at == 0 && live > 0) return "the inverted lists were trained on no vectors";
  return {};
}

}  // namespace palimpsest
