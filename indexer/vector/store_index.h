#pragma once
// The FAISS index of one vector store and what it keeps beside it (internal header: includes
// FAISS; only indexer/vector and the benchmark include it).
//
// Layout: a faiss::IndexIDMap2 whose id_map translates positions of the inner index into
// catalog record ids, and a fingerprint per position (vector_math.h) so the store can be
// checked against the catalog without the original vectors. Searches go to the inner index
// directly with positions as labels, because IndexIDMap2 in FAISS 1.7.3 refuses
// SearchParameters (nprobe, efSearch, IDSelector) and we translate positions ourselves.
//
// Removal: Flat and IVF indexes remove entries for real (the inner index drops them, IVF list
// labels are renumbered, id_map is compacted alongside). FAISS's HNSW cannot remove, so an
// HNSW entry is tombstoned (id_map[pos] = -1, which is also how it is saved) and skipped at
// search time; maintain() rebuilds once too many accumulate.
//
// Re-ranking (IVF-PQ when the plan says so): every entry also has a row in a RerankFile holding
// its full vector (slots(), parallel to id_map). A search asks the PQ index for
// rerank_factor x k candidates, scores each exactly against its row and keeps the best k, so
// the scores it returns are exact cosine similarities. Removal leaves dead rows behind
// (health_reason() asks for a rebuild once too many are dead).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <faiss/IndexIDMap.h>

#include "indexer/vector/index_plan.h"
#include "indexer/vector/vector_types.h"

namespace faiss {
struct IndexHNSW;
struct IndexIVF;
}  // namespace faiss

namespace palimpsest {

class RerankFile;

// Search-time parameters and what tuning measured with them.
struct SearchSettings {
  int nprobe = 0;             // IVF
  int ef_search = 0;          // HNSW
  int rerank_factor = 0;      // IVF-PQ with re-ranking: rerank_factor x k candidates re-scored (0: none)
  double recall_at_10 = -1;   // against exact search on the tuning sample; -1 not measured
  double p50_ms = 0;          // single-query median while tuning
};

using IdFilter = std::function<bool(std::int64_t record_id)>;

class StoreIndex {
 public:
  // An empty index following `plan` (untrained when the plan needs training).
  StoreIndex(const IndexPlan& plan, int dim);
  // Adopts an index read from a file (index_file.cpp); a re-ranking one still needs its
  // RerankFile (attach_rerank()). Throws VectorStoreError when its structure does not match
  // the plan.
  StoreIndex(std::unique_ptr<faiss::IndexIDMap2> map, const IndexPlan& plan,
             std::vector<std::uint64_t> fingerprints, std::vector<std::int64_t> slots, bool memory_mapped);
  ~StoreIndex();
  StoreIndex(const StoreIndex&) = delete;
  StoreIndex& operator=(const StoreIndex&) = delete;

  const IndexPlan& plan() const { return plan_; }
  int dim() const { return dim_; }

  bool needs_training() const;
  // Trains on n unit vectors (IVF coarse centroids and PQ codebooks).
  void train(std::int64_t n, const float* unit_vectors, int kmeans_iterations, std::uint32_t seed);

  std::int64_t live() const { return entries() - deleted_; }
  std::int64_t entries() const { return map_->ntotal; }
  std::int64_t deleted() const { return deleted_; }
  bool contains(std::int64_t id) const;
  std::optional<std::uint64_t> fingerprint(std::int64_t id) const;
  // Every live id with its fingerprint, in position order.
  void for_each_live(const std::function<void(std::int64_t id, std::uint64_t fingerprint)>& visit) const;

  // Adds n unit vectors under ids that are not in the index (the caller removes first), with
  // the vectors as given (before normalisation; the re-rank rows, needed when reranks()).
  void add(std::int64_t n, const std::int64_t* ids, const float* unit_vectors,
           const std::uint64_t* fingerprints, const float* raw_vectors);
  // Removes the given ids; absent ids are ignored. Returns how many were present.
  std::int64_t remove(const std::vector<std::int64_t>& ids);

  // Best-first hits for one unit query with the current settings(); 0 < k <= live(). With a
  // filter, only records it accepts (an IDSelector on positions, which also hides HNSW
  // tombstones). When the probed part of the index holds fewer than k accepted records, HNSW
  // searches wider and finally scans its storage exactly; IVF widens nprobe up to all lists.
  void search(const float* unit_query, int k, const IdFilter* filter, std::vector<VectorHit>& out) const;

  const SearchSettings& settings() const { return settings_; }
  // Applies search parameters. FAISS 1.7.3's HNSW ignores SearchParametersHNSW::efSearch (it
  // reads the member), so efSearch is set on the index itself: call this only with exclusive
  // access, never while other threads search this index.
  void set_settings(const SearchSettings& settings);

  // Re-ranking: whether the plan re-ranks, the file of full vectors (null until attached), and
  // each entry's row in it. attach_rerank() gives a new index its (empty) file, or a loaded one
  // the file its slots point into; throws VectorStoreError when they do not fit.
  bool reranks() const { return plan_.rerank; }
  void attach_rerank(std::unique_ptr<RerankFile> file);
  const RerankFile* rerank() const { return rerank_.get(); }
  RerankFile* rerank() { return rerank_.get(); }
  const std::vector<std::int64_t>& slots() const { return slots_; }
  std::int64_t slot(std::int64_t id) const;  // the row of a live id, or -1

  // Why this index should be rebuilt whatever the collection size: a damaged inverted list was
  // met, or more than max_dead_fraction of the re-rank rows belong to removed records. Empty
  // when neither.
  std::string health_reason(double max_dead_fraction) const;

  bool memory_mapped() const { return memory_mapped_; }
  // Copies memory-mapped inverted lists into memory; FAISS's mapped lists are read-only (an add
  // to them throws inside an OpenMP region, which aborts the process), so every change calls
  // this first.
  void materialise();
  // Makes (or drops) a GPU copy of a Flat or IVF index for unfiltered searches; a no-op
  // without FAISS GPU support (gpu_support.h). Changes drop the copy; callers refresh it at
  // checkpoints (build, load, save).
  void refresh_gpu_copy(bool wanted);
  bool on_gpu() const { return gpu_ != nullptr; }

  // Estimated heap memory (memory-mapped lists excluded: they live in the page cache).
  std::uint64_t memory_bytes() const;

  const faiss::IndexIDMap2& faiss_index() const { return *map_; }
  const std::vector<std::uint64_t>& fingerprints() const { return fingerprints_; }
  faiss::IndexHNSW* hnsw() const { return hnsw_; }
  faiss::IndexIVF* ivf() const { return ivf_; }

  std::int64_t trained_at = 0;  // live count when built

 private:
  void locate_parts();
  void search_hnsw(const float* q, int k, const IdFilter* filter, std::vector<VectorHit>& out) const;
  void search_ivf(const float* q, int k, const IdFilter* filter, std::vector<VectorHit>& out) const;
  void search_flat(const float* q, int k, const IdFilter* filter, std::vector<VectorHit>& out) const;
  // Scores FAISS's candidates (positions) exactly from their re-rank rows; keeps the best k.
  void rerank_candidates(const float* q, int k, const std::vector<faiss::Index::idx_t>& labels,
                         const IdFilter* filter, std::vector<VectorHit>& out) const;

  IndexPlan plan_;
  SearchSettings settings_;  // tuned search parameters (persisted with the index)
  int dim_ = 0;
  std::unique_ptr<faiss::IndexIDMap2> map_;
  std::vector<std::uint64_t> fingerprints_;  // parallel to map_->id_map
  std::vector<std::int64_t> slots_;          // parallel to map_->id_map when reranks(): rows in rerank_
  std::unique_ptr<RerankFile> rerank_;
  std::int64_t deleted_ = 0;                 // HNSW tombstones
  faiss::IndexHNSW* hnsw_ = nullptr;         // the inner index when it is HNSW
  faiss::IndexIVF* ivf_ = nullptr;           // the IVF level when there is one
  bool memory_mapped_ = false;
  std::unique_ptr<faiss::Index> gpu_;  // search copy on a GPU, or null
};

}  // namespace palimpsest
