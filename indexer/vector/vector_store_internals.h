#pragma once
// Access to a VectorStore's FAISS index for benchmarks (bench/vector_store_bench.cpp measures
// the store's search against the raw FAISS call on the very same index). Not for stages: it
// includes FAISS.

#include "indexer/vector/store_index.h"
#include "indexer/vector/vector_store.h"

namespace palimpsest {

struct VectorStoreInternals {
  // The live index; valid until the store is changed or destroyed.
  static const StoreIndex& index(const VectorStore& store);
};

}  // namespace palimpsest
