#pragma once
// Comparing a vector index with the catalog's embeddings, the source of truth (internal).

#include <cstdint>
#include <string>
#include <vector>

#include "indexer/vector/store_index.h"
#include "schema/catalog.h"

namespace palimpsest {

struct CatalogDiff {
  std::vector<std::int64_t> missing;  // in the catalog, not in the index
  std::vector<std::int64_t> changed;  // in both, but the catalog's vector is different (or its re-rank row is)
  std::int64_t damaged_rows = 0;      // of `changed`: same vector, but the re-rank row differs from it
  std::vector<std::int64_t> extra;    // in the index, no longer in the catalog
  std::int64_t catalog_count = 0;     // embeddings of the model in the catalog
  // Catalog vectors the store cannot index (wrong size, NaN, zero): never added, reported.
  std::vector<std::int64_t> invalid;
  std::string first_invalid_reason;

  std::int64_t changes() const {
    return static_cast<std::int64_t>(missing.size() + changed.size() + extra.size());
  }
  std::string summary() const;  // "12 missing, 1 changed, 3 removed"
};

// Streams every embedding of the model once (for_each_embedding) and compares ids and vector
// fingerprints with the index, and, for an index that re-ranks, each re-rank row with the
// catalog's vector byte for byte (rows are in about record-id order after a build, so this reads
// the re-rank file nearly sequentially; its pages are released afterwards). Memory: one id per
// catalog embedding, plus the differences.
CatalogDiff diff_with_catalog(Catalog& catalog, std::int64_t model_id, int dim,
                              const StoreIndex& index);

}  // namespace palimpsest
