#pragma once
// The dense-retrieval seam: search needs "the k records whose vectors are nearest a query",
// whatever holds the vectors. The FAISS vector store implements it for real collections;
// ExactDenseIndex (brute force over the catalog's embeddings) is the reference and the fallback.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "retrieval/rank_fusion.h"
#include "schema/catalog.h"

namespace palimpsest {

class DenseIndex {
 public:
  virtual ~DenseIndex() = default;
  // Up to k (record id, inner product) pairs, best first, among records `accept` admits (all when
  // null). The query is L2-normalised by the caller.
  virtual std::vector<ScoredId> search(const std::vector<float>& query, int k,
                                       const std::function<bool(std::int64_t)>& accept) = 0;
  virtual int dim() const = 0;
};

// All vectors of one model held in memory, searched exhaustively: exact, O(N·d) per query.
class ExactDenseIndex : public DenseIndex {
 public:
  ExactDenseIndex(Catalog& catalog, std::int64_t model_id);
  std::vector<ScoredId> search(const std::vector<float>& query, int k,
                               const std::function<bool(std::int64_t)>& accept) override;
  int dim() const override { return dim_; }
  std::size_t size() const { return ids_.size(); }

 private:
  int dim_ = 0;
  std::vector<std::int64_t> ids_;
  std::vector<float> vectors_;  // ids_.size() x dim_
};

// The best index available for a model's vectors (see dense_index.cpp).
std::unique_ptr<DenseIndex> open_dense_index(Catalog& catalog, std::int64_t model_id);

}  // namespace palimpsest
