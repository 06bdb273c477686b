#pragma once
// Helpers shared by the vector store's tests: random and clustered vectors, a brute-force
// reference search, a catalog holding embeddings, a log collector.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "indexer/vector/vector_store.h"
#include "schema/catalog.h"
#include "schema/embedding_store.h"
#include "tests/common/test_support.h"

namespace palimpsest::vector_testing {

inline std::vector<float> random_vectors(std::size_t n, int dim, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(n * static_cast<std::size_t>(dim));
  for (float& x : v) x = g(rng);
  return v;
}

inline std::vector<float> unit(const float* v, int dim) {
  double s = 0;
  for (int i = 0; i < dim; ++i) s += static_cast<double>(v[i]) * v[i];
  std::vector<float> u(v, v + dim);
  for (float& x : u) x = static_cast<float>(x / std::sqrt(s));
  return u;
}

// Exact top-k by cosine similarity, computed in double.
inline std::vector<VectorHit> brute_force(const std::vector<std::int64_t>& ids, const std::vector<float>& data,
                                   int dim, const float* query, int k) {
  const std::vector<float> q = unit(query, dim);
  std::vector<VectorHit> all;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::vector<float> x = unit(data.data() + i * dim, dim);
    double s = 0;
    for (int j = 0; j < dim; ++j) s += static_cast<double>(q[j]) * x[j];
    all.push_back({ids[i], static_cast<float>(s)});
  }
  std::sort(all.begin(), all.end(), [](const VectorHit& a, const VectorHit& b) { return a.score > b.score; });
  all.resize(std::min<std::size_t>(all.size(), static_cast<std::size_t>(k)));
  return all;
}

inline std::vector<std::int64_t> ids_of(const std::vector<VectorHit>& hits) {
  std::vector<std::int64_t> out;
  for (const VectorHit& h : hits) out.push_back(h.record_id);
  return out;
}

inline VectorStore::Stream stream_of(const std::vector<std::int64_t>& ids, const std::vector<float>& data, int dim) {
  return [&ids, &data, dim](const VectorStore::Visitor& visit) {
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (!visit(ids[i], data.data() + i * dim, dim)) return;
  };
}

inline std::vector<std::int64_t> sequential_ids(std::size_t n, std::int64_t first = 1) {
  std::vector<std::int64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = first + static_cast<std::int64_t>(i);
  return ids;
}

inline const std::vector<VectorIndexKind> kAllKinds = {VectorIndexKind::flat, VectorIndexKind::hnsw,
                                                VectorIndexKind::ivf_flat, VectorIndexKind::ivf_pq};

inline VectorStoreOptions forced(VectorIndexKind kind) {
  VectorStoreOptions o;
  o.force_kind = kind;
  o.tuning_queries = 50;
  o.latency_limit_ms = 50;  // tiny collections: tuning must not be cut short by a busy machine
  return o;
}

// A catalog in a temporary folder with `n` text records and one embedding per record.
struct CatalogWithEmbeddings {
  explicit CatalogWithEmbeddings(std::size_t n, int dim, unsigned seed = 7)
      : catalog(dir / "catalog.db"), dim(dim) {
    archive = catalog.ensure_archive("test", "/");
    model = catalog.embeddings().ensure_model("test-model", dim, "sha");
    add_records(n, seed);
  }

  // Adds n records with random embeddings in one transaction; returns their ids.
  std::vector<std::int64_t> add_records(std::size_t n, unsigned seed) {
    SourceRow source;
    source.archive_id = archive;
    source.uri = "/doc" + std::to_string(next_source++) + ".txt";
    source.sha256 = "h" + std::to_string(next_source);
    source.kind = SourceKind::text;
    source.size_bytes = 10;
    auto writer = catalog.replace_source(source);
    std::vector<std::int64_t> new_ids;
    for (std::size_t i = 0; i < n; ++i) {
      RecordRow r;
      r.kind = RecordKind::text;
      r.text = "paragraph " + std::to_string(i);
      new_ids.push_back(writer.add_record(r));
    }
    writer.commit();
    const std::vector<float> v = random_vectors(n, dim, seed);
    catalog.transaction([&] {
      for (std::size_t i = 0; i < n; ++i)
        catalog.embeddings().put(new_ids[i], model,
                              std::vector<float>(v.begin() + i * dim, v.begin() + (i + 1) * dim));
    });
    for (std::size_t i = 0; i < n; ++i) {
      ids.push_back(new_ids[i]);
      data.insert(data.end(), v.begin() + i * dim, v.begin() + (i + 1) * dim);
    }
    sources.push_back(writer.source_id());
    return new_ids;
  }

  std::filesystem::path folder() const { return dir / "vectors"; }

  testing::TempDir dir;
  Catalog catalog;
  int dim;
  std::int64_t archive = 0;
  std::int64_t model = 0;
  int next_source = 0;
  std::vector<std::int64_t> ids;  // every record with an embedding, in insertion order
  std::vector<float> data;
  std::vector<std::int64_t> sources;
};

struct Log {
  VectorStoreOptions attach(VectorStoreOptions o) {
    o.log = [this](const std::string& line) { lines.push_back(line); };
    return o;
  }
  bool mentions(const std::string& text) const {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  }
  std::string all() const {
    std::string s;
    for (const std::string& l : lines) s += l + "\n";
    return s;
  }
  std::vector<std::string> lines;
};

inline void expect_same_hits(const std::vector<VectorHit>& a, const std::vector<VectorHit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].record_id, b[i].record_id) << "rank " << i;
    EXPECT_FLOAT_EQ(a[i].score, b[i].score) << "rank " << i;
  }
}

// n vectors drawn around `centres` random directions, each cluster spread along its own
// few-dimensional subspace plus a little noise: embedding-like data, on which inverted lists
// and product quantisation behave as on real embeddings (uniform random vectors defeat both).
inline std::vector<float> clustered_vectors(std::size_t n, int dim, int centres, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  const int intrinsic = 4;
  std::mt19937 layout(1000 + static_cast<unsigned>(centres));  // the same clusters for every seed
  std::vector<float> centre(static_cast<std::size_t>(centres) * dim), basis(static_cast<std::size_t>(centres) * intrinsic * dim);
  for (float& x : centre) x = g(layout);
  for (float& x : basis) x = 0.5f * g(layout);
  std::uniform_int_distribution<int> pick(0, centres - 1);
  std::vector<float> v(n * static_cast<std::size_t>(dim));
  for (std::size_t i = 0; i < n; ++i) {
    const int c = pick(rng);
    float z[intrinsic];
    for (float& x : z) x = g(rng);
    for (int j = 0; j < dim; ++j) {
      float x = centre[static_cast<std::size_t>(c) * dim + j] + 0.1f * g(rng);
      for (int r = 0; r < intrinsic; ++r) x += z[r] * basis[(static_cast<std::size_t>(c) * intrinsic + r) * dim + j];
      v[i * dim + j] = x;
    }
  }
  return v;
}

}  // namespace palimpsest::vector_testing
