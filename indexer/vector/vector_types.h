#pragma once
// Public types of the vector store (indexer/vector/vector_store.h): errors, hits, options and the
// description of the live index. No FAISS here: other stages include this.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include "schema/error.h"

namespace palimpsest {

// Bad input (wrong dimension, NaN, zero vector, k <= 0) and store failures. FAISS's own
// exceptions never escape the store; they are wrapped in this.
class VectorStoreError : public Error {
 public:
  explicit VectorStoreError(const std::string& message) : Error(message, error_class::internal) {}
};

// One search result: a catalog record id and its cosine similarity to the query (inner product
// of unit vectors, in [-1, 1]; approximate for PQ indexes).
struct VectorHit {
  std::int64_t record_id = 0;
  float score = 0;
};

// The index families the store chooses between (FAISS index_factory strings in parentheses).
enum class VectorIndexKind {
  flat,      // exact ("Flat")
  hnsw,      // graph ("HNSW32")
  ivf_flat,  // inverted lists of full vectors ("IVF4096,Flat", "IVF16384_HNSW32,Flat")
  ivf_pq,    // inverted lists of product-quantised codes ("IVF65536_HNSW32,PQ64", optional OPQ)
};
std::string_view to_string(VectorIndexKind kind);
std::optional<VectorIndexKind> parse_vector_index_kind(std::string_view name);

struct VectorStoreOptions {
  // Build this kind whatever the collection size (tests and benchmarks); automatic when empty.
  std::optional<VectorIndexKind> force_kind;

  // Automatic choice by live vector count N (see index_plan.h): Flat below flat_max, HNSW below
  // hnsw_max, IVF-Flat below ivf_flat_max, IVF-PQ beyond; or a cheaper kind when the estimated
  // size exceeds index_memory_bytes (0: no budget). HNSW is off by default (hnsw_max =
  // flat_max): on the 2-core reference machine an HNSW32 graph of 1M 512-d vectors was still
  // building after 19 minutes, while IVF4096,Flat built in 9-11 minutes and answered in 0.3 ms at
  // recall@10 0.977 (docs/performance.md); raise hnsw_max where cores are plentiful.
  std::int64_t flat_max = 100'000;
  std::int64_t hnsw_max = 100'000;
  std::int64_t ivf_flat_max = 16'000'000;
  std::uint64_t index_memory_bytes = 0;

  // Shape of the approximate indexes.
  int hnsw_m = 32;
  int ef_construction = 40;           // FAISS's default: build time grows linearly with it
  int hnsw_quantizer_min_lists = 8192;  // IVF coarse quantizer: HNSW from this many lists, flat below
  bool use_opq = false;               // rotate before PQ ("OPQ{m},IVF...,PQ{m}")

  // Training: about train_points_per_list vectors per inverted list, at most max_train_points,
  // never fewer than the 39 per list FAISS's k-means asks for (when the collection has them).
  int train_points_per_list = 100;
  std::int64_t max_train_points = 200'000;
  int kmeans_iterations = 10;
  // From this many lists the coarse centroids come from two-level k-means (about sqrt(nlist)
  // groups, then each group split): one-level training costs grow with nlist squared, about half
  // an hour of two cores for the 16384 lists of 10M vectors (indexer/vector/two_level_kmeans.h).
  int two_level_kmeans_min_lists = 8192;

  // Search-time tuning (nprobe / efSearch) on a held-out sample of the collection's own vectors:
  // the cheapest setting reaching target_recall (recall@10 against exact search); when none does
  // within latency_limit_ms (single-query p50), the best recall within it (or the cheapest
  // setting when even that is slower). Recall comes first: a fast wrong answer is no answer.
  double latency_limit_ms = 20;
  double target_recall = 0.95;
  int tuning_queries = 200;

  // Threads for one search call (FAISS parallelises within a query only for some index types;
  // one thread per query is the right default for a server that runs queries side by side).
  // 0 leaves the caller's OpenMP setting alone. Builds use all threads.
  int search_threads = 1;

  // Files at least this large load memory-mapped (only IVF inverted lists can be: see
  // indexer/vector/README.md, "Memory-mapped loading").
  std::uint64_t mmap_min_bytes = std::uint64_t{1} << 30;

  // Maintenance: rebuild when an HNSW index holds more than this fraction of deleted entries,
  // and retrain an IVF index when the collection grew or shrank by more than regrow_factor.
  double max_deleted_fraction = 0.2;
  double regrow_factor = 4.0;

  // open(): compare the index with every (id, vector) in the catalog (a full scan of the
  // embeddings table). When false, a matching generation and count are trusted.
  bool verify_on_open = true;

  // Search unfiltered Flat/IVF queries on a GPU copy when FAISS GPU support is compiled in and
  // a device is present (gpu_support.h); never on Debian's CPU-only FAISS.
  bool use_gpu = true;

  std::uint32_t seed = 1234;  // training and tuning samples

  // Receives one line per notable event: repairs on open, rebuilds, skipped bad vectors.
  std::function<void(const std::string&)> log;
};

// What describe() returns.
struct VectorIndexInfo {
  std::int64_t model_id = 0;
  int dim = 0;
  VectorIndexKind kind = VectorIndexKind::flat;
  std::string type;            // FAISS index_factory string, e.g. "HNSW32"
  std::int64_t ntotal = 0;     // live vectors (searchable records)
  std::int64_t deleted = 0;    // removed entries still inside an HNSW graph (filtered out)
  int nprobe = 0;              // IVF probes per query (0: not IVF)
  int ef_search = 0;           // HNSW efSearch (0: not HNSW)
  double recall_at_10 = 1.0;   // measured against exact search; 1 for Flat; -1 not measured
  double tuned_p50_ms = 0;     // single-query median latency measured while tuning
  std::int64_t trained_at = 0;  // live count when the index was built
  std::uint64_t generation = 0;  // of the last save (0: never saved)
  bool memory_mapped = false;
  std::uint64_t memory_bytes = 0;  // estimated heap memory (memory-mapped lists not included)
  bool on_gpu = false;
  std::string rebuild_reason;      // why maintain() would rebuild now; empty when it would not
  std::string last_event;          // the last message given to options.log

  std::string to_string() const;
};

}  // namespace palimpsest
