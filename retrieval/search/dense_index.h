#pragma once
// The dense-retrieval seam: search needs "the k records whose vectors are nearest a query",
// whatever holds the vectors. VectorStoreDenseIndex (the FAISS vector store, indexer/vector/)
// serves real collections; ExactDenseIndex (brute force over the catalog's embeddings) is the
// reference the store is tested against.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "indexer/vector/vector_store.h"
#include "retrieval/search/rank_fusion.h"
#include "schema/catalog.h"

namespace palimpsest {

class DenseIndex {
 public:
  virtual ~DenseIndex() = default;
  // Up to k (record id, inner product) pairs, best first, among records `accept` admits (all when
  // null). The query is L2-normalised by the caller. k <= 0 gives no hits; a query of the wrong
  // dimension throws std::invalid_argument.
  virtual std::vector<ScoredId> search(const std::vector<float>& query, int k,
                                       const std::function<bool(std::int64_t)>& accept) = 0;
  virtual int dim() const = 0;
  // The catalog model whose vectors the index holds.
  virtual std::int64_t model_id() const = 0;
};

// All vectors of one model held in memory, searched exhaustively: exact, O(N·d) per query.
class ExactDenseIndex : public DenseIndex {
 public:
  ExactDenseIndex(Catalog& catalog, std::int64_t model_id);
  std::vector<ScoredId> search(const std::vector<float>& query, int k,
                               const std::function<bool(std::int64_t)>& accept) override;
  int dim() const override { return dim_; }
  std::int64_t model_id() const override { return model_id_; }
  std::size_t size() const { return ids_.size(); }

 private:
  std::int64_t model_id_ = 0;
  int dim_ = 0;
  std::vector<std::int64_t> ids_;
  std::vector<float> vectors_;  // ids_.size() x dim_
};

// The FAISS vector store behind the seam. Searches are thread-safe (the store's shared lock);
// the index never touches the catalog after it was opened, so one index may serve threads that
// each have their own Catalog connection (the HTTP server does this).
class VectorStoreDenseIndex : public DenseIndex {
 public:
  explicit VectorStoreDenseIndex(VectorStore store);
  std::vector<ScoredId> search(const std::vector<float>& query, int k,
                               const std::function<bool(std::int64_t)>& accept) override;
  int dim() const override { return store_.dim(); }
  std::int64_t model_id() const override { return store_.model_id(); }
  const VectorStore& store() const { return store_; }

 private:
  VectorStore store_;
};

// The index for a model's vectors: the vector store saved beside the catalog
// (vector_store_folder(catalog.path())), opened and brought in line with the catalog's embeddings
// table (a missing, damaged or stale file is rebuilt or caught up, then saved). When that folder
// cannot be used (read-only media), the store is built in memory from the catalog instead.
// Repairs and fallbacks are reported through `log` (one line each) when given. Throws
// VectorStoreError for an unknown model.
std::unique_ptr<DenseIndex> open_dense_index(Catalog& catalog, std::int64_t model_id,
                                             const std::function<void(const std::string&)>& log = {});

}  // namespace palimpsest
