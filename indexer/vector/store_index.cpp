#include "indexer/vector/store_index.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/VectorTransform.h>
#include <faiss/IVFlib.h>
#include <faiss/index_factory.h>
#include <faiss/invlists/InvertedLists.h>

#include "indexer/vector/gpu_support.h"
#include "indexer/vector/index_file_error.h"
#include "indexer/vector/inner_product.h"
#include "indexer/vector/mapped_lists.h"
#include "indexer/vector/rerank_file.h"
#include "indexer/vector/two_level_kmeans.h"
#include "indexer/vector/vectorised_flat.h"

namespace palimpsest {
namespace {

using idx_t = faiss::Index::idx_t;

// Accepts positions whose entry is live (not tombstoned) and whose record passes the filter.
// FAISS calls it inside OpenMP regions, where an escaping exception aborts the process, so an
// exception from the caller's filter is kept and rethrown after the search (rethrow()).
struct PositionFilter : faiss::IDSelector {
  PositionFilter(const std::vector<idx_t>& id_map, const IdFilter* filter)
      : id_map(id_map), filter(filter) {}
  bool is_member(idx_t pos) const override {
    if (pos < 0 || pos >= static_cast<idx_t>(id_map.size())) return false;
    const idx_t id = id_map[static_cast<std::size_t>(pos)];
    if (id < 0) return false;
    if (!filter) return true;
    try {
      return (*filter)(id);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      return false;
    }
  }
  void rethrow() const {
    if (error) std::rethrow_exception(error);
  }
  const std::vector<idx_t>& id_map;
  const IdFilter* filter;
  mutable std::mutex error_mutex;
  mutable std::exception_ptr error;
};

// Selects the positions marked in `marks`.
struct MarkedPositions : faiss::IDSelector {
  explicit MarkedPositions(const std::vector<char>& marks) : marks(marks) {}
  bool is_member(idx_t pos) const override {
    return pos >= 0 && pos < static_cast<idx_t>(marks.size()) && marks[static_cast<std::size_t>(pos)];
  }
  const std::vector<char>& marks;
};

// Appends accepted hits from FAISS output (positions as labels) until `out` holds k.
void collect(const std::vector<float>& scores, const std::vector<idx_t>& labels,
             const std::vector<idx_t>& id_map, const IdFilter* filter, int k,
             std::vector<VectorHit>& out) {
  for (std::size_t i = 0; i < labels.size() && static_cast<int>(out.size()) < k; ++i) {
    const idx_t pos = labels[i];
    // FAISS pads with -1 when it found fewer than k; a label past the map is never trusted.
    if (pos < 0 || pos >= static_cast<idx_t>(id_map.size())) continue;
    const idx_t id = id_map[static_cast<std::size_t>(pos)];
    if (id < 0 || (filter && !(*filter)(id))) continue;
    out.push_back({id, scores[i]});
  }
}

std::uint64_t flat_bytes(const faiss::Index* index);

std::uint64_t structure_bytes(const faiss::Index* index, bool lists_mapped) {
  if (!index) return 0;
  if (const auto* flat = dynamic_cast<const faiss::IndexFlatCodes*>(index)) return flat->codes.size();
  if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index))
    return structure_bytes(hnsw->storage, lists_mapped) + hnsw->hnsw.neighbors.size() * 4 +
           hnsw->hnsw.levels.size() * 4 + hnsw->hnsw.offsets.size() * 8;
  if (const auto* pre = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
    std::uint64_t b = structure_bytes(pre->index, lists_mapped);
    for (const faiss::VectorTransform* t : pre->chain)
      b += static_cast<std::uint64_t>(t->d_in) * t->d_out * 4;
    return b;
  }
  if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) {
    std::uint64_t b = structure_bytes(ivf->quantizer, lists_mapped);
    if (!lists_mapped) b += static_cast<std::uint64_t>(ivf->ntotal) * (ivf->code_size + 8);
    if (const auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(ivf))
      b += pq->pq.centroids.size() * 4 + pq->precomputed_table.size() * 4;
    return b;
  }
  return flat_bytes(index);
}

std::uint64_t flat_bytes(const faiss::Index* index) {
  return static_cast<std::uint64_t>(index->ntotal) * index->d * 4;  // unknown type: a guess
}

}  // namespace

StoreIndex::StoreIndex(const IndexPlan& plan, int dim) : plan_(plan), dim_(dim) {
  faiss::Index* inner = faiss::index_factory(dim, plan.factory.c_str(), faiss::METRIC_INNER_PRODUCT);
  inner = install_vectorised_flat(inner);
  map_ = std::make_unique<faiss::IndexIDMap2>(inner);
  map_->own_fields = true;
  locate_parts();
  if (hnsw_ && plan.ef_construction > 0) hnsw_->hnsw.efConstruction = plan.ef_construction;
  // index_factory() turns on polysemous training for "PQ{m}" (it is off only with "np"): a
  // simulated annealing over code assignments that serves Hamming-filtered search, which the
  // store does not use, and that takes most of the training time. Keep the factory string
  // standard and switch it off here.
  if (auto* pq = dynamic_cast<faiss::IndexIVFPQ*>(ivf_)) pq->do_polysemous_training = false;
  if (ivf_) {
    if (auto* qh = dynamic_cast<faiss::IndexHNSW*>(ivf_->quantizer))
      if (plan.ef_construction > 0) qh->hnsw.efConstruction = plan.ef_construction;
  }
}

StoreIndex::StoreIndex(std::unique_ptr<faiss::IndexIDMap2> map, const IndexPlan& plan,
                       std::vector<std::uint64_t> fingerprints, std::vector<std::int64_t> slots,
                       bool memory_mapped)
    : plan_(plan), dim_(static_cast<int>(map->d)), map_(std::move(map)),
      fingerprints_(std::move(fingerprints)), slots_(std::move(slots)), memory_mapped_(memory_mapped) {
  if (map_->metric_type != faiss::METRIC_INNER_PRODUCT)
    throw VectorStoreError("the index does not use inner-product similarity");
  if (fingerprints_.size() != map_->id_map.size() || map_->index->ntotal != map_->ntotal)
    throw VectorStoreError("the index and its id map disagree on the number of entries");
  if (plan_.rerank ? slots_.size() != map_->id_map.size() : !slots_.empty())
    throw VectorStoreError("the index and its re-rank rows disagree on the number of entries");
  if (plan_.rerank && plan_.kind != VectorIndexKind::ivf_pq)
    throw VectorStoreError("only IVF-PQ indexes re-rank, not " + plan_.factory);
  map_->index = install_vectorised_flat(map_->index);
  locate_parts();
  const bool want_hnsw = plan_.kind == VectorIndexKind::hnsw;
  const bool want_ivf = plan_.kind == VectorIndexKind::ivf_flat || plan_.kind == VectorIndexKind::ivf_pq;
  if (want_hnsw != (hnsw_ != nullptr) || want_ivf != (ivf_ != nullptr))
    throw VectorStoreError("the index structure does not match its recorded type " + plan_.factory);
  // Tombstones are saved as id -1; IndexIDMap2's reader put them in rev_map.
  map_->rev_map.erase(-1);
  deleted_ = std::count(map_->id_map.begin(), map_->id_map.end(), idx_t{-1});
  if (deleted_ > 0 && !hnsw_) throw VectorStoreError("deleted entries in a non-graph index");
}

StoreIndex::~StoreIndex() = default;

void StoreIndex::locate_parts() {
  hnsw_ = dynamic_cast<faiss::IndexHNSW*>(map_->index);
  ivf_ = faiss::ivflib::try_extract_index_ivf(map_->index);
}

bool StoreIndex::needs_training() const { return !map_->index->is_trained; }

void StoreIndex::train(std::int64_t n, const float* x, int kmeans_iterations, std::uint32_t seed) {
  if (!needs_training()) return;
  if (n <= 0) throw VectorStoreError("cannot train " + plan_.factory + " on no vectors");
  // k-means assignment with our kernels instead of Debian's reference BLAS (see
  // inner_product.h); IVF uses clustering_index only while training and does not own it.
  VectorisedFlatIP assigner(dim_);
  if (ivf_) {
    ivf_->cp.niter = kmeans_iterations;
    ivf_->cp.seed = static_cast<int>(seed);
    ivf_->clustering_index = &assigner;
    if (auto* pq = dynamic_cast<faiss::IndexIVFPQ*>(ivf_)) {
      // FAISS's PQ k-means runs on its own generic kernels (about 4 s per sub-quantizer per
      // 16k points here); 64 points per centroid is enough for 256-entry codebooks.
      pq->pq.cp.niter = kmeans_iterations;
      pq->pq.cp.seed = static_cast<int>(seed);
      pq->pq.cp.max_points_per_centroid = 64;
    }
  }
  if (auto* pre = dynamic_cast<faiss::IndexPreTransform*>(map_->index)) {
    // OPQ alternates rotation and PQ training; FAISS's default of 50 rounds costs minutes on
    // Debian's generic build, so it follows the same iteration budget as k-means.
    for (faiss::VectorTransform* t : pre->chain)
      if (auto* opq = dynamic_cast<faiss::OPQMatrix*>(t)) opq->niter = kmeans_iterations;
  }
  try {
    if (ivf_ && plan_.two_level_kmeans && n >= static_cast<std::int64_t>(ivf_->nlist)) {
      // Coarse centroids first; FAISS's IndexIVF::train then sees a quantizer holding nlist
      // centroids, skips its own k-means and trains only what follows (PQ codebooks).
      const std::vector<float> centroids =
          two_level_kmeans(n, x, dim_, static_cast<int>(ivf_->nlist), ivf_->cp);
      ivf_->quantizer->reset();
      ivf_->quantizer->add(static_cast<idx_t>(ivf_->nlist), centroids.data());
      ivf_->quantizer->is_trained = true;
    }
    map_->train(n, x);
  } catch (...) {
    if (ivf_) ivf_->clustering_index = nullptr;
    throw;
  }
  if (ivf_) ivf_->clustering_index = nullptr;
}

bool StoreIndex::contains(std::int64_t id) const { return map_->rev_map.count(id) != 0; }

std::optional<std::uint64_t> StoreIndex::fingerprint(std::int64_t id) const {
  const auto it = map_->rev_map.find(id);
  if (it == map_->rev_map.end()) return std::nullopt;
  return fingerprints_[static_cast<std::size_t>(it->second)];
}

void StoreIndex::for_each_live(
    const std::function<void(std::int64_t, std::uint64_t)>& visit) const {
  for (std::size_t i = 0; i < map_->id_map.size(); ++i)
    if (map_->id_map[i] >= 0) visit(map_->id_map[i], fingerprints_[i]);
}

void StoreIndex::add(std::int64_t n, const std::int64_t* ids, const float* unit_vectors,
                     const std::uint64_t* fingerprints, const float* raw_vectors) {
  if (n <= 0) return;
  if (reranks() && (!rerank_ || !raw_vectors))
    throw VectorStoreError("the index " + plan_.factory + " re-ranks, but has no re-rank file or rows to add");
  materialise();
  gpu_.reset();
  if (needs_training()) throw VectorStoreError("the index " + plan_.factory + " is not trained");
  // The rows first: should FAISS refuse the vectors, they are only dead rows.
  std::uint64_t first_row = 0;
  if (reranks()) {
    try {
      first_row = rerank_->append(raw_vectors, static_cast<std::size_t>(n));
    } catch (const IndexFileError& e) {
      throw VectorStoreError(e.what());
    }
  }
  map_->add_with_ids(n, unit_vectors, ids);
  fingerprints_.insert(fingerprints_.end(), fingerprints, fingerprints + n);
  if (reranks())
    for (std::int64_t i = 0; i < n; ++i) slots_.push_back(static_cast<std::int64_t>(first_row) + i);
}

void StoreIndex::attach_rerank(std::unique_ptr<RerankFile> file) {
  if (!reranks()) throw VectorStoreError("the index " + plan_.factory + " does not re-rank");
  if (!file || file->dim() != dim_) throw VectorStoreError("the re-rank file does not hold " + std::to_string(dim_) + "-d rows");
  const std::uint64_t rows = file->rows();
  for (const std::int64_t r : slots_)
    if (r < 0 || static_cast<std::uint64_t>(r) >= rows)
      throw VectorStoreError("an index entry points at re-rank row " + std::to_string(r) + " of " + std::to_string(rows));
  rerank_ = std::move(file);
}

std::int64_t StoreIndex::slot(std::int64_t id) const {
  if (!reranks()) return -1;
  const auto it = map_->rev_map.find(id);
  return it == map_->rev_map.end() ? -1 : slots_[static_cast<std::size_t>(it->second)];
}

std::string StoreIndex::health_reason(double max_dead_fraction) const {
  if (ivf_)
    if (const auto* mapped = dynamic_cast<const MappedInvertedLists*>(ivf_->invlists); mapped && mapped->damaged_list() >= 0)
      return "inverted list " + std::to_string(mapped->damaged_list()) + " of " + mapped->file() + " is damaged";
  if (rerank_ && rerank_->rows() > 0) {
    const std::uint64_t dead = rerank_->rows() - std::min<std::uint64_t>(rerank_->rows(), slots_.size());
    if (static_cast<double>(dead) > max_dead_fraction * static_cast<double>(rerank_->rows()))
      return std::to_string(dead) + " of " + std::to_string(rerank_->rows()) +
             " re-rank rows belong to removed or replaced records";
  }
  return {};
}

std::int64_t StoreIndex::remove(const std::vector<std::int64_t>& ids) {
  std::vector<char> marks(static_cast<std::size_t>(entries()), 0);
  std::int64_t found = 0;
  for (std::int64_t id : ids) {
    const auto it = map_->rev_map.find(id);
    if (it == map_->rev_map.end() || marks[static_cast<std::size_t>(it->second)]) continue;
    marks[static_cast<std::size_t>(it->second)] = 1;
    ++found;
  }
  if (found == 0) return 0;
  materialise();
  gpu_.reset();
  if (hnsw_) {
    // FAISS's HNSW cannot drop nodes: tombstone them (the graph still routes through them).
    for (std::size_t pos = 0; pos < marks.size(); ++pos) {
      if (!marks[pos]) continue;
      map_->rev_map.erase(map_->id_map[pos]);
      map_->id_map[pos] = -1;
    }
    deleted_ += found;
    return found;
  }
  // Flat compacts its storage in order; IVF drops list entries but keeps the remaining labels,
  // which are positions, so renumber them to the compacted positions.
  std::vector<idx_t> new_position(marks.size(), -1);
  idx_t kept = 0;
  for (std::size_t pos = 0; pos < marks.size(); ++pos)
    if (!marks[pos]) new_position[pos] = kept++;
  MarkedPositions selector(marks);
  map_->index->remove_ids(selector);
  if (ivf_) {
    auto* lists = dynamic_cast<faiss::ArrayInvertedLists*>(ivf_->invlists);
    if (!lists) throw VectorStoreError("unexpected inverted-list type in " + plan_.factory);
    for (auto& list_ids : lists->ids)
      for (idx_t& label : list_ids) label = new_position[static_cast<std::size_t>(label)];
  }
  std::size_t out = 0;
  for (std::size_t pos = 0; pos < marks.size(); ++pos) {
    if (marks[pos]) continue;
    map_->id_map[out] = map_->id_map[pos];
    fingerprints_[out] = fingerprints_[pos];
    if (!slots_.empty()) slots_[out] = slots_[pos];  // the removed entries' rows become dead
    ++out;
  }
  map_->id_map.resize(out);
  fingerprints_.resize(out);
  if (!slots_.empty()) slots_.resize(out);
  map_->ntotal = static_cast<idx_t>(out);
  map_->construct_rev_map();
  if (map_->index->ntotal != map_->ntotal)
    throw VectorStoreError("removal left the index and its id map out of step");
  return found;
}

void StoreIndex::search(const float* q, int k, const IdFilter* filter, std::vector<VectorHit>& out) const {
  out.clear();
  if (k <= 0 || live() == 0) return;
  k = static_cast<int>(std::min<std::int64_t>(k, live()));
  if (hnsw_) search_hnsw(q, k, filter, out);
  else if (ivf_) search_ivf(q, k, filter, out);
  else search_flat(q, k, filter, out);
}

void StoreIndex::set_settings(const SearchSettings& settings) {
  settings_ = settings;
  if (hnsw_ && settings.ef_search > 0) hnsw_->hnsw.efSearch = settings.ef_search;
  // An HNSW coarse quantizer must look at least as wide as the lists it returns.
  if (ivf_)
    if (auto* quantizer = dynamic_cast<faiss::IndexHNSW*>(ivf_->quantizer))
      quantizer->hnsw.efSearch = std::max(64, 2 * settings.nprobe);
}

void StoreIndex::search_flat(const float* q, int k, const IdFilter* filter,
                             std::vector<VectorHit>& out) const {
  std::vector<float> scores(static_cast<std::size_t>(k));
  std::vector<idx_t> labels(static_cast<std::size_t>(k));
  if (gpu_ && !filter) {
    gpu_->search(1, q, k, scores.data(), labels.data());
  } else {
    PositionFilter selector(map_->id_map, filter);
    faiss::SearchParameters params;
    params.sel = filter ? &selector : nullptr;
    map_->index->search(1, q, k, scores.data(), labels.data(), &params);
    selector.rethrow();
  }
  collect(scores, labels, map_->id_map, filter, k, out);
}

void StoreIndex::search_ivf(const float* q, int k, const IdFilter* filter, std::vector<VectorHit>& out) const {
  const SearchSettings& s = settings_;
  const bool rerank = rerank_ && s.rerank_factor > 0;
  // With re-ranking, FAISS's best rerank_factor x k by code are the candidates.
  const std::int64_t fetch =
      rerank ? std::min<std::int64_t>(live(), static_cast<std::int64_t>(k) * s.rerank_factor) : k;
  thread_local std::vector<float> scores;
  thread_local std::vector<idx_t> labels;
  scores.resize(static_cast<std::size_t>(fetch));
  labels.resize(static_cast<std::size_t>(fetch));
  if (gpu_ && !filter && !rerank) {
    gpu_->search(1, q, k, scores.data(), labels.data());
    collect(scores, labels, map_->id_map, filter, k, out);
    return;
  }
  PositionFilter selector(map_->id_map, filter);
  const int nlist = static_cast<int>(ivf_->nlist);
  faiss::SearchParametersIVF params;
  params.nprobe = static_cast<std::size_t>(std::clamp(s.nprobe > 0 ? s.nprobe : 1, 1, nlist));
  params.sel = filter ? &selector : nullptr;
  while (true) {
    map_->index->search(1, q, fetch, scores.data(), labels.data(), &params);
    selector.rethrow();
    out.clear();
    if (rerank) rerank_candidates(q, k, labels, filter, out);
    else collect(scores, labels, map_->id_map, filter, k, out);
    // With a selective filter the probed lists may hold fewer than k accepted records: widen.
    if (!filter || static_cast<int>(out.size()) >= k || static_cast<int>(params.nprobe) >= nlist) break;
    params.nprobe = std::min<std::size_t>(static_cast<std::size_t>(nlist), params.nprobe * 4);
  }
}

void StoreIndex::rerank_candidates(const float* q, int k, const std::vector<idx_t>& labels, const IdFilter* filter,
                                   std::vector<VectorHit>& out) const {
  thread_local std::vector<std::int64_t> rows;
  thread_local std::vector<VectorHit> scored;
  rows.clear();
  scored.clear();
  for (const idx_t pos : labels) {
    if (pos < 0 || pos >= static_cast<idx_t>(slots_.size())) continue;
    const idx_t id = map_->id_map[static_cast<std::size_t>(pos)];
    if (id < 0 || (filter && !(*filter)(id))) continue;
    rows.push_back(slots_[static_cast<std::size_t>(pos)]);
    scored.push_back({id, 0});
  }
  // Every candidate's row is asked for at once, so cold rows are read in parallel.
  rerank_->prefetch(rows.data(), rows.size());
  const std::size_t d = static_cast<std::size_t>(dim_);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const float* x = rerank_->row(static_cast<std::uint64_t>(rows[i]));
    float dot = 0, norm_sq = 0;
    inner_product_and_norm(q, x, d, &dot, &norm_sq);
    if (!(norm_sq > 1e-30f) || !std::isfinite(norm_sq)) {  // tiny or huge components: in double
      double dd = 0, nn = 0;
      for (std::size_t j = 0; j < d; ++j) {
        dd += static_cast<double>(q[j]) * x[j];
        nn += static_cast<double>(x[j]) * x[j];
      }
      scored[i].score = static_cast<float>(dd / std::sqrt(nn));
    } else {
      scored[i].score = dot / std::sqrt(norm_sq);
    }
  }
  const std::size_t keep = std::min<std::size_t>(scored.size(), static_cast<std::size_t>(k));
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep), scored.end(),
                    [](const VectorHit& a, const VectorHit& b) {
                      return a.score != b.score ? a.score > b.score : a.record_id < b.record_id;
                    });
  out.assign(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep));
}

void StoreIndex::search_hnsw(const float* q, int k, const IdFilter* filter, std::vector<VectorHit>& out) const {
  // FAISS 1.7.3's HNSW honours SearchParameters::sel (not efSearch: see set_settings); it
  // searches max(efSearch, k) candidates, so asking for more hits also searches wider.
  const bool screened = filter || deleted_ > 0;
  const std::int64_t n = entries();
  PositionFilter selector(map_->id_map, filter);
  faiss::SearchParametersHNSW params;
  params.efSearch = hnsw_->hnsw.efSearch;
  params.sel = screened ? &selector : nullptr;
  std::int64_t fetch = k;
  std::vector<float> scores;
  std::vector<idx_t> labels;
  while (true) {
    scores.resize(static_cast<std::size_t>(fetch));
    labels.resize(static_cast<std::size_t>(fetch));
    hnsw_->search(1, q, fetch, scores.data(), labels.data(), &params);
    selector.rethrow();
    out.clear();
    collect(scores, labels, map_->id_map, filter, k, out);
    if (static_cast<int>(out.size()) >= k || fetch >= n) return;
    if (fetch * 4 >= n) break;  // the filter rejects most of the graph: scan exactly instead
    fetch *= 4;
  }
  // Exact scan of the graph's storage (the full vectors) with the same selector.
  faiss::SearchParameters exact;
  exact.sel = &selector;
  scores.assign(static_cast<std::size_t>(k), 0);
  labels.assign(static_cast<std::size_t>(k), -1);
  hnsw_->storage->search(1, q, k, scores.data(), labels.data(), &exact);
  selector.rethrow();
  out.clear();
  collect(scores, labels, map_->id_map, filter, k, out);
}

void StoreIndex::materialise() {
  if (!memory_mapped_) return;
  if (ivf_) {
    const faiss::InvertedLists* mapped = ivf_->invlists;
    auto lists = std::make_unique<faiss::ArrayInvertedLists>(mapped->nlist, mapped->code_size);
    try {
      for (std::size_t l = 0; l < mapped->nlist; ++l) {
        const std::size_t n = mapped->list_size(l);
        if (n == 0) continue;
        faiss::InvertedLists::ScopedIds ids(mapped, l);  // checks the list's CRC first
        faiss::InvertedLists::ScopedCodes codes(mapped, l);
        lists->add_entries(l, n, ids.get(), codes.get());
      }
    } catch (const IndexFileError& e) {  // a damaged list: the index stays as it was
      throw VectorStoreError(e.what());
    }
    ivf_->replace_invlists(lists.release(), true);
  }
  memory_mapped_ = false;
}

void StoreIndex::refresh_gpu_copy(bool wanted) {
  gpu_.reset();
  if (wanted && !hnsw_ && live() > 0) gpu_ = gpu_search_copy(*map_->index, settings_.nprobe);
}

std::uint64_t StoreIndex::memory_bytes() const {
  return structure_bytes(map_->index, memory_mapped_) + map_->id_map.size() * 8 +
         fingerprints_.size() * 8 + slots_.size() * 8 + map_->rev_map.size() * 40;
}

}  // namespace palimpsest
