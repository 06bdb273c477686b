#pragma once
// Which FAISS index a collection gets, and when it has outgrown the one it has.
//
// In the spirit of FAISS's "Guidelines to choose an index" and autofaiss: exact search while
// the collection is small; a graph (HNSW) in the hundreds of thousands and low millions, where
// it answers fastest at high recall; inverted lists beyond that (cheaper to build, and the
// lists can be memory-mapped); product quantisation when the full vectors would not fit the
// memory budget. Pure functions of counts and options: no FAISS here.

#include <cstdint>
#include <string>

#include "indexer/vector/vector_types.h"

namespace palimpsest {

struct IndexPlan {
  VectorIndexKind kind = VectorIndexKind::flat;
  std::string factory = "Flat";  // faiss::index_factory() description
  int nlist = 0;                 // IVF lists
  bool hnsw_quantizer = false;   // IVF coarse quantizer is an HNSW graph (else exact)
  bool two_level_kmeans = false; // coarse centroids by two-level k-means (two_level_kmeans.h)
  int pq_m = 0;                  // PQ sub-quantizers (bytes per vector at 8 bits)
  int pq_bits = 0;
  bool opq = false;
  bool rerank = false;           // IVF-PQ: candidates re-scored from the full vectors (rerank_file.h)
  int hnsw_m = 0;
  int ef_construction = 0;
  std::int64_t train_points = 0;  // sample size for training; 0 when the index needs none
  std::uint64_t estimated_bytes = 0;
  std::string reason;  // one line: why this kind
};

// The plan for a collection of n vectors of dimension dim.
IndexPlan plan_index(std::int64_t n, int dim, const VectorStoreOptions& options);

// Inverted lists for n vectors: the smallest power of two >= 4*sqrt(n) (so within FAISS's
// 4*sqrt(n) .. 16*sqrt(n)), halved while the lists would get fewer than 39 training points.
int choose_nlist(std::int64_t n);

// Estimated memory of a kind for n vectors, including the id map and fingerprints (and the
// inverted lists, whether in memory or mapped: hot lists are resident either way). The re-rank
// file's rows are not included: they stay on disk, and only those a query reads come in.
std::uint64_t estimate_index_bytes(const IndexPlan& plan, std::int64_t n, int dim);

// Why an index built to `built` (when the collection had `trained_at` live vectors), now with
// `live` live vectors and `deleted` tombstoned entries, should be rebuilt; empty when it should
// not. Growing past a kind's range rebuilds at once; shrinking only once the collection is
// regrow_factor times smaller than at build time, so a count hovering around a threshold does
// not flip the kind back and forth.
std::string rebuild_reason(const IndexPlan& built, std::int64_t trained_at, std::int64_t live,
                           std::int64_t deleted, int dim, const VectorStoreOptions& options);

}  // namespace palimpsest
