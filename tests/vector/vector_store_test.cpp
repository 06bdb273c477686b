// Vector store: exact search, every index kind through save and load, removal, repairs of
// missing / damaged / stale files from the catalog, bad input. Collections are small (a few
// thousand 16- to 32-d vectors) so that the suite stays fast.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "indexer/vector/index_plan.h"
#include "indexer/vector/inner_product.h"
#include "indexer/vector/vector_store.h"
#include "schema/catalog.h"
#include "tests/common/test_support.h"
#include "schema/embedding_store.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

std::vector<float> random_vectors(std::size_t n, int dim, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(n * static_cast<std::size_t>(dim));
  for (float& x : v) x = g(rng);
  return v;
}

std::vector<float> unit(const float* v, int dim) {
  double s = 0;
  for (int i = 0; i < dim; ++i) s += static_cast<double>(v[i]) * v[i];
  std::vector<float> u(v, v + dim);
  for (float& x : u) x = static_cast<float>(x / std::sqrt(s));
  return u;
}

// Exact top-k by cosine similarity, computed in double.
std::vector<VectorHit> brute_force(const std::vector<std::int64_t>& ids, const std::vector<float>& data,
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

std::vector<std::int64_t> ids_of(const std::vector<VectorHit>& hits) {
  std::vector<std::int64_t> out;
  for (const VectorHit& h : hits) out.push_back(h.record_id);
  return out;
}

VectorStore::Stream stream_of(const std::vector<std::int64_t>& ids, const std::vector<float>& data, int dim) {
  return [&ids, &data, dim](const VectorStore::Visitor& visit) {
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (!visit(ids[i], data.data() + i * dim, dim)) return;
  };
}

std::vector<std::int64_t> sequential_ids(std::size_t n, std::int64_t first = 1) {
  std::vector<std::int64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = first + static_cast<std::int64_t>(i);
  return ids;
}

const std::vector<VectorIndexKind> kAllKinds = {VectorIndexKind::flat, VectorIndexKind::hnsw,
                                                VectorIndexKind::ivf_flat, VectorIndexKind::ivf_pq};

VectorStoreOptions forced(VectorIndexKind kind) {
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

  fs::path folder() const { return dir / "vectors"; }

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

void expect_same_hits(const std::vector<VectorHit>& a, const std::vector<VectorHit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].record_id, b[i].record_id) << "rank " << i;
    EXPECT_FLOAT_EQ(a[i].score, b[i].score) << "rank " << i;
  }
}

TEST(VectorStore, InnerProductKernelsMatchAReference) {
  for (int dim : {1, 7, 8, 15, 16, 31, 33, 100, 512, 515}) {
    SCOPED_TRACE(dim);
    const auto v = random_vectors(5, dim, 30 + dim);
    const float* x = v.data();
    const float* const q[4] = {v.data() + dim, v.data() + 2 * dim, v.data() + 3 * dim, v.data() + 4 * dim};
    float four[4];
    inner_product_x4(x, q, static_cast<std::size_t>(dim), four);
    for (int j = 0; j < 4; ++j) {
      double ref = 0;
      for (int i = 0; i < dim; ++i) ref += static_cast<double>(x[i]) * q[j][i];
      EXPECT_NEAR(inner_product(x, q[j], static_cast<std::size_t>(dim)), ref, 1e-4 * std::sqrt(dim));
      EXPECT_NEAR(four[j], ref, 1e-4 * std::sqrt(dim));
    }
  }
}

TEST(VectorStore, ExactSearchEqualsBruteForce) {
  const int dim = 32;
  const auto data = random_vectors(600, dim, 1);
  const auto ids = sequential_ids(600, 100);
  VectorStore store(1, dim);
  store.add(ids, data.data(), dim);
  EXPECT_EQ(store.describe().type, "Flat");
  EXPECT_EQ(store.describe().recall_at_10, 1.0);
  const auto queries = random_vectors(20, dim, 2);
  for (int q = 0; q < 20; ++q) {
    const auto hits = store.search(queries.data() + q * dim, dim, 10);
    const auto expected = brute_force(ids, data, dim, queries.data() + q * dim, 10);
    ASSERT_EQ(ids_of(hits), ids_of(expected)) << "query " << q;
    for (std::size_t i = 0; i < hits.size(); ++i) EXPECT_NEAR(hits[i].score, expected[i].score, 1e-5);
  }
}

TEST(VectorStore, ScoresAreCosineSimilarities) {
  const int dim = 16;
  auto data = random_vectors(50, dim, 3);
  VectorStore store(1, dim);
  store.add(sequential_ids(50), data.data(), dim);
  std::vector<float> query(data.begin() + 7 * dim, data.begin() + 8 * dim);
  for (float& x : query) x *= 37.5f;  // length does not matter
  const auto hits = store.search(query.data(), dim, 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].record_id, 8);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
  EXPECT_GE(hits[0].score, hits[1].score);
  EXPECT_GE(hits[1].score, hits[2].score);
}

TEST(VectorStore, RejectsBadInputWithClearErrors) {
  const int dim = 8;
  VectorStore store(1, dim);
  const auto data = random_vectors(20, dim, 4);
  store.add(sequential_ids(20), data.data(), dim);
  std::vector<float> q(data.begin(), data.begin() + dim);

  auto message_of = [](auto&& f) {
    try {
      f();
    } catch (const VectorStoreError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message_of([&] { store.search(q.data(), dim, 0); }).find("k must be positive"), std::string::npos);
  EXPECT_NE(message_of([&] { store.search(q.data(), dim, -3); }).find("k must be positive"), std::string::npos);
  EXPECT_NE(message_of([&] { store.search(q.data(), dim + 1, 5); }).find("dimensions"), std::string::npos);
  std::vector<float> nan_query = q;
  nan_query[3] = std::nanf("");
  EXPECT_NE(message_of([&] { store.search(nan_query.data(), dim, 5); }).find("NaN"), std::string::npos);
  std::vector<float> zero(dim, 0.0f);
  EXPECT_NE(message_of([&] { store.search(zero.data(), dim, 5); }).find("zero length"), std::string::npos);

  std::vector<float> inf_vector = q;
  inf_vector[0] = INFINITY;
  EXPECT_NE(message_of([&] { store.add(99, inf_vector); }).find("record 99"), std::string::npos);
  EXPECT_NE(message_of([&] { store.add(99, zero); }).find("zero length"), std::string::npos);
  EXPECT_NE(message_of([&] { store.add(99, std::vector<float>(dim + 2, 1.0f)); }).find("dimensions"),
            std::string::npos);
  const std::vector<std::int64_t> twice = {5, 5};
  const auto two = random_vectors(2, dim, 5);
  EXPECT_NE(message_of([&] { store.add(twice, two.data(), dim); }).find("twice"), std::string::npos);
  // A batch with one bad vector changes nothing.
  std::vector<float> batch = random_vectors(3, dim, 6);
  batch[dim + 1] = std::nanf("");
  const std::vector<std::int64_t> batch_ids = {101, 102, 103};
  EXPECT_THROW(store.add(batch_ids, batch.data(), dim), VectorStoreError);
  EXPECT_FALSE(store.contains(101));
  EXPECT_EQ(store.size(), 20);

  // k larger than the collection is clamped; an empty store has no hits.
  EXPECT_EQ(store.search(q.data(), dim, 1'000'000).size(), 20u);
  VectorStore empty(2, dim);
  EXPECT_TRUE(empty.search(q.data(), dim, 10).empty());
  EXPECT_THROW(VectorStore(3, 0), VectorStoreError);
  EXPECT_THROW(empty.save(), VectorStoreError);  // in memory only
}

TEST(VectorStore, RemoveAndReplaceInEveryKind) {
  const int dim = 32;
  const auto data = random_vectors(2000, dim, 8);
  const auto ids = sequential_ids(2000);
  for (VectorIndexKind kind : kAllKinds) {
    SCOPED_TRACE(std::string(to_string(kind)));
    VectorStore store(1, dim, forced(kind));
    store.rebuild(stream_of(ids, data, dim), static_cast<std::int64_t>(ids.size()));
    ASSERT_EQ(store.describe().kind, kind);
    ASSERT_EQ(store.size(), 2000);

    // Remove every record whose id is a multiple of 3, and one that does not exist.
    std::vector<std::int64_t> gone;
    for (std::int64_t id : ids)
      if (id % 3 == 0) gone.push_back(id);
    gone.push_back(999'999);
    EXPECT_EQ(store.remove(gone), static_cast<std::int64_t>(gone.size()) - 1);
    EXPECT_EQ(store.size(), 2000 - static_cast<std::int64_t>(gone.size()) + 1);
    for (int q = 0; q < 30; ++q) {
      for (const VectorHit& h : store.search(data.data() + q * 50 * dim, dim, 20))
        EXPECT_NE(h.record_id % 3, 0) << "removed record " << h.record_id << " was returned";
    }

    // Replace record 10's vector: searching for the new vector finds it, with the new score.
    const auto replacement = random_vectors(1, dim, 9);
    store.add(10, replacement);
    EXPECT_EQ(store.size(), 2000 - static_cast<std::int64_t>(gone.size()) + 1);
    const std::function<bool(std::int64_t)> only10 = [](std::int64_t id) { return id == 10; };
    const auto new_hit = store.search(replacement.data(), dim, 1, &only10);
    const auto old_hit = store.search(data.data() + 9 * dim, dim, 1, &only10);
    ASSERT_EQ(new_hit.size(), 1u);
    ASSERT_EQ(old_hit.size(), 1u);
    EXPECT_GT(new_hit[0].score, old_hit[0].score + 0.3f);
    if (kind != VectorIndexKind::ivf_pq) {  // PQ scores are approximate
      EXPECT_NEAR(new_hit[0].score, 1.0f, 1e-4);
      EXPECT_EQ(store.search(replacement.data(), dim, 1)[0].record_id, 10);
    }
  }
}

TEST(VectorStore, FiltersInEveryKind) {
  const int dim = 16;
  const auto data = random_vectors(2000, dim, 10);
  const auto ids = sequential_ids(2000);
  const std::function<bool(std::int64_t)> even = [](std::int64_t id) { return id % 2 == 0; };
  const std::function<bool(std::int64_t)> rare = [](std::int64_t id) { return id <= 15; };
  std::vector<std::int64_t> rare_ids(ids.begin(), ids.begin() + 15);
  std::vector<float> rare_data(data.begin(), data.begin() + 15 * dim);
  for (VectorIndexKind kind : kAllKinds) {
    SCOPED_TRACE(std::string(to_string(kind)));
    VectorStore store(1, dim, forced(kind));
    store.rebuild(stream_of(ids, data, dim), -1);  // count unknown: the store counts
    const float* q = data.data() + 1234 * dim;
    const auto hits = store.search(q, dim, 10, &even);
    EXPECT_EQ(hits.size(), 10u);
    for (const VectorHit& h : hits) EXPECT_EQ(h.record_id % 2, 0);
    // A filter that passes 15 of 2000 records still yields 10 hits; exact kinds the right ones.
    const auto few = store.search(q, dim, 10, &rare);
    ASSERT_EQ(few.size(), 10u);
    for (const VectorHit& h : few) EXPECT_LE(h.record_id, 15);
    if (kind == VectorIndexKind::flat || kind == VectorIndexKind::hnsw || kind == VectorIndexKind::ivf_flat)
      EXPECT_EQ(ids_of(few), ids_of(brute_force(rare_ids, rare_data, dim, q, 10)));
  }
}

TEST(VectorStore, ThrowingFilterPropagatesInsteadOfAborting) {
  const int dim = 16;
  const auto data = random_vectors(1000, dim, 11);
  const auto ids = sequential_ids(1000);
  const std::function<bool(std::int64_t)> boom = [](std::int64_t id) -> bool {
    if (id > 0) throw std::runtime_error("filter failed");
    return true;
  };
  for (VectorIndexKind kind : kAllKinds) {
    SCOPED_TRACE(std::string(to_string(kind)));
    VectorStore store(1, dim, forced(kind));
    store.rebuild(stream_of(ids, data, dim), 1000);
    EXPECT_THROW(store.search(data.data(), dim, 5, &boom), std::runtime_error);
  }
}

TEST(VectorStore, EveryKindRoundTripsThroughSaveAndLoad) {
  const int dim = 32;
  CatalogWithEmbeddings fx(2500, dim);
  const auto queries = random_vectors(15, dim, 12);
  struct Case {
    std::string name;
    VectorStoreOptions options;
  };
  std::vector<Case> cases;
  for (VectorIndexKind kind : kAllKinds) cases.push_back({std::string(to_string(kind)), forced(kind)});
  Case hnsw_quantizer{"ivf_pq with HNSW quantizer and OPQ", forced(VectorIndexKind::ivf_pq)};
  hnsw_quantizer.options.hnsw_quantizer_min_lists = 1;
  hnsw_quantizer.options.use_opq = true;
  hnsw_quantizer.options.kmeans_iterations = 4;  // OPQ training is slow on Debian's generic FAISS
  cases.push_back(hnsw_quantizer);
  Case two_level{"ivf_pq trained by two-level k-means", forced(VectorIndexKind::ivf_pq)};
  two_level.options.two_level_kmeans_min_lists = 1;
  cases.push_back(two_level);
  Case mapped{"ivf_flat memory-mapped", forced(VectorIndexKind::ivf_flat)};
  mapped.options.mmap_min_bytes = 0;
  cases.push_back(mapped);

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path folder = fx.dir / ("vectors-" + std::to_string(&c - cases.data()));
    std::vector<std::vector<VectorHit>> before;
    VectorIndexInfo built;
    {
      Log log;
      VectorStore store = VectorStore::open(fx.catalog, fx.model, folder, log.attach(c.options));
      EXPECT_TRUE(log.mentions("no index file")) << log.all();
      built = store.describe();
      EXPECT_EQ(built.ntotal, 2500);
      EXPECT_GE(built.generation, 1u);
      EXPECT_TRUE(fs::exists(store.file_path()));
      for (int q = 0; q < 15; ++q) before.push_back(store.search(queries.data() + q * dim, dim, 10));
    }
    // One catalog, one model: every case's store records its generation under the same key.
    EXPECT_EQ(fx.catalog.state("vectors." + std::to_string(fx.model) + ".generation"),
              std::to_string(built.generation));
    Log log;
    VectorStore store = VectorStore::open(fx.catalog, fx.model, folder, log.attach(c.options));
    EXPECT_TRUE(log.lines.empty()) << log.all();  // nothing to repair
    const VectorIndexInfo loaded = store.describe();
    EXPECT_EQ(loaded.type, built.type);
    EXPECT_EQ(loaded.generation, built.generation);
    EXPECT_EQ(loaded.nprobe, built.nprobe);
    EXPECT_EQ(loaded.ef_search, built.ef_search);
    EXPECT_EQ(loaded.recall_at_10, built.recall_at_10);
    EXPECT_EQ(loaded.memory_mapped, c.options.mmap_min_bytes == 0);
    for (int q = 0; q < 15; ++q) expect_same_hits(store.search(queries.data() + q * dim, dim, 10), before[q]);

    // A change to a loaded (possibly memory-mapped) index works and is saved.
    const auto extra = random_vectors(1, dim, 13);
    store.add(fx.ids[0], extra);
    store.save();
    EXPECT_EQ(store.describe().generation, built.generation + 1);
    EXPECT_FALSE(store.describe().memory_mapped);
    const std::function<bool(std::int64_t)> first = [&](std::int64_t id) { return id == fx.ids[0]; };
    EXPECT_EQ(store.search(extra.data(), dim, 1, &first).size(), 1u);
  }
  // Type strings the plans produced.
  VectorStoreOptions o = forced(VectorIndexKind::ivf_pq);
  o.hnsw_quantizer_min_lists = 1;
  o.use_opq = true;
  EXPECT_EQ(plan_index(2500, dim, o).factory.substr(0, 8), "OPQ4,IVF");
}

class VectorStoreRepair : public ::testing::Test {
 protected:
  static constexpr int kDim = 16;
  VectorStoreRepair() : fx(1500, kDim) {}

  // Opens (and so builds and saves) the store once, then closes it.
  void build_and_save(const VectorStoreOptions& options = {}) {
    VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), options);
    path = store.file_path();
    ASSERT_TRUE(fs::exists(path));
  }

  // After a repair, the store answers exactly like a brute-force search over the catalog.
  void expect_matches_catalog(const VectorStore& store) {
    EXPECT_EQ(store.size(), static_cast<std::int64_t>(fx.catalog.embeddings().count(fx.model)));
    const auto queries = random_vectors(5, kDim, 14);
    std::vector<std::int64_t> ids;
    std::vector<float> data;
    fx.catalog.embeddings().for_each(fx.model, [&](std::int64_t id, const float* v, int d) {
      ids.push_back(id);
      data.insert(data.end(), v, v + d);
      return true;
    });
    for (int q = 0; q < 5; ++q)
      EXPECT_EQ(ids_of(store.search(queries.data() + q * kDim, kDim, 10)),
                ids_of(brute_force(ids, data, kDim, queries.data() + q * kDim, 10)));
  }

  std::string contents() const { return testing::read_file(path); }

  CatalogWithEmbeddings fx;
  fs::path path;
};

TEST_F(VectorStoreRepair, MissingFileIsRebuilt) {
  build_and_save();
  fs::remove(path);
  Log log;
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach({}));
  EXPECT_TRUE(log.mentions("no index file")) << log.all();
  EXPECT_TRUE(log.mentions("rebuilt from the catalog")) << log.all();
  EXPECT_EQ(store.describe().generation, 2u);  // generations keep growing across rebuilds
  EXPECT_TRUE(fs::exists(path));
  expect_matches_catalog(store);
}

TEST_F(VectorStoreRepair, TruncatedFileIsRebuilt) {
  build_and_save();
  const std::string bytes = contents();
  for (std::size_t keep : {bytes.size() - 1, bytes.size() / 2, std::size_t{30}, std::size_t{0}}) {
    SCOPED_TRACE(keep);
    testing::write_file(path, bytes.substr(0, keep));
    Log log;
    VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach({}));
    EXPECT_TRUE(log.mentions("truncated")) << log.all();
    expect_matches_catalog(store);
  }
}

TEST_F(VectorStoreRepair, FlippedBytesAreDetectedByTheChecksum) {
  VectorStoreOptions hnsw = forced(VectorIndexKind::hnsw);
  build_and_save(hnsw);
  const std::string bytes = contents();
  // A byte in the header, in the metadata, in the fingerprints and deep in the FAISS payload.
  for (std::size_t at : {std::size_t{20}, std::size_t{50}, bytes.size() / 3, bytes.size() - 100}) {
    SCOPED_TRACE(at);
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5A);
    testing::write_file(path, damaged);
    Log log;
    VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach(hnsw));
    EXPECT_TRUE(log.mentions("damaged")) << log.all();
    EXPECT_EQ(store.describe().kind, VectorIndexKind::hnsw);
    EXPECT_EQ(store.size(), 1500);
  }
  testing::write_file(path, std::string(4096, 'x'));
  Log log;
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach({}));
  EXPECT_TRUE(log.mentions("not a Palimpsest vector index")) << log.all();
  expect_matches_catalog(store);
}

TEST_F(VectorStoreRepair, CrashBetweenCatalogCommitAndIndexSaveIsCaughtUp) {
  build_and_save();
  std::vector<std::int64_t> fresh;
  {
    VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder());
    // Ingest: the catalog commits new records and embeddings, the store adds them in memory,
    // and the process dies before store.save() (the destructor never saves).
    fresh = fx.add_records(40, 15);
    store.add(fresh, fx.data.data() + (fx.ids.size() - 40) * kDim, kDim);
  }
  Log log;
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach({}));
  EXPECT_TRUE(log.mentions("40 missing")) << log.all();
  EXPECT_TRUE(log.mentions("caught up")) << log.all();
  EXPECT_EQ(store.size(), 1540);
  for (std::size_t i = 0; i < fresh.size(); i += 7) {
    const float* v = fx.data.data() + (fx.ids.size() - 40 + i) * kDim;
    const auto hits = store.search(v, kDim, 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].record_id, fresh[i]);
  }
  EXPECT_EQ(store.describe().generation, 2u);
  // The repair was saved: the next open has nothing to do.
  Log again;
  VectorStore reopened = VectorStore::open(fx.catalog, fx.model, fx.folder(), again.attach({}));
  EXPECT_TRUE(again.lines.empty()) << again.all();
}

TEST_F(VectorStoreRepair, StaleFileFromAnOlderGenerationIsCaughtUp) {
  build_and_save();
  const fs::path old_copy = fx.dir / "old.pvec";
  fs::copy_file(path, old_copy);
  // Records of the first source are deleted, new ones arrive; the store follows and saves.
  const std::int64_t deleted_source = fx.sources.front();
  const std::vector<std::int64_t> deleted(fx.ids.begin(), fx.ids.begin() + 1500);
  fx.add_records(30, 16);
  ASSERT_TRUE(fx.catalog.delete_source(deleted_source));
  {
    VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder());
    EXPECT_EQ(store.size(), 30);
  }
  // An old copy of the file comes back (a restored backup): generation 1 against 3.
  fs::copy_file(old_copy, path, fs::copy_options::overwrite_existing);
  Log log;
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach({}));
  EXPECT_TRUE(log.mentions("file generation 1, catalog generation")) << log.all();
  EXPECT_EQ(store.size(), 30);
  const auto q = random_vectors(1, kDim, 17);
  for (const VectorHit& h : store.search(q.data(), kDim, 30))
    EXPECT_FALSE(std::binary_search(deleted.begin(), deleted.end(), h.record_id));
  EXPECT_EQ(store.describe().generation, 3u);  // continues from the catalog's 2, not the file's 1
}

TEST_F(VectorStoreRepair, ReplacedEmbeddingWithTheSameCountIsDetected) {
  build_and_save();
  const std::int64_t target = fx.ids[100];
  const auto v = random_vectors(1, kDim, 18);
  fx.catalog.embeddings().put(target, fx.model, v);  // same ids, same count, one vector changed
  Log log;
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach({}));
  EXPECT_TRUE(log.mentions("1 changed")) << log.all();
  const auto hits = store.search(v.data(), kDim, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].record_id, target);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
}

TEST_F(VectorStoreRepair, GenerationAheadOfTheCatalogWithSameContentsIsAccepted) {
  build_and_save();
  // Crash after the rename but before set_state: the catalog still names an older generation.
  fx.catalog.set_state("vectors." + std::to_string(fx.model) + ".generation", "0");
  Log log;
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach({}));
  EXPECT_TRUE(log.mentions("contents match")) << log.all();
  EXPECT_EQ(store.describe().generation, 1u);
  EXPECT_EQ(fx.catalog.state("vectors." + std::to_string(fx.model) + ".generation"), "1");
}

TEST_F(VectorStoreRepair, UnusableCatalogVectorsAreSkippedAndReported) {
  const std::int64_t bad = fx.ids[3];
  fx.catalog.embeddings().put(bad, fx.model, std::vector<float>(kDim, 0.0f));
  Log log;
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach({}));
  EXPECT_TRUE(log.mentions("skipped 1 unusable")) << log.all();
  EXPECT_TRUE(log.mentions("zero length")) << log.all();
  EXPECT_FALSE(store.contains(bad));
  EXPECT_EQ(store.size(), 1499);
}

TEST_F(VectorStoreRepair, UnknownModelIsAnError) {
  EXPECT_THROW(VectorStore::open(fx.catalog, 12345, fx.folder()), VectorStoreError);
}

TEST(VectorStore, IndexTypeFollowsTheCollectionSize) {
  const VectorStoreOptions o;
  EXPECT_EQ(plan_index(0, 512, o).factory, "Flat");
  EXPECT_EQ(plan_index(50'000, 512, o).factory, "Flat");
  EXPECT_EQ(plan_index(1'000'000, 512, o).factory, "IVF4096,Flat");  // HNSW only when asked for
  VectorStoreOptions graphs;
  graphs.hnsw_max = 4'000'000;
  EXPECT_EQ(plan_index(1'000'000, 512, graphs).factory, "HNSW32");
  const IndexPlan ivf = plan_index(8'000'000, 512, o);
  EXPECT_EQ(ivf.kind, VectorIndexKind::ivf_flat);
  EXPECT_GE(ivf.nlist, 4 * std::sqrt(8e6));
  EXPECT_LE(ivf.nlist, 16 * std::sqrt(8e6));
  EXPECT_EQ(ivf.factory, "IVF16384_HNSW32,Flat");
  EXPECT_EQ(ivf.train_points, 16384 * 39);  // FAISS's minimum per list beats the 200k cap
  const IndexPlan pq = plan_index(50'000'000, 512, o);
  EXPECT_EQ(pq.factory, "IVF32768_HNSW32,PQ64");
  // nlist is a power of two in [4 sqrt(N), 16 sqrt(N)] across sizes.
  for (std::int64_t n : {100'000LL, 1'000'000LL, 10'000'000LL, 100'000'000LL}) {
    const int k = choose_nlist(n);
    EXPECT_EQ(k & (k - 1), 0);
    EXPECT_GE(k, 4 * std::sqrt(static_cast<double>(n)));
    EXPECT_LE(k, 16 * std::sqrt(static_cast<double>(n)));
  }
  // A memory budget moves a million 512-d vectors (2 GiB raw) to PQ codes that fit.
  VectorStoreOptions budget;
  budget.index_memory_bytes = 256ull << 20;
  const IndexPlan small = plan_index(1'000'000, 512, budget);
  EXPECT_EQ(small.kind, VectorIndexKind::ivf_pq);
  EXPECT_LE(small.estimated_bytes, budget.index_memory_bytes);
  EXPECT_NE(small.reason.find("budget"), std::string::npos);
}

TEST(VectorStore, OutgrownIndexIsRebuiltFromTheCatalog) {
  const int dim = 16;
  CatalogWithEmbeddings fx(600, dim);
  VectorStoreOptions o;
  o.flat_max = 1000;
  o.tuning_queries = 50;
  o.latency_limit_ms = 50;
  Log log;
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach(o));
  EXPECT_EQ(store.describe().type, "Flat");
  const auto added = fx.add_records(500, 19);
  store.add(added, fx.data.data() + 600 * dim, dim);
  EXPECT_NE(store.describe().rebuild_reason.find("outgrew"), std::string::npos);
  EXPECT_TRUE(store.maintain());
  const VectorIndexInfo info = store.describe();
  EXPECT_EQ(info.type, "HNSW32");
  EXPECT_EQ(info.ntotal, 1100);
  EXPECT_TRUE(info.rebuild_reason.empty());
  EXPECT_GE(info.recall_at_10, 0.0);
  EXPECT_GT(info.ef_search, 0);
  EXPECT_FALSE(store.maintain());

  // IVF retrains when the collection grows past regrow_factor times its training size.
  const IndexPlan built = plan_index(1000, dim, forced(VectorIndexKind::ivf_flat));
  EXPECT_TRUE(rebuild_reason(built, 1000, 3000, 0, dim, forced(VectorIndexKind::ivf_flat)).empty());
  EXPECT_FALSE(rebuild_reason(built, 1000, 5000, 0, dim, forced(VectorIndexKind::ivf_flat)).empty());
}

TEST(VectorStore, DeletedGraphEntriesAreFilteredThenCompacted) {
  const int dim = 16;
  CatalogWithEmbeddings fx(1200, dim);
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), forced(VectorIndexKind::hnsw));
  // The first source's records are deleted from the catalog; the store tombstones them.
  fx.add_records(100, 20);
  std::vector<std::int64_t> first(fx.ids.begin(), fx.ids.begin() + 400);
  ASSERT_EQ(store.remove(first), 400);
  EXPECT_EQ(store.describe().deleted, 400);
  EXPECT_EQ(store.size(), 800);
  for (int q = 0; q < 10; ++q)
    for (const VectorHit& h : store.search(fx.data.data() + (500 + q) * dim, dim, 50))
      EXPECT_GT(h.record_id, first.back());
  EXPECT_NE(store.describe().rebuild_reason.find("deleted"), std::string::npos);
  // The compaction rebuild reads the catalog, which still holds them here: they come back,
  // and the catalog's new records join. (Ingest deletes from the catalog first.)
  EXPECT_TRUE(store.maintain());
  EXPECT_EQ(store.describe().deleted, 0);
  EXPECT_EQ(store.size(), 1300);
}

TEST(VectorStore, ConcurrentSearchesAgree) {
  const int dim = 32;
  const auto data = random_vectors(3000, dim, 21);
  const auto ids = sequential_ids(3000);
  VectorStore store(1, dim, forced(VectorIndexKind::hnsw));
  store.rebuild(stream_of(ids, data, dim), 3000);
  const auto queries = random_vectors(50, dim, 22);
  std::vector<std::vector<std::int64_t>> expected;
  for (int q = 0; q < 50; ++q) expected.push_back(ids_of(store.search(queries.data() + q * dim, dim, 10)));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round)
        for (int q = 0; q < 50; ++q)
          if (ids_of(store.search(queries.data() + q * dim, dim, 10)) != expected[q]) ++mismatches;
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(VectorStore, GpuPathIsNotCompiledIntoDebiansCpuBuild) {
  EXPECT_FALSE(VectorStore::gpu_compiled());
  VectorStore store(1, 4);
  EXPECT_FALSE(store.describe().on_gpu);
}

}  // namespace
}  // namespace palimpsest
