#include "indexer/vector/vectorised_flat.h"

#include <algorithm>
#include <typeinfo>

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/impl/FaissAssert.h>
#include <faiss/utils/Heap.h>

#include "indexer/vector/inner_product.h"
#include "indexer/vector/parallel_for.h"

namespace palimpsest {
namespace {

using Heap = faiss::CMin<float, std::int64_t>;

// Queries per task: their heaps and vectors stay in cache while a base block streams past.
constexpr std::size_t kQueryBlock = 32;
// Base vectors per block: 128 x 512 floats = 256 KiB, resident in L2 while every query of the
// task reads it.
constexpr std::size_t kBaseBlock = 128;

inline void push(float* scores, std::int64_t* labels, std::size_t k, float s, std::int64_t label) {
  if (s > scores[0]) faiss::heap_replace_top<Heap>(k, scores, labels, s, label);
}

struct VectorisedIPDistance : faiss::FlatCodesDistanceComputer {
  explicit VectorisedIPDistance(const faiss::IndexFlat& storage)
      : faiss::FlatCodesDistanceComputer(storage.codes.data(), storage.code_size),
        base(storage.get_xb()),
        d(static_cast<std::size_t>(storage.d)) {}

  void set_query(const float* x) override { query = x; }
  float distance_to_code(const std::uint8_t* code) override {
    return inner_product(query, reinterpret_cast<const float*>(code), d);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return inner_product(base + i * d, base + j * d, d);
  }

  const float* base;
  std::size_t d;
  const float* query = nullptr;
};

// Scans IVF-Flat lists (raw float vectors) for the largest inner products with the query.
struct VectorisedIPListScanner : faiss::InvertedListScanner {
  VectorisedIPListScanner(std::size_t d, const faiss::IDSelector* sel)
      : faiss::InvertedListScanner(false, sel), d(d) {
    keep_max = true;
    code_size = d * sizeof(float);
  }
  void set_query(const float* q) override { query = q; }
  void set_list(idx_t list, float) override { list_no = list; }
  float distance_to_code(const std::uint8_t* code) const override {
    return inner_product(query, reinterpret_cast<const float*>(code), d);
  }
  std::size_t scan_codes(std::size_t n, const std::uint8_t* codes, const idx_t* ids, float* scores,
                         idx_t* labels, std::size_t k) const override {
    const float* x = reinterpret_cast<const float*>(codes);
    std::size_t updates = 0;
    for (std::size_t j = 0; j < n; ++j, x += d) {
      if (sel && !sel->is_member(ids[j])) continue;
      const float s = inner_product(query, x, d);
      if (s > scores[0]) {
        faiss::heap_replace_top<Heap>(k, scores, labels, s, ids[j]);
        ++updates;
      }
    }
    return updates;
  }
  std::size_t d;
  const float* query = nullptr;
};

bool is_plain_inner_product_flat(const faiss::Index* index) {
  const auto* flat = dynamic_cast<const faiss::IndexFlat*>(index);
  if (!flat || flat->metric_type != faiss::METRIC_INNER_PRODUCT) return false;
  // Only FAISS's own plain classes: a subclass (ours included) may mean something else.
  return typeid(*flat) == typeid(faiss::IndexFlatIP) || typeid(*flat) == typeid(faiss::IndexFlat);
}

}  // namespace

void accumulate_top_k(const float* queries, std::size_t nq, const float* base, std::size_t nb,
                      std::size_t d, std::size_t k, float* heap_scores, std::int64_t* heap_labels,
                      const std::int64_t* labels, std::int64_t first_label,
                      const faiss::IDSelector* sel) {
  auto label_of = [&](std::size_t j) {
    return labels ? labels[j] : first_label + static_cast<std::int64_t>(j);
  };
  parallel_for(nq, kQueryBlock, [&](std::size_t q0, std::size_t q1) {
    for (std::size_t b0 = 0; b0 < nb; b0 += kBaseBlock) {
      const std::size_t b1 = std::min(nb, b0 + kBaseBlock);
      std::size_t q = q0;
      for (; q + 4 <= q1; q += 4) {
        const float* const qs[4] = {queries + q * d, queries + (q + 1) * d,
                                    queries + (q + 2) * d, queries + (q + 3) * d};
        for (std::size_t j = b0; j < b1; ++j) {
          const std::int64_t label = label_of(j);
          if (sel && !sel->is_member(label)) continue;
          float s[4];
          inner_product_x4(base + j * d, qs, d, s);
          for (std::size_t t = 0; t < 4; ++t)
            push(heap_scores + (q + t) * k, heap_labels + (q + t) * k, k, s[t], label);
        }
      }
      for (; q < q1; ++q) {
        for (std::size_t j = b0; j < b1; ++j) {
          const std::int64_t label = label_of(j);
          if (sel && !sel->is_member(label)) continue;
          push(heap_scores + q * k, heap_labels + q * k, k,
               inner_product(queries + q * d, base + j * d, d), label);
        }
      }
    }
  });
}

void VectorisedFlatIP::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                              const faiss::SearchParameters* params) const {
  FAISS_THROW_IF_NOT(k > 0);
  const std::size_t kk = static_cast<std::size_t>(k);
  for (idx_t q = 0; q < n; ++q) faiss::heap_heapify<Heap>(kk, distances + q * k, labels + q * k);
  accumulate_top_k(x, static_cast<std::size_t>(n), get_xb(), static_cast<std::size_t>(ntotal),
                   static_cast<std::size_t>(d), kk, distances, labels, nullptr, 0,
                   params ? params->sel : nullptr);
  for (idx_t q = 0; q < n; ++q) faiss::heap_reorder<Heap>(kk, distances + q * k, labels + q * k);
}

faiss::FlatCodesDistanceComputer* VectorisedFlatIP::get_FlatCodesDistanceComputer() const {
  return new VectorisedIPDistance(*this);
}

VectorisedIVFFlat::VectorisedIVFFlat(faiss::IndexIVFFlat& other) : faiss::IndexIVFFlat(other) {
  // The copy shares the quantizer and lists pointers; ownership moves here.
  other.own_fields = false;
  other.own_invlists = false;
  other.quantizer = nullptr;
  other.invlists = nullptr;
}

faiss::InvertedListScanner* VectorisedIVFFlat::get_InvertedListScanner(
    bool store_pairs, const faiss::IDSelector* sel) const {
  if (store_pairs || metric_type != faiss::METRIC_INNER_PRODUCT)
    return faiss::IndexIVFFlat::get_InvertedListScanner(store_pairs, sel);
  return new VectorisedIPListScanner(static_cast<std::size_t>(d), sel);
}

faiss::Index* install_vectorised_flat(faiss::Index* index) {
  if (!index) return index;
  if (typeid(*index) == typeid(faiss::IndexIVFFlat) &&
      index->metric_type == faiss::METRIC_INNER_PRODUCT) {
    auto* old = static_cast<faiss::IndexIVFFlat*>(index);
    auto* replacement = new VectorisedIVFFlat(*old);
    delete old;
    replacement->quantizer = install_vectorised_flat(replacement->quantizer);
    return replacement;
  }
  if (is_plain_inner_product_flat(index)) {
    auto* flat = static_cast<faiss::IndexFlat*>(index);
    auto* replacement = new VectorisedFlatIP(flat->d);
    replacement->codes.swap(flat->codes);
    replacement->ntotal = flat->ntotal;
    replacement->is_trained = flat->is_trained;
    delete flat;
    return replacement;
  }
  if (auto* map = dynamic_cast<faiss::IndexIDMap*>(index)) {
    map->index = install_vectorised_flat(map->index);
  } else if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index)) {
    hnsw->storage = install_vectorised_flat(hnsw->storage);
  } else if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index)) {
    ivf->quantizer = install_vectorised_flat(ivf->quantizer);
  } else if (auto* pre = dynamic_cast<faiss::IndexPreTransform*>(index)) {
    pre->index = install_vectorised_flat(pre->index);
  }
  return index;
}

}  // namespace palimpsest
