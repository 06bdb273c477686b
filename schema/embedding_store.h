#pragma once
// Embedding models and their vectors in the catalog. The embeddings table is the source of truth;
// vector indexes (indexer/vector/) are caches rebuilt from it. Obtained from
// Catalog::embeddings().

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/catalog_rows.h"

namespace palimpsest {

class SqliteConnection;

class EmbeddingStore {
 public:
  explicit EmbeddingStore(SqliteConnection& db);

  std::int64_t ensure_model(std::string_view name, int dim, std::string_view weights_sha256);
  std::optional<ModelRow> model(std::int64_t id);
  std::optional<ModelRow> find_model(std::string_view name, std::string_view weights_sha256);
  std::vector<ModelRow> models();

  // Inserts or replaces; `vector` must have the model's dimension.
  void put(std::int64_t record_id, std::int64_t model_id, const std::vector<float>& vector);
  std::optional<std::vector<float>> get(std::int64_t record_id, std::int64_t model_id);
  std::int64_t count(std::int64_t model_id);
  // Streams every vector of a model in record-id order (bounded memory), starting after
  // `after_record_id`; stop early by returning false from `visit`.
  void for_each(std::int64_t model_id,
                const std::function<bool(std::int64_t record_id, const float* vector, int dim)>& visit,
                std::int64_t after_record_id = 0);
  // About `n` vectors of the model's records of `kind`, spread evenly over the kind's record ids
  // (all of them when it has no more than n), in id order: a deterministic sample of the kind's
  // vectors, read with one index probe per sample point rather than a scan of the kind.
  std::vector<std::pair<std::int64_t, std::vector<float>>> sample(std::int64_t model_id, RecordKind kind, int n);
  // Records (of the given kinds; all when empty) that have no vector for the model yet, in id order.
  std::vector<RecordRow> records_without(std::int64_t model_id, const std::vector<RecordKind>& kinds,
                                         int limit, std::int64_t after_id = 0);

 private:
  SqliteConnection& db_;
};

}  // namespace palimpsest
