// Vector store benchmark: for each index kind the store can pick (Flat, HNSW, IVF-Flat, IVF-PQ),
// build time, memory, single-query latency (p50/p99, one query at a time, one OpenMP thread as
// the store searches), recall@10 against exact search (a Flat index over the same data: the
// baseline), and the overhead of VectorStore::search over the raw FAISS call on the same index
// with the same parameters. Two datasets: uniform random unit vectors (no structure: the hard
// case for any ANN index) and a clustered mixture resembling real embeddings.
//
//   build-vec/bench/vector_store_bench [--n 1000000] [--dim 512] [--queries 1000]
//       [--flat-queries 100] [--kinds flat,hnsw,ivf_flat,ivf_pq] [--datasets uniform,clustered]
//       [--centres 1000] [--ef-construction 40] [--hnsw-quantizer-min-lists 8192]
//       [--sweep 1,2,4,...] [--sweep-queries 200] [--stream 1] [--index-memory-mib M]
//
// --kinds takes `default` too: the store's own choice for N (under --index-memory-mib), and
// `<kind>+2l`: an IVF kind trained by two-level k-means whatever its list count.
// --stream 1: the collection is generated chunk by chunk on each pass and never held in memory
// (the store builds from a stream; ground truth is a streamed exact scan), for collections
// larger than memory; Flat is then skipped.
//
// --sweep: after the tuned run, the recall/latency frontier of each IVF or HNSW index over the
// given nprobe (IVF) or efSearch (HNSW) values, with the distance computations per query as a
// fraction of N (hardware-independent: how much of the collection a query must touch).
//
// Prints a markdown table; see docs/performance.md, "Vector store (FAISS)".
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/utils/distances.h>

#include "indexer/vector/index_plan.h"
#include "indexer/vector/parallel_for.h"
#include "indexer/vector/vector_math.h"
#include "indexer/vector/vector_store.h"
#include "indexer/vector/vector_store_internals.h"
#include "retrieval/search/dense_index.h"

using namespace palimpsest;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

double rss_mib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

// Rows are generated in blocks of kBlock, each from its own generator seeded by the block's
// index, so any range of rows (a whole collection, or one chunk of a streamed one) comes out
// the same whatever the thread count or chunking.
constexpr std::size_t kBlock = 4096;

// Fills `out` with rows [row0, row0 + n) of independent standard normals; row0 % kBlock == 0.
void fill_normal(std::vector<float>& out, std::size_t row0, std::size_t n, int dim, std::uint64_t seed) {
  out.resize(n * static_cast<std::size_t>(dim));
  parallel_for((n + kBlock - 1) / kBlock, 1, [&](std::size_t b0, std::size_t b1) {
    for (std::size_t b = b0; b < b1; ++b) {
      std::mt19937_64 rng(seed * 1000003 + row0 / kBlock + b);
      std::normal_distribution<float> g;
      const std::size_t end = std::min(n, (b + 1) * kBlock) * static_cast<std::size_t>(dim);
      for (std::size_t i = b * kBlock * static_cast<std::size_t>(dim); i < end; ++i) out[i] = g(rng);
    }
  });
}

// A mixture resembling real embeddings: `centres` random directions; each cluster spreads along
// its own random 16-dimensional subspace (real embeddings have a low intrinsic dimension) plus
// a little isotropic noise. Rows are drawn from clusters uniformly at random.
struct Mixture {
  static constexpr int kIntrinsic = 16;
  Mixture(int centres, int dim, std::uint64_t seed) : centres(centres), dim(dim) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> g;
    centre.resize(static_cast<std::size_t>(centres) * dim);
    for (float& x : centre) x = g(rng) / std::sqrt(static_cast<float>(dim));
    basis.resize(static_cast<std::size_t>(centres) * kIntrinsic * dim);
    for (float& x : basis) x = g(rng) / std::sqrt(static_cast<float>(dim));
  }
  // Rows [row0, row0 + n) of the draw seeded by `seed`; row0 % kBlock == 0.
  void sample(std::vector<float>& out, std::size_t row0, std::size_t n, std::uint64_t seed) const {
    out.assign(n * static_cast<std::size_t>(dim), 0.0f);
    parallel_for((n + kBlock - 1) / kBlock, 1, [&](std::size_t b0, std::size_t b1) {
      std::vector<float> z(kIntrinsic);
      for (std::size_t b = b0; b < b1; ++b) {
        std::mt19937_64 rng(seed * 1000003 + row0 / kBlock + b);
        std::normal_distribution<float> g;
        std::uniform_int_distribution<int> pick(0, centres - 1);
        for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
          const int c = pick(rng);
          float* row = out.data() + i * static_cast<std::size_t>(dim);
          const float* mu = centre.data() + static_cast<std::size_t>(c) * dim;
          for (float& v : z) v = 0.5f * g(rng);
          for (int j = 0; j < dim; ++j) row[j] = mu[j] + 0.05f * g(rng) / std::sqrt(static_cast<float>(dim));
          for (int r = 0; r < kIntrinsic; ++r) {
            const float* u = basis.data() + (static_cast<std::size_t>(c) * kIntrinsic + r) * dim;
            for (int j = 0; j < dim; ++j) row[j] += z[r] * u[j];
          }
        }
      }
    });
  }
  int centres;
  int dim;
  std::vector<float> centre;
  std::vector<float> basis;
};

struct Row {
  std::string dataset, kind, type, param;
  double build_s = 0, memory_mib = 0, rss_delta_mib = 0;
  double p50 = 0, p99 = 0, raw_p50 = 0;
  double overhead = 0;  // warm store p50 / warm raw p50 - 1
  double dense_overhead = 0;  // warm DenseIndex (what Searcher calls) p50 / warm raw p50 - 1
  double recall = 0, tuned_recall = -1;
  int queries = 0;
};

// Raw FAISS search on the store's own inner index, with the store's tuned parameters (HNSW's
// efSearch is already set on the index: FAISS 1.7.3 reads it from there) and
// positions translated to record ids (what a caller of FAISS would have to do as well).
void raw_search(const StoreIndex& index, const float* unit_query, int k, float* scores,
                faiss::Index::idx_t* labels) {
  const faiss::Index& inner = *index.faiss_index().index;
  if (index.ivf()) {
    faiss::SearchParametersIVF p;
    p.nprobe = static_cast<std::size_t>(index.settings().nprobe);
    inner.search(1, unit_query, k, scores, labels, &p);
  } else {
    inner.search(1, unit_query, k, scores, labels);
  }
  const auto& id_map = index.faiss_index().id_map;
  for (int i = 0; i < k; ++i)
    if (labels[i] >= 0) labels[i] = id_map[static_cast<std::size_t>(labels[i])];
}

struct SweepPoint {
  int setting = 0;
  double recall = 0, p50 = 0, p99 = 0, touched = 0;  // touched: distance computations / N
};

// The recall/latency frontier of a built IVF or HNSW store: each setting applied in turn
// (StoreIndex::set_settings needs exclusive access: the benchmark is single-threaded here),
// single queries through VectorStore::search on one thread. The tuned setting is restored after.
std::vector<SweepPoint> sweep(const VectorStore& store, const std::vector<int>& settings,
                              const std::vector<float>& query_data, std::size_t nq, int dim, int k,
                              const std::vector<std::vector<std::int64_t>>& truth, std::size_t n) {
  auto& index = const_cast<StoreIndex&>(VectorStoreInternals::index(store));
  const SearchSettings tuned = index.settings();
  std::vector<SweepPoint> points;
  if (!index.ivf() && !index.hnsw()) return points;
  OmpThreadScope one_thread(1);
  for (const int value : settings) {
    SearchSettings s = tuned;
    if (index.ivf()) {
      if (value > static_cast<int>(index.ivf()->nlist)) continue;
      s.nprobe = value;
    } else {
      s.ef_search = value;
    }
    index.set_settings(s);
    faiss::indexIVF_stats.reset();
    faiss::hnsw_stats.reset();
    std::vector<double> ms;
    std::size_t found = 0;
    for (std::size_t q = 0; q < nq; ++q) {
      const auto t = Clock::now();
      const std::vector<VectorHit> hits = store.search(query_data.data() + q * dim, dim, k);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
      const std::set<std::int64_t> exact(truth[q].begin(), truth[q].end());
      for (const VectorHit& h : hits) found += exact.count(h.record_id);
    }
    SweepPoint p;
    p.setting = value;
    p.recall = static_cast<double>(found) / static_cast<double>(nq * k);
    p.p50 = percentile(ms, 0.5);
    p.p99 = percentile(ms, 0.99);
    // IVF: list entries scanned per query (the quantizer's nlist distances are not counted).
    // FAISS 1.7.3's HNSW leaves hnsw_stats.ndis at 0 on this path, so HNSW reports none.
    p.touched = index.ivf() ? static_cast<double>(faiss::indexIVF_stats.ndis) / static_cast<double>(nq) /
                                  static_cast<double>(n)
                            : -1;
    points.push_back(p);
    std::printf("  sweep %s %d: recall@10 %.3f p50 %.3f ms p99 %.3f ms\n",
                index.ivf() ? "nprobe" : "efSearch", value, p.recall, p.p50, p.p99);
    std::fflush(stdout);
    if (p.recall >= 0.999) break;
  }
  index.set_settings(tuned);
  return points;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 1'000'000, queries = 1000, flat_queries = 100;
  int dim = 512, centres = 1000, ef_construction = 40, hnsw_quantizer_min_lists = -1;
  std::size_t sweep_queries = 200;
  bool streamed = false;
  std::uint64_t index_memory_bytes = 0;
  std::vector<int> sweep_settings;
  std::string kinds = "flat,hnsw,ivf_flat,ivf_pq", datasets = "uniform,clustered";
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--n") n = std::stoul(value);
    else if (flag == "--dim") dim = std::stoi(value);
    else if (flag == "--queries") queries = std::stoul(value);
    else if (flag == "--flat-queries") flat_queries = std::stoul(value);
    else if (flag == "--kinds") kinds = value;
    else if (flag == "--datasets") datasets = value;
    else if (flag == "--centres") centres = std::stoi(value);
    else if (flag == "--ef-construction") ef_construction = std::stoi(value);
    else if (flag == "--hnsw-quantizer-min-lists") hnsw_quantizer_min_lists = std::stoi(value);
    else if (flag == "--sweep-queries") sweep_queries = std::stoul(value);
    else if (flag == "--stream") streamed = value == "1" || value == "yes";
    else if (flag == "--index-memory-mib") index_memory_bytes = std::stoull(value) << 20;
    else if (flag == "--sweep")
      for (const std::string& v : split(value)) sweep_settings.push_back(std::stoi(v));
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const int k = 10;
  const int threads = omp_get_max_threads();
  std::printf("command: %s\nN=%zu dim=%d queries=%zu (flat: %zu) threads=%d load average at start: %s\n",
              command.c_str(), n, dim, queries, flat_queries, threads, load_average().c_str());
  std::fflush(stdout);

  std::vector<Row> rows;
  std::vector<std::pair<std::string, std::vector<SweepPoint>>> frontiers;  // "dataset kind", points
  std::vector<std::int64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::int64_t>(i) + 1;

  for (const std::string& dataset : split(datasets)) {
    std::vector<float> data, query_data;
    auto t0 = Clock::now();
    const Mixture mixture(centres, dim, 3);
    // Rows [row0, row0 + count) of the collection (seed 1 / 4) or of the queries (seed 2 / 5:
    // held out, fresh draws from the same distribution).
    auto generate = [&](std::size_t row0, std::size_t count, bool query, std::vector<float>& out) {
      if (dataset == "uniform") fill_normal(out, row0, count, dim, query ? 2 : 1);
      else mixture.sample(out, row0, count, query ? 5 : 4);
    };
    generate(0, queries, true, query_data);
    if (!streamed) generate(0, n, false, data);
    std::vector<float> unit_queries(query_data.size());
    for (std::size_t q = 0; q < queries; ++q)
      normalise_into(query_data.data() + q * dim, dim, unit_queries.data() + q * dim);
    std::printf("[%s] generated %zu vectors in %.1f s%s\n", dataset.c_str(), streamed ? queries : n,
                seconds_since(t0), streamed ? " (the collection is streamed)" : "");
    std::fflush(stdout);
    // Streamed: the collection is regenerated chunk by chunk on every pass and never held, so
    // that collections larger than memory can be measured (the store builds from a stream).
    const std::size_t chunk_rows = 16 * kBlock;
    auto for_each_chunk = [&](const std::function<bool(std::size_t row0, std::vector<float>& rows)>& visit) {
      std::vector<float> rows;
      for (std::size_t row0 = 0; row0 < n; row0 += chunk_rows) {
        generate(row0, std::min(chunk_rows, n - row0), false, rows);
        if (!visit(row0, rows)) return;
      }
    };
    const VectorStore::Stream stream = [&](const VectorStore::Visitor& visit) {
      if (!streamed) {
        for (std::size_t i = 0; i < n; ++i)
          if (!visit(ids[i], data.data() + i * static_cast<std::size_t>(dim), dim)) return;
        return;
      }
      for_each_chunk([&](std::size_t row0, std::vector<float>& rows) {
        const std::size_t count = rows.size() / static_cast<std::size_t>(dim);
        for (std::size_t i = 0; i < count; ++i)
          if (!visit(ids[row0 + i], rows.data() + i * static_cast<std::size_t>(dim), dim)) return false;
        return true;
      });
    };

    // Ground truth: a Flat index over the same data (all queries in one batch), or, streamed,
    // FAISS's exact inner-product k-NN over each chunk merged into a running top k.
    std::vector<std::vector<std::int64_t>> truth(queries);
    if (streamed) {
      t0 = Clock::now();
      std::vector<std::vector<std::pair<float, std::int64_t>>> best(queries);
      std::vector<float> unit_rows, scores(queries * k);
      std::vector<std::int64_t> labels(queries * k);
      for_each_chunk([&](std::size_t row0, std::vector<float>& rows) {
        const std::size_t count = rows.size() / static_cast<std::size_t>(dim);
        unit_rows.resize(rows.size());
        for (std::size_t i = 0; i < count; ++i)
          normalise_into(rows.data() + i * dim, dim, unit_rows.data() + i * dim);
        faiss::knn_inner_product(unit_queries.data(), unit_rows.data(), dim, queries, count, k, scores.data(),
                                 labels.data());
        for (std::size_t q = 0; q < queries; ++q) {
          auto& b = best[q];
          for (int j = 0; j < k; ++j)
            if (labels[q * k + j] >= 0)
              b.emplace_back(scores[q * k + j], ids[row0 + static_cast<std::size_t>(labels[q * k + j])]);
          std::partial_sort(b.begin(), b.begin() + std::min<std::ptrdiff_t>(k, b.size()), b.end(),
                            [](const auto& x, const auto& y) { return x.first > y.first; });
          b.resize(std::min<std::size_t>(k, b.size()));
        }
        return true;
      });
      for (std::size_t q = 0; q < queries; ++q)
        for (const auto& [score, id] : best[q]) truth[q].push_back(id);
      std::printf("[%s] exact ground truth for %zu queries (streamed scan) in %.1f s\n", dataset.c_str(), queries,
                  seconds_since(t0));
      std::fflush(stdout);
    } else {
      VectorStoreOptions o;
      o.force_kind = VectorIndexKind::flat;
      VectorStore flat(1, dim, o);
      flat.rebuild(stream, static_cast<std::int64_t>(n));
      t0 = Clock::now();
      const faiss::Index& inner = *VectorStoreInternals::index(flat).faiss_index().index;
      std::vector<float> scores(queries * k);
      std::vector<faiss::Index::idx_t> labels(queries * k);
      inner.search(static_cast<faiss::Index::idx_t>(queries), unit_queries.data(), k, scores.data(), labels.data());
      const auto& id_map = VectorStoreInternals::index(flat).faiss_index().id_map;
      for (std::size_t q = 0; q < queries; ++q)
        for (int j = 0; j < k; ++j) truth[q].push_back(id_map[static_cast<std::size_t>(labels[q * k + j])]);
      std::printf("[%s] exact ground truth for %zu queries in %.1f s\n", dataset.c_str(), queries, seconds_since(t0));
      std::fflush(stdout);
    }

    for (const std::string& kind_name : split(kinds)) {
      // "<kind>+2l": the kind with its coarse centroids from two-level k-means whatever the list
      // count (two_level_kmeans.h), to compare with one-level training in the same run.
      const bool two_level = kind_name.size() > 3 && kind_name.compare(kind_name.size() - 3, 3, "+2l") == 0;
      const std::string base_kind = two_level ? kind_name.substr(0, kind_name.size() - 3) : kind_name;
      const auto kind = base_kind == "default" ? std::optional<VectorIndexKind>{} : parse_vector_index_kind(base_kind);
      if (!kind && base_kind != "default") {
        std::fprintf(stderr, "unknown kind %s\n", kind_name.c_str());
        return 2;
      }
      if (streamed && kind == VectorIndexKind::flat) {
        std::printf("[%s] flat skipped: streamed collections are measured against the streamed exact scan\n",
                    dataset.c_str());
        continue;
      }
      VectorStoreOptions o;
      o.force_kind = kind;
      o.index_memory_bytes = index_memory_bytes;
      if (two_level) o.two_level_kmeans_min_lists = 1;
      o.ef_construction = ef_construction;
      if (hnsw_quantizer_min_lists >= 0) o.hnsw_quantizer_min_lists = hnsw_quantizer_min_lists;
      o.log = [&](const std::string& line) { std::printf("  log: %s\n", line.c_str()); };
      Row row;
      row.dataset = dataset;
      row.kind = kind_name;
      const double rss0 = rss_mib();
      VectorStore built(1, dim, o);
      t0 = Clock::now();
      built.rebuild(stream, static_cast<std::int64_t>(n));
      // The searcher's view of the same store (retrieval/dense_index.h): what `palimpsest search`
      // and planning call.
      VectorStoreDenseIndex dense(std::move(built));
      const VectorStore& store = dense.store();
      row.build_s = seconds_since(t0);
      std::printf("[%s] %s: load average %s\n", dataset.c_str(), kind_name.c_str(), load_average().c_str());
      row.rss_delta_mib = rss_mib() - rss0;
      const VectorIndexInfo info = store.describe();
      row.type = info.type;
      row.memory_mib = static_cast<double>(info.memory_bytes) / (1 << 20);
      row.tuned_recall = info.recall_at_10;
      row.param = info.ef_search > 0 ? "efSearch " + std::to_string(info.ef_search)
                  : info.nprobe > 0  ? "nprobe " + std::to_string(info.nprobe)
                                     : "-";
      std::printf("[%s] %s built in %.1f s: %s\n", dataset.c_str(), kind_name.c_str(), row.build_s,
                  info.to_string().c_str());
      std::fflush(stdout);

      // Single queries, one at a time. Latency and recall come from each query's first run
      // through the store (caches cold for that query, as in service). The overhead is then
      // measured on three more runs of the same query, store, raw FAISS and DenseIndex in rotating order,
      // all warm, so that the query's own cost cancels in the paired difference.
      const std::size_t nq = kind == VectorIndexKind::flat ? std::min(flat_queries, queries) : queries;
      row.queries = static_cast<int>(nq);
      const StoreIndex& index = VectorStoreInternals::index(store);
      std::vector<double> store_ms, warm_store_ms, raw_ms, dense_ms;
      std::size_t found = 0;
      std::vector<float> scores(k);
      std::vector<faiss::Index::idx_t> labels(k);
      OmpThreadScope one_thread(1);  // as the store searches (options.search_threads)
      auto time_ms = [](auto&& f) {
        const auto t = Clock::now();
        f();
        return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
      };
      for (std::size_t q = 0; q < nq; ++q) {
        const float* raw_q = query_data.data() + q * dim;
        const float* unit_q = unit_queries.data() + q * dim;
        std::vector<VectorHit> hits;
        store_ms.push_back(time_ms([&] { hits = store.search(raw_q, dim, k); }));
        const std::set<std::int64_t> exact(truth[q].begin(), truth[q].end());
        for (const VectorHit& h : hits) found += exact.count(h.record_id);
        const std::vector<float> unit_vector(unit_q, unit_q + dim);
        for (int turn = 0; turn < 3; ++turn) {
          switch ((turn + q) % 3) {
            case 0: warm_store_ms.push_back(time_ms([&] { hits = store.search(raw_q, dim, k); })); break;
            case 1: raw_ms.push_back(time_ms([&] { raw_search(index, unit_q, k, scores.data(), labels.data()); })); break;
            default: dense_ms.push_back(time_ms([&] { (void)dense.search(unit_vector, k, nullptr); })); break;
          }
        }
      }
      row.p50 = percentile(store_ms, 0.5);
      row.p99 = percentile(store_ms, 0.99);
      row.raw_p50 = percentile(raw_ms, 0.5);
      // Same queries, same (warm) state, rotating order: the difference of the medians is
      // the wrapper's cost (normalisation, lock, parameter set-up, id translation, results).
      row.overhead = percentile(warm_store_ms, 0.5) / row.raw_p50 - 1.0;
      row.dense_overhead = percentile(dense_ms, 0.5) / row.raw_p50 - 1.0;
      row.recall = static_cast<double>(found) / static_cast<double>(nq * k);
      std::printf("[%s] %s: p50 %.3f ms p99 %.3f ms (raw FAISS p50 %.3f ms, store overhead %+.1f %%, "
                  "DenseIndex overhead %+.1f %%) recall@10 %.3f\n",
                  dataset.c_str(), kind_name.c_str(), row.p50, row.p99, row.raw_p50,
                  100.0 * row.overhead, 100.0 * row.dense_overhead, row.recall);
      std::fflush(stdout);
      rows.push_back(row);
      if (!sweep_settings.empty()) {
        auto points = sweep(store, sweep_settings, query_data, std::min(sweep_queries, queries), dim, k, truth, n);
        if (!points.empty()) frontiers.emplace_back(dataset + " | " + kind_name + " | `" + row.type + "`", std::move(points));
      }
    }
  }

  std::printf("\nload average at end: %s\n\n", load_average().c_str());
  std::printf("| dataset | kind | FAISS type | build (s) | index memory (MiB) | RSS growth (MiB) | "
              "search setting | tuned recall@10 | p50 (ms) | p99 (ms) | recall@10 | raw FAISS p50, warm (ms) | "
              "store overhead | DenseIndex overhead |\n");
  std::printf("|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    std::printf("| %s | %s | `%s` | %.1f | %.0f | %.0f | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %+.1f %% | %+.1f %% |\n",
                r.dataset.c_str(), r.kind.c_str(), r.type.c_str(), r.build_s, r.memory_mib,
                r.rss_delta_mib, r.param.c_str(), r.tuned_recall, r.p50, r.p99, r.recall, r.raw_p50,
                100.0 * r.overhead, 100.0 * r.dense_overhead);
  }
  if (!frontiers.empty()) {
    std::printf("\nRecall/latency frontier (%zu single queries each, one thread):\n\n", std::min(sweep_queries, queries));
    std::printf("| dataset | kind | FAISS type | nprobe / efSearch | recall@10 | p50 (ms) | p99 (ms) | p50 / exact p50 | vectors scanned (%% of N) |\n");
    std::printf("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& [name, points] : frontiers) {
      // The exact baseline of the same dataset in this run, when --kinds included flat.
      double exact_p50 = 0;
      for (const Row& r : rows)
        if (r.kind == "flat" && name.rfind(r.dataset + " |", 0) == 0) exact_p50 = r.p50;
      for (const SweepPoint& p : points) {
        const std::string ratio = exact_p50 > 0 ? std::to_string(p.p50 / exact_p50).substr(0, 5) : "-";
        const std::string touched = p.touched >= 0 ? std::to_string(100.0 * p.touched).substr(0, 5) : "-";
        std::printf("| %s | %d | %.3f | %.3f | %.3f | %s | %s |\n", name.c_str(), p.setting, p.recall, p.p50,
                    p.p99, ratio.c_str(), touched.c_str());
      }
    }
  }
  VectorStoreOptions default_options;
  default_options.index_memory_bytes = index_memory_bytes;
  const IndexPlan default_plan = plan_index(static_cast<std::int64_t>(n), dim, default_options);
  std::printf("\nLatency: %zu single queries (Flat: %zu), one OpenMP thread; recall@10 against a Flat "
              "index over the same data; p50/p99 from each query's first run; wrapper overhead: p50 of "
              "the store (VectorStore::search) and of the searcher's DenseIndex (VectorStoreDenseIndex::search) "
              "against p50 of the raw FAISS call on warm repeats of the same queries, in rotating order; default store plan for N=%zu (under --index-memory-mib): %s\n",
              queries, flat_queries, n, default_plan.factory.c_str());
  return 0;
}
