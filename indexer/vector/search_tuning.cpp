#include "indexer/vector/search_tuning.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include <faiss/IndexIVF.h>
#include <faiss/utils/Heap.h>

#include "indexer/vector/parallel_for.h"
#include "indexer/vector/vectorised_flat.h"

namespace palimpsest {
namespace {

using Heap = faiss::CMin<float, std::int64_t>;

std::vector<SearchSettings> ladder(const StoreIndex& index) {
  std::vector<SearchSettings> steps;
  if (index.hnsw()) {
    for (int ef : {16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}) {
      SearchSettings s;
      s.ef_search = ef;
      steps.push_back(s);
    }
  } else if (index.ivf()) {
    const int nlist = static_cast<int>(index.ivf()->nlist);
    for (int p = 1;; p *= 2) {
      SearchSettings s;
      s.nprobe = std::min(p, nlist);
      steps.push_back(s);
      if (p >= nlist) break;
    }
  }
  return steps;
}

// IVF-PQ with re-ranking: two knobs, nprobe (which lists) and the re-rank factor (how many of
// their best-coded entries are re-scored exactly). For each nprobe, cheapest first, the factor
// grows until the target is reached or more candidates from those lists stop adding recall;
// nprobe grows while the cheapest setting at the next nprobe could still beat the best one found
// (its factor-1 latency is lower) and the lists still add recall.
SearchSettings tune_reranked(StoreIndex& index, const TuningSample& sample, const VectorStoreOptions& options) {
  const int nlist = static_cast<int>(index.ivf()->nlist);
  SearchSettings reached, best;
  bool have_reached = false, have_best = false;
  double previous_nprobe_recall = -1;
  for (int p = 1;; p *= 2) {
    const int nprobe = std::min(p, nlist);
    double best_here = -1, first_p50 = 0;
    SearchSettings previous;
    bool have_previous = false;
    for (int factor : {1, 2, 4, 8, 16, 32, 64}) {
      SearchSettings s;
      s.nprobe = nprobe;
      s.rerank_factor = factor;
      index.set_settings(s);
      s.recall_at_10 = measure_recall(index, sample, &s.p50_ms);
      if (factor == 1) first_p50 = s.p50_ms;
      if (have_best && s.p50_ms > options.latency_limit_ms) break;
      if (!have_best || s.recall_at_10 > best.recall_at_10) {
        best = s;
        have_best = true;
      }
      best_here = std::max(best_here, s.recall_at_10);
      if (s.recall_at_10 >= options.target_recall) {
        if (!have_reached || s.p50_ms < reached.p50_ms) reached = s;
        have_reached = true;
        break;
      }
      // These lists hold nothing more: a wider search is needed, not more candidates.
      if (have_previous && s.recall_at_10 < previous.recall_at_10 * 1.005 + 1e-4) break;
      previous = s;
      have_previous = true;
    }
    if (have_reached && first_p50 >= reached.p50_ms) break;
    if (!have_reached && p > 1 && best_here < previous_nprobe_recall * 1.02 + 1e-4) break;
    previous_nprobe_recall = std::max(previous_nprobe_recall, best_here);
    if (first_p50 > options.latency_limit_ms || nprobe >= nlist) break;
  }
  const SearchSettings chosen = have_reached ? reached : best;
  index.set_settings(chosen);
  return chosen;
}

}  // namespace

TuningSample::TuningSample(int dim, int k) : dim_(dim), k_(k) {}

void TuningSample::add_query(std::int64_t id, const float* unit) {
  ids_.push_back(id);
  queries_.insert(queries_.end(), unit, unit + dim_);
}

void TuningSample::consume(const float* unit_batch, const std::int64_t* ids, std::size_t n) {
  const std::size_t kk = static_cast<std::size_t>(k_) + 1;  // + the query itself
  if (heap_scores_.empty() && !ids_.empty()) {
    heap_scores_.resize(ids_.size() * kk);
    heap_ids_.resize(ids_.size() * kk);
    for (std::size_t q = 0; q < ids_.size(); ++q)
      faiss::heap_heapify<Heap>(kk, heap_scores_.data() + q * kk, heap_ids_.data() + q * kk);
  }
  if (ids_.empty() || n == 0) return;
  accumulate_top_k(queries_.data(), ids_.size(), unit_batch, n, static_cast<std::size_t>(dim_), kk,
                   heap_scores_.data(), heap_ids_.data(), ids, 0, nullptr);
}

void TuningSample::finish() {
  const std::size_t kk = static_cast<std::size_t>(k_) + 1;
  truth_.assign(ids_.size(), {});
  if (heap_scores_.empty()) return;
  for (std::size_t q = 0; q < ids_.size(); ++q) {
    faiss::heap_reorder<Heap>(kk, heap_scores_.data() + q * kk, heap_ids_.data() + q * kk);
    for (std::size_t j = 0; j < kk && truth_[q].size() < static_cast<std::size_t>(k_); ++j) {
      const std::int64_t id = heap_ids_[q * kk + j];
      if (id >= 0 && id != ids_[q]) truth_[q].push_back(id);
    }
  }
  heap_scores_.clear();
  heap_scores_.shrink_to_fit();
  heap_ids_.clear();
  heap_ids_.shrink_to_fit();
}

double measure_recall(const StoreIndex& index, const TuningSample& sample, double* p50_ms) {
  std::vector<double> ms;
  ms.reserve(sample.size());
  std::size_t found = 0, wanted = 0;
  std::vector<VectorHit> hits;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    index.search(sample.query(i), sample.k() + 1, nullptr, hits);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    const std::vector<std::int64_t>& truth = sample.truth(i);
    std::unordered_set<std::int64_t> approx;
    for (const VectorHit& h : hits)
      if (h.record_id != sample.query_id(i) && static_cast<int>(approx.size()) < sample.k())
        approx.insert(h.record_id);
    for (std::int64_t id : truth) found += approx.count(id);
    wanted += truth.size();
  }
  if (p50_ms) {
    if (ms.empty()) {
      *p50_ms = 0;
    } else {
      std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2), ms.end());
      *p50_ms = ms[ms.size() / 2];
    }
  }
  return wanted == 0 ? 1.0 : static_cast<double>(found) / static_cast<double>(wanted);
}

SearchSettings tune_search(StoreIndex& index, const TuningSample& sample,
                           const VectorStoreOptions& options) {
  SearchSettings chosen;
  const std::vector<SearchSettings> steps = ladder(index);
  if (steps.empty()) {  // exact
    chosen.recall_at_10 = 1.0;
    index.set_settings(chosen);
    return chosen;
  }
  if (sample.size() == 0) {  // nothing to measure with: a middle setting, recall unknown
    chosen = steps[std::min<std::size_t>(steps.size() - 1, 4)];
    if (index.rerank()) chosen.rerank_factor = 8;
    chosen.recall_at_10 = -1;
    index.set_settings(chosen);
    return chosen;
  }
  OmpThreadScope threads(options.search_threads);
  if (index.rerank()) return tune_reranked(index, sample, options);
  bool have = false;
  for (SearchSettings s : steps) {
    index.set_settings(s);
    s.recall_at_10 = measure_recall(index, sample, &s.p50_ms);
    if (have && s.p50_ms > options.latency_limit_ms) break;
    // Saturated (PQ codes cap recall; a wider search finds nothing new): keep the cheaper one.
    // Relative, so that structureless data, where recall starts near 0 and doubles with each
    // doubling of nprobe, is not mistaken for a plateau.
    if (have && s.recall_at_10 < chosen.recall_at_10 * 1.02 + 1e-4) break;
    chosen = s;
    have = true;
    if (s.recall_at_10 >= options.target_recall) break;
  }
  index.set_settings(chosen);
  return chosen;
}

}  // namespace palimpsest
