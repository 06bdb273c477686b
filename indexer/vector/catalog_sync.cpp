#include "indexer/vector/catalog_sync.h"

#include <algorithm>

#include "indexer/vector/vector_math.h"
#include "schema/embedding_store.h"

namespace palimpsest {

std::string CatalogDiff::summary() const {
  std::string s = std::to_string(missing.size()) + " missing, " + std::to_string(changed.size()) +
                  " changed, " + std::to_string(extra.size()) + " no longer in the catalog";
  if (!invalid.empty())
    s += ", " + std::to_string(invalid.size()) + " unusable (first: record " +
         std::to_string(invalid.front()) + " " + first_invalid_reason + ")";
  return s;
}

CatalogDiff diff_with_catalog(Catalog& catalog, std::int64_t model_id, int dim,
                              const StoreIndex& index) {
  CatalogDiff diff;
  std::vector<std::int64_t> catalog_ids;  // ascending: for_each_embedding goes in id order
  std::vector<float> unit(static_cast<std::size_t>(dim));
  std::int64_t present = 0;  // catalog ids the index holds
  catalog.embeddings().for_each(model_id, [&](std::int64_t id, const float* v, int d) {
    ++diff.catalog_count;
    catalog_ids.push_back(id);
    if (index.contains(id)) ++present;
    std::string why = d != dim ? "has " + std::to_string(d) + " dimensions, not " + std::to_string(dim)
                               : normalise_into(v, d, unit.data());
    if (!why.empty()) {
      if (diff.invalid.empty()) diff.first_invalid_reason = why;
      diff.invalid.push_back(id);
      if (index.contains(id)) diff.extra.push_back(id);  // replaced by something unusable
      return true;
    }
    const auto fp = index.fingerprint(id);
    if (!fp) diff.missing.push_back(id);
    else if (*fp != vector_fingerprint(v, d)) diff.changed.push_back(id);
    return true;
  });
  if (index.live() > present) {  // some index ids are not in the catalog: find them
    index.for_each_live([&](std::int64_t id, std::uint64_t) {
      if (!std::binary_search(catalog_ids.begin(), catalog_ids.end(), id)) diff.extra.push_back(id);
    });
  }
  return diff;
}

}  // namespace palimpsest
