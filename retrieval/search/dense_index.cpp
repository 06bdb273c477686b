#include "retrieval/search/dense_index.h"

#include <algorithm>
#include <stdexcept>

#include "indexer/vector/vector_store_location.h"
#include "schema/embedding_store.h"

namespace palimpsest {

ExactDenseIndex::ExactDenseIndex(Catalog& catalog, std::int64_t model_id) : model_id_(model_id) {
  catalog.embeddings().for_each(model_id, [&](std::int64_t id, const float* v, int dim) {
    dim_ = dim;
    ids_.push_back(id);
    vectors_.insert(vectors_.end(), v, v + dim);
    return true;
  });
  if (auto model = catalog.embeddings().model(model_id)) dim_ = model->dim;
}

std::vector<ScoredId> ExactDenseIndex::search(const std::vector<float>& query, int k,
                                              const std::function<bool(std::int64_t)>& accept) {
  if (static_cast<int>(query.size()) != dim_)
    throw std::invalid_argument("query has dimension " + std::to_string(query.size()) +
                                ", the index " + std::to_string(dim_));
  std::vector<ScoredId> scored;
  scored.reserve(ids_.size());
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    if (accept && !accept(ids_[i])) continue;
    const float* v = vectors_.data() + i * dim_;
    double dot = 0;
    for (int d = 0; d < dim_; ++d) dot += static_cast<double>(v[d]) * query[d];
    scored.push_back({ids_[i], dot});
  }
  const std::size_t n = std::min<std::size_t>(scored.size(), static_cast<std::size_t>(std::max(k, 0)));
  std::partial_sort(scored.begin(), scored.begin() + n, scored.end(), [](const ScoredId& a, const ScoredId& b) {
    return a.score != b.score ? a.score > b.score : a.record_id < b.record_id;
  });
  scored.resize(n);
  return scored;
}

VectorStoreDenseIndex::VectorStoreDenseIndex(VectorStore store) : store_(std::move(store)) {}

std::vector<ScoredId> VectorStoreDenseIndex::search(const std::vector<float>& query, int k,
                                                    const std::function<bool(std::int64_t)>& accept) {
  if (static_cast<int>(query.size()) != store_.dim())
    throw std::invalid_argument("query has dimension " + std::to_string(query.size()) +
                                ", the index " + std::to_string(store_.dim()));
  std::vector<ScoredId> out;
  if (k <= 0 || store_.size() == 0) return out;
  const std::vector<VectorHit> hits =
      store_.search(query.data(), static_cast<int>(query.size()), k, accept ? &accept : nullptr);
  out.reserve(hits.size());
  for (const VectorHit& h : hits) out.push_back({h.record_id, static_cast<double>(h.score)});
  return out;
}

std::unique_ptr<DenseIndex> open_dense_index(Catalog& catalog, std::int64_t model_id,
                                             const std::function<void(const std::string&)>& log) {
  VectorStoreOptions options;
  options.log = log;
  const std::filesystem::path folder = vector_store_folder(catalog.path());
  try {
    return std::make_unique<VectorStoreDenseIndex>(VectorStore::open(catalog, model_id, folder, options));
  } catch (const VectorStoreError& e) {
    const auto model = catalog.embeddings().model(model_id);
    if (!model) throw;
    // The folder is unusable (e.g. read-only): serve from memory, rebuilt from the catalog.
    if (log) log(std::string("vector index not saved (") + e.what() + "): built in memory");
    VectorStore store(model_id, model->dim, options);
    store.rebuild([&](const VectorStore::Visitor& visit) { catalog.embeddings().for_each(model_id, visit); },
                  catalog.embeddings().count(model_id));
    return std::make_unique<VectorStoreDenseIndex>(std::move(store));
  }
}

}  // namespace palimpsest
