#pragma once
// FAISS's exact inner-product storage, searched with our vectorised kernels (internal header:
// it includes FAISS, so only indexer/vector includes it).
//
// A VectorisedFlatIP *is* a faiss::IndexFlatIP (same data, same file format: write_index sees
// the base class), with two methods replaced: search() and the distance computer that HNSW
// uses while building and searching its graph. See inner_product.h for why.

#include <cstddef>
#include <cstdint>

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/IDSelector.h>

namespace palimpsest {

// Merges the inner products of `nq` queries with `nb` base vectors into per-query heaps of size
// k that keep the k largest scores so far (FAISS CMin heaps: scores[q*k .. q*k+k), labels
// likewise). Base vector j has label labels[j], or first_label + j when labels is null; labels
// that `sel` rejects are skipped. Parallel over queries (see parallel_for.h).
void accumulate_top_k(const float* queries, std::size_t nq, const float* base, std::size_t nb,
                      std::size_t d, std::size_t k, float* heap_scores, std::int64_t* heap_labels,
                      const std::int64_t* labels, std::int64_t first_label,
                      const faiss::IDSelector* sel);

struct VectorisedFlatIP : faiss::IndexFlatIP {
  explicit VectorisedFlatIP(idx_t d) : faiss::IndexFlatIP(d) {}

  // Exact top-k by inner product; honours params->sel (labels are positions in this index).
  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;

  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

// FAISS's IVF-Flat, whose lists (full vectors) are scanned with our kernels for inner-product
// searches. Same data and file format (write_index sees an IndexIVFFlat).
struct VectorisedIVFFlat : faiss::IndexIVFFlat {
  // Takes over `other`'s quantizer, lists and settings; `other` is left owning nothing.
  explicit VectorisedIVFFlat(faiss::IndexIVFFlat& other);

  faiss::InvertedListScanner* get_InvertedListScanner(bool store_pairs,
                                                      const faiss::IDSelector* sel) const override;
};

// Replaces every exact inner-product flat index inside `index` (below an IDMap, an HNSW's
// storage, an IVF's coarse quantizer, behind a pre-transform) by a VectorisedFlatIP holding the
// same vectors (moved, not copied), and an inner-product IndexIVFFlat by a VectorisedIVFFlat. Returns what should stand in place of `index` itself: the
// same pointer unless `index` was such a flat index, which is then deleted. Every level must
// own its sub-indexes, as index_factory() and read_index() make them.
faiss::Index* install_vectorised_flat(faiss::Index* index);

}  // namespace palimpsest
