#include "schema/embedding_store.h"

#include <algorithm>
#include <cstring>

#include "schema/catalog_error.h"
#include "schema/record_sql.h"
#include "schema/sqlite_connection.h"

namespace palimpsest {

EmbeddingStore::EmbeddingStore(SqliteConnection& db) : db_(db) {}

std::int64_t EmbeddingStore::ensure_model(std::string_view name, int dim, std::string_view weights_sha256) {
  if (dim <= 0) throw CatalogError("model dimension must be positive");
  db_.statement(
      "INSERT INTO models(name, dim, weights_sha256) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(name, weights_sha256) DO NOTHING")
      .bind(1, name)
      .bind(2, static_cast<std::int64_t>(dim))
      .bind(3, weights_sha256)
      .run();
  auto m = find_model(name, weights_sha256);
  if (!m) throw CatalogError("model vanished: " + std::string(name));
  if (m->dim != dim)
    throw CatalogError("model " + std::string(name) + " is registered with dimension " +
                       std::to_string(m->dim) + ", not " + std::to_string(dim));
  return m->id;
}

std::optional<ModelRow> EmbeddingStore::model(std::int64_t id) {
  Statement& s = db_.statement("SELECT id, name, dim, weights_sha256 FROM models WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return ModelRow{s.int64(0), s.text(1), static_cast<int>(s.int64(2)), s.text(3)};
}

std::optional<ModelRow> EmbeddingStore::find_model(std::string_view name, std::string_view weights_sha256) {
  Statement& s = db_.statement(
      "SELECT id, name, dim, weights_sha256 FROM models WHERE name = ?1 AND weights_sha256 = ?2");
  s.bind(1, name).bind(2, weights_sha256);
  if (!s.step()) return std::nullopt;
  return ModelRow{s.int64(0), s.text(1), static_cast<int>(s.int64(2)), s.text(3)};
}

std::vector<ModelRow> EmbeddingStore::models() {
  Statement& s = db_.statement("SELECT id, name, dim, weights_sha256 FROM models ORDER BY id");
  std::vector<ModelRow> out;
  while (s.step()) out.push_back({s.int64(0), s.text(1), static_cast<int>(s.int64(2)), s.text(3)});
  return out;
}

void EmbeddingStore::put(std::int64_t record_id, std::int64_t model_id,
                            const std::vector<float>& vector) {
  // Vectors are stored as little-endian float32 (the machines we build for are little-endian).
  db_.statement(
      "INSERT INTO embeddings(record_id, model_id, vector) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(record_id, model_id) DO UPDATE SET vector = excluded.vector")
      .bind(1, record_id)
      .bind(2, model_id)
      .bind_blob(3, std::string_view(reinterpret_cast<const char*>(vector.data()),
                                     vector.size() * sizeof(float)))
      .run();
}

std::optional<std::vector<float>> EmbeddingStore::get(std::int64_t record_id, std::int64_t model_id) {
  Statement& s =
      db_.statement("SELECT vector FROM embeddings WHERE record_id = ?1 AND model_id = ?2");
  s.bind(1, record_id).bind(2, model_id);
  if (!s.step()) return std::nullopt;
  const std::string bytes = s.blob(0);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

std::int64_t EmbeddingStore::count(std::int64_t model_id) {
  Statement& s = db_.statement("SELECT count(*) FROM embeddings WHERE model_id = ?1");
  s.bind(1, model_id);
  s.step();
  return s.int64(0);
}

void EmbeddingStore::for_each(
    std::int64_t model_id,
    const std::function<bool(std::int64_t, const float*, int)>& visit,
    std::int64_t after_record_id) {
  // Paged so that no statement stays open across the caller's work (which may write).
  constexpr std::int64_t kPage = 4096;
  std::vector<std::int64_t> ids;
  std::vector<float> values;
  std::int64_t after = after_record_id;
  while (true) {
    ids.clear();
    values.clear();
    int dim = 0;
    {
      Statement& s = db_.statement(
          "SELECT record_id, vector FROM embeddings WHERE model_id = ?1 AND record_id > ?2 "
          "ORDER BY record_id LIMIT ?3");
      s.bind(1, model_id).bind(2, after).bind(3, kPage);
      while (s.step()) {
        const std::string bytes = s.blob(1);
        const int d = static_cast<int>(bytes.size() / sizeof(float));
        if (dim == 0) dim = d;
        if (d != dim) throw CatalogError("embeddings of one model have different sizes");
        ids.push_back(s.int64(0));
        const std::size_t at = values.size();
        values.resize(at + d);
        std::memcpy(values.data() + at, bytes.data(), d * sizeof(float));
      }
    }
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (!visit(ids[i], values.data() + i * dim, dim)) return;
    if (static_cast<std::int64_t>(ids.size()) < kPage) return;
    after = ids.back();
  }
}

std::vector<std::pair<std::int64_t, std::vector<float>>> EmbeddingStore::sample(std::int64_t model_id, RecordKind kind,
                                                                             int n) {
  std::vector<std::pair<std::int64_t, std::vector<float>>> out;
  if (n <= 0) return out;
  const std::string kind_name(to_string(kind));
  std::int64_t lo = 0, hi = 0, count = 0;
  {
    Statement& s = db_.statement("SELECT min(id), max(id), count(*) FROM records WHERE kind = ?1");
    s.bind(1, std::string_view(kind_name));
    if (s.step()) {
      lo = s.int64(0);
      hi = s.int64(1);
      count = s.int64(2);
    }
  }
  if (count == 0) return out;
  auto vector_of = [](const std::string& bytes) {
    std::vector<float> v(bytes.size() / sizeof(float));
    std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
    return v;
  };
  if (count <= n) {
    Statement& s = db_.statement(
        "SELECT r.id, e.vector FROM records r JOIN embeddings e ON e.record_id = r.id AND e.model_id = ?2 "
        "WHERE r.kind = ?1 ORDER BY r.id");
    s.bind(1, std::string_view(kind_name)).bind(2, model_id);
    while (s.step()) out.emplace_back(s.int64(0), vector_of(s.blob(1)));
    return out;
  }
  // One probe per sample point: the first embedded record of the kind at or after the point.
  std::int64_t next = lo;
  for (int i = 0; i < n; ++i) {
    const std::int64_t point = std::max(next, lo + static_cast<std::int64_t>((static_cast<double>(hi - lo) * i) / n));
    Statement& s = db_.statement(
        "SELECT r.id, e.vector FROM records r JOIN embeddings e ON e.record_id = r.id AND e.model_id = ?2 "
        "WHERE r.kind = ?1 AND r.id >= ?3 ORDER BY r.id LIMIT 1");
    s.bind(1, std::string_view(kind_name)).bind(2, model_id).bind(3, point);
    if (!s.step()) break;
    out.emplace_back(s.int64(0), vector_of(s.blob(1)));
    next = out.back().first + 1;
  }
  return out;
}

std::vector<RecordRow> EmbeddingStore::records_without(std::int64_t model_id,
                                                       const std::vector<RecordKind>& kinds, int limit,
                                                       std::int64_t after_id) {
  // Pages of records in id order; each page is read whole before the per-record checks, which
  // use another statement (see SqliteConnection::statement).
  static const std::string page_sql =
      "SELECT " + std::string(kRecordColumns) + " FROM records WHERE id > ?1 ORDER BY id LIMIT ?2";
  std::vector<RecordRow> out;
  const std::int64_t page_size = std::max(limit, 256);
  std::int64_t after = after_id;
  while (static_cast<int>(out.size()) < limit) {
    std::vector<RecordRow> page;
    Statement& s = db_.statement(page_sql);
    s.bind(1, after).bind(2, page_size);
    while (s.step()) page.push_back(read_record(s));
    if (page.empty()) break;
    for (RecordRow& r : page) {
      if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end()) continue;
      Statement& has = db_.statement("SELECT 1 FROM embeddings WHERE record_id = ?1 AND model_id = ?2");
      has.bind(1, r.id).bind(2, model_id);
      if (has.step()) continue;
      out.push_back(std::move(r));
      if (static_cast<int>(out.size()) >= limit) break;
    }
    after = page.back().id;
  }
  return out;
}

}  // namespace palimpsest
