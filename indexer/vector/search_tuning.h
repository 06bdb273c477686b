#pragma once
// Tuning nprobe / efSearch on a held-out sample of the collection's own vectors (internal).
//
// While a rebuild streams the collection, TuningSample keeps the exact top-(k+1) neighbours of
// a few hundred sampled vectors. The rebuild holds those vectors out of the index until tuning
// is over, so they are true held-out queries from the collection's distribution (their own ids
// are dropped from both lists all the same, in case a stream repeats them). tune_search() then walks a ladder of settings, cheapest first, measuring
// recall@k against those lists and the single-query latency of the store's own search path.

#include <cstdint>
#include <vector>

#include "indexer/vector/store_index.h"

namespace palimpsest {

class TuningSample {
 public:
  TuningSample(int dim, int k);

  // Registers a query (a unit vector of the collection with its id); before any consume().
  void add_query(std::int64_t id, const float* unit);
  std::size_t size() const { return ids_.size(); }
  int k() const { return k_; }

  // Merges a batch of the collection (unit vectors) into the exact neighbour lists.
  void consume(const float* unit_batch, const std::int64_t* ids, std::size_t n);
  // Ends the stream: sorts the lists and drops each query's own id.
  void finish();

  const float* query(std::size_t i) const { return queries_.data() + i * static_cast<std::size_t>(dim_); }
  std::int64_t query_id(std::size_t i) const { return ids_[i]; }
  const std::vector<std::int64_t>& truth(std::size_t i) const { return truth_[i]; }

 private:
  int dim_;
  int k_;
  std::vector<float> queries_;
  std::vector<std::int64_t> ids_;
  std::vector<float> heap_scores_;
  std::vector<std::int64_t> heap_ids_;
  std::vector<std::vector<std::int64_t>> truth_;
};

// Recall@k of `index` with its current settings against the sample, and the median single-query latency
// in milliseconds (through StoreIndex::search, on the calling thread).
double measure_recall(const StoreIndex& index, const TuningSample& sample, double* p50_ms);

// The cheapest setting that reaches options.target_recall, never slower than
// options.latency_limit_ms unless even the cheapest is, and not wider than the point where
// recall stops improving; with what it measured. Flat indexes need no tuning (recall 1). An
// IVF-PQ index that re-ranks gets nprobe and its re-rank factor tuned together (the cheapest
// pair by measured p50 that reaches the target).
// Leaves the chosen settings applied to `index` (which must not be searched by other threads
// meanwhile: see StoreIndex::set_settings).
SearchSettings tune_search(StoreIndex& index, const TuningSample& sample,
                           const VectorStoreOptions& options);

}  // namespace palimpsest
