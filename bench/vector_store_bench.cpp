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
//       [--sweep 1,2,4,...] [--sweep-factors 1,2,4,...] [--sweep-queries 200] [--stream 1]
//       [--index-memory-mib M] [--pq-m M] [--rerank 0|1] [--folder DIR] [--cold 1]
//       [--exact-queries 3] [--search-threads 1]
//
// --kinds takes `default` too: the store's own choice for N (under --index-memory-mib), and
// `<kind>+2l`: an IVF kind trained by two-level k-means whatever its list count.
// --stream 1: the collection is generated chunk by chunk on each pass and never held in memory
// (the store builds from a stream; ground truth is a streamed exact scan), for collections
// larger than memory; Flat is then skipped.
//
// --sweep: after the tuned run, the recall/latency frontier of each IVF or HNSW index over the
// given nprobe (IVF) or efSearch (HNSW) values, with the distance computations per query as a
// fraction of N (hardware-independent: how much of the collection a query must touch); for
// IVF-PQ with re-ranking, every nprobe with every --sweep-factors re-rank factor.
//
// --folder DIR: each store is built in DIR/<dataset>-<kind> (VectorStore::open_detached), saved,
// closed and opened again from its files, as a server would after a restart: inverted lists
// mapped in place whatever their size, re-rank rows read from their file. The open time and resident memory are
// reported. --cold 1 then drops those files from the page cache (posix_fadvise DONTNEED) before
// the timed queries, so that lists and re-rank rows come from disk as in a collection larger
// than memory. With a re-rank file, --exact-queries single queries are also answered by an
// exact scan of that file (the baseline beyond memory), and one in-memory chunk is scanned to
// give the exact scan's cost at memory speed.
//
// --search-threads T: queries run on T threads at once (each query on one thread, as a server
// runs them), and the p50/p99 are per query; recall is checked against the same truth.
//
// Prints a markdown table; see docs/performance.md, "Vector store (FAISS)".
#include <fcntl.h>
#include <malloc.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
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
#include <thread>
#include <vector>

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/utils/Heap.h>
#include <faiss/utils/distances.h>

#include "indexer/vector/index_plan.h"
#include "indexer/vector/inner_product.h"
#include "indexer/vector/mapped_lists.h"
#include "indexer/vector/parallel_for.h"
#include "indexer/vector/rerank_file.h"
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

// A field of /proc/self/status in MiB (RssAnon: heap; RssFile: mapped file pages resident).
double status_mib(const std::string& key) {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  return 0;
}

// Drops the (clean) pages of every file in `folder` from the page cache.
void drop_page_cache(const std::filesystem::path& folder) {
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// One exact single query over every row of a re-rank file, read sequentially in 64 MiB blocks
// (pread; the pages are dropped behind, so the scan does not evict the machine's page cache):
// what exact search costs when the vectors do not fit in memory. Returns milliseconds.
double exact_scan_of_file(const RerankFile& rows, const float* unit_query, int dim, int k) {
  const auto t0 = Clock::now();
  const int fd = ::open(rows.path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  const std::size_t row_bytes = static_cast<std::size_t>(dim) * 4;
  const std::size_t block_rows = (std::size_t{64} << 20) / row_bytes;
  std::vector<float> block(block_rows * static_cast<std::size_t>(dim));
  std::vector<float> heap_scores(static_cast<std::size_t>(k));
  std::vector<std::int64_t> heap_ids(static_cast<std::size_t>(k));
  faiss::heap_heapify<faiss::CMin<float, std::int64_t>>(k, heap_scores.data(), heap_ids.data());
  for (std::uint64_t r0 = 0; r0 < rows.rows(); r0 += block_rows) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(block_rows, rows.rows() - r0));
    const off_t at = static_cast<off_t>(RerankFile::kRowsOffset + r0 * row_bytes);
    std::size_t got = 0;
    while (got < n * row_bytes) {
      const ssize_t m = ::pread(fd, reinterpret_cast<char*>(block.data()) + got, n * row_bytes - got,
                                at + static_cast<off_t>(got));
      if (m <= 0) break;
      got += static_cast<std::size_t>(m);
    }
    for (std::size_t i = 0; i < n; ++i) {
      float dot = 0, norm_sq = 0;
      inner_product_and_norm(unit_query, block.data() + i * dim, static_cast<std::size_t>(dim), &dot, &norm_sq);
      const float score = dot / std::sqrt(norm_sq);
      if (score > heap_scores[0])
        faiss::heap_replace_top<faiss::CMin<float, std::int64_t>>(k, heap_scores.data(), heap_ids.data(), score,
                                                                  static_cast<std::int64_t>(r0 + i));
    }
    ::posix_fadvise(fd, at, static_cast<off_t>(n * row_bytes), POSIX_FADV_DONTNEED);
  }
  ::close(fd);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
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
  double open_s = -1, open_rss_mib = 0;          // --folder: reopening the saved store
  double anon_mib = 0, file_mib = 0;             // RssAnon / RssFile after the queries
  double lists_resident_mib = -1, rows_resident_mib = -1;  // page cache held by mapped lists / re-rank rows
  double rerank_file_gib = 0;
  double warm_p50 = 0;
};

// Raw FAISS search on the store's own inner index, with the store's tuned parameters (HNSW's
// efSearch is already set on the index: FAISS 1.7.3 reads it from there) and
// positions translated to record ids (what a caller of FAISS would have to do as well).
// With re-ranking: FAISS's best factor x k by code, each re-scored from its row with a plain
// loop (what a caller of FAISS would write), the best k kept.
void raw_search(const StoreIndex& index, const float* unit_query, int k, float* scores,
                faiss::Index::idx_t* labels) {
  const faiss::Index& inner = *index.faiss_index().index;
  const auto& id_map = index.faiss_index().id_map;
  const RerankFile* rows = index.rerank();
  const int factor = rows ? index.settings().rerank_factor : 0;
  if (index.ivf()) {
    faiss::SearchParametersIVF p;
    p.nprobe = static_cast<std::size_t>(index.settings().nprobe);
    if (factor > 0) {
      const int fetch = k * factor;
      std::vector<float> s(static_cast<std::size_t>(fetch));
      std::vector<faiss::Index::idx_t> l(static_cast<std::size_t>(fetch));
      inner.search(1, unit_query, fetch, s.data(), l.data(), &p);
      std::vector<std::pair<float, faiss::Index::idx_t>> scored;
      const int d = index.dim();
      for (int i = 0; i < fetch; ++i) {
        if (l[i] < 0) continue;
        const float* x = rows->row(static_cast<std::uint64_t>(index.slots()[static_cast<std::size_t>(l[i])]));
        double dot = 0, norm = 0;
        for (int j = 0; j < d; ++j) {
          dot += static_cast<double>(unit_query[j]) * x[j];
          norm += static_cast<double>(x[j]) * x[j];
        }
        scored.emplace_back(static_cast<float>(dot / std::sqrt(norm)), id_map[static_cast<std::size_t>(l[i])]);
      }
      const std::size_t keep = std::min<std::size_t>(scored.size(), static_cast<std::size_t>(k));
      std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep), scored.end(),
                        [](const auto& a, const auto& b) { return a.first > b.first; });
      for (int i = 0; i < k; ++i) {
        scores[i] = static_cast<std::size_t>(i) < keep ? scored[static_cast<std::size_t>(i)].first : 0;
        labels[i] = static_cast<std::size_t>(i) < keep ? scored[static_cast<std::size_t>(i)].second : -1;
      }
      return;
    }
    inner.search(1, unit_query, k, scores, labels, &p);
  } else {
    inner.search(1, unit_query, k, scores, labels);
  }
  for (int i = 0; i < k; ++i)
    if (labels[i] >= 0) labels[i] = id_map[static_cast<std::size_t>(labels[i])];
}

struct SweepPoint {
  int setting = 0;
  int factor = 0;  // re-rank factor (0: none)
  double recall = 0, p50 = 0, p99 = 0, touched = 0;  // touched: distance computations / N
};

// The recall/latency frontier of a built IVF or HNSW store: each setting applied in turn
// (StoreIndex::set_settings needs exclusive access: the benchmark is single-threaded here),
// single queries through VectorStore::search on one thread. The tuned setting is restored after.
std::vector<SweepPoint> sweep(const VectorStore& store, const std::vector<int>& settings,
                              const std::vector<int>& factors_wanted,
                              const std::vector<float>& query_data, std::size_t nq, int dim, int k,
                              const std::vector<std::vector<std::int64_t>>& truth, std::size_t n) {
  auto& index = const_cast<StoreIndex&>(VectorStoreInternals::index(store));
  const SearchSettings tuned = index.settings();
  std::vector<SweepPoint> points;
  if (!index.ivf() && !index.hnsw()) return points;
  const std::vector<int> factors = index.rerank() && !factors_wanted.empty() ? factors_wanted : std::vector<int>{-1};
  OmpThreadScope one_thread(1);
  for (const int value : settings)
  for (const int factor : factors) {
    SearchSettings s = tuned;
    if (index.ivf()) {
      if (value > static_cast<int>(index.ivf()->nlist)) continue;
      s.nprobe = value;
    } else {
      s.ef_search = value;
    }
    if (factor >= 0) s.rerank_factor = factor;
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
    p.factor = s.rerank_factor;
    p.recall = static_cast<double>(found) / static_cast<double>(nq * k);
    p.p50 = percentile(ms, 0.5);
    p.p99 = percentile(ms, 0.99);
    // IVF: list entries scanned per query (the quantizer's nlist distances are not counted).
    // FAISS 1.7.3's HNSW leaves hnsw_stats.ndis at 0 on this path, so HNSW reports none.
    p.touched = index.ivf() ? static_cast<double>(faiss::indexIVF_stats.ndis) / static_cast<double>(nq) /
                                  static_cast<double>(n)
                            : -1;
    points.push_back(p);
    std::printf("  sweep %s %d re-rank %d: recall@10 %.3f p50 %.3f ms p99 %.3f ms\n",
                index.ivf() ? "nprobe" : "efSearch", value, p.factor, p.recall, p.p50, p.p99);
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
  std::vector<int> sweep_settings, sweep_factors;
  int pq_m = 0, exact_queries = 3, search_threads = 1;
  std::string phase = "both";  // build | search | both (--folder: build in one process, search in another)
  bool rerank = true, cold = false;
  std::string folder;
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
    else if (flag == "--sweep-factors")
      for (const std::string& v : split(value)) sweep_factors.push_back(std::stoi(v));
    else if (flag == "--pq-m") pq_m = std::stoi(value);
    else if (flag == "--rerank") rerank = value == "1" || value == "yes";
    else if (flag == "--folder") folder = value;
    else if (flag == "--cold") cold = value == "1" || value == "yes";
    else if (flag == "--exact-queries") exact_queries = std::stoi(value);
    else if (flag == "--search-threads") search_threads = std::stoi(value);
    else if (flag == "--phase") phase = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (phase != "both" && (folder.empty() || (phase != "build" && phase != "search"))) {
    std::fprintf(stderr, "--phase build|search needs --folder\n");
    return 2;
  }
  const bool build_phase = phase != "search", search_phase = phase != "build";
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
    // A streamed scan of 10M vectors takes minutes: with --folder its result is kept there and
    // read back by later runs over the same collection and queries.
    const std::filesystem::path truth_file =
        folder.empty() ? std::filesystem::path{}
                       : std::filesystem::path(folder) / ("truth-" + dataset + "-" + std::to_string(n) + "x" +
                                                          std::to_string(dim) + "-" + std::to_string(queries) + ".bin");
    bool truth_cached = false;
    if (search_phase && streamed && !truth_file.empty() && std::filesystem::exists(truth_file)) {
      std::ifstream in(truth_file, std::ios::binary);
      std::vector<std::int64_t> flat(queries * k);
      in.read(reinterpret_cast<char*>(flat.data()), static_cast<std::streamsize>(flat.size() * sizeof(std::int64_t)));
      if (in) {
        for (std::size_t q = 0; q < queries; ++q)
          for (int j = 0; j < k; ++j)
            if (flat[q * k + j] > 0) truth[q].push_back(flat[q * k + j]);
        truth_cached = true;
        std::printf("[%s] exact ground truth read from %s\n", dataset.c_str(), truth_file.c_str());
      }
    }
    if (!search_phase || truth_cached) {
      // Building only (no queries), or the truth was kept by an earlier run.
    } else if (streamed) {
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
      if (!truth_file.empty()) {
        std::vector<std::int64_t> flat(queries * k, 0);
        for (std::size_t q = 0; q < queries; ++q)
          for (std::size_t j = 0; j < truth[q].size() && j < static_cast<std::size_t>(k); ++j) flat[q * k + j] = truth[q][j];
        std::filesystem::create_directories(folder);
        std::ofstream out(truth_file, std::ios::binary);
        out.write(reinterpret_cast<const char*>(flat.data()), static_cast<std::streamsize>(flat.size() * sizeof(std::int64_t)));
      }
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
      o.pq_m = pq_m;
      o.rerank = rerank;
      // Opened from files, lists are always mapped in place (the case beyond memory).
      if (!folder.empty()) o.mmap_min_bytes = 0;
      if (two_level) o.two_level_kmeans_min_lists = 1;
      o.ef_construction = ef_construction;
      if (hnsw_quantizer_min_lists >= 0) o.hnsw_quantizer_min_lists = hnsw_quantizer_min_lists;
      o.log = [&](const std::string& line) { std::printf("  log: %s\n", line.c_str()); };
      Row row;
      row.dataset = dataset;
      row.kind = kind_name;
      const double rss0 = rss_mib();
      const std::filesystem::path where =
          folder.empty() ? std::filesystem::path{} : std::filesystem::path(folder) / (dataset + "-" + kind_name);
      std::optional<VectorStore> built;
      t0 = Clock::now();
      if (where.empty()) {
        built.emplace(1, dim, o);
        built->rebuild(stream, static_cast<std::int64_t>(n));
      } else if (build_phase) {
        std::filesystem::remove_all(where);
        built.emplace(VectorStore::open_detached(1, dim, where, o));
        built->rebuild(stream, static_cast<std::int64_t>(n));
        built->save();
      }
      row.build_s = built ? seconds_since(t0) : -1;
      row.rss_delta_mib = rss_mib() - rss0;
      if (!where.empty()) {
        // As a server after a restart: the store opened from its files.
        if (built)
          std::printf("[%s] %s built and saved in %.1f s: %s\n", dataset.c_str(), kind_name.c_str(), row.build_s,
                      built->describe().to_string().c_str());
        std::fflush(stdout);
        built.reset();
        ::malloc_trim(0);  // what the build freed goes back to the system before memory is measured
        if (!search_phase) continue;
        if (cold) drop_page_cache(where);
        const double before = rss_mib();
        t0 = Clock::now();
        built.emplace(VectorStore::open_detached(1, dim, where, o));
        row.open_s = seconds_since(t0);
        row.open_rss_mib = rss_mib() - before;
        if (cold) drop_page_cache(where);
        std::printf("[%s] %s opened in %.2f s, resident memory +%.0f MiB\n", dataset.c_str(), kind_name.c_str(),
                    row.open_s, row.open_rss_mib);
      }
      // The searcher's view of the same store (retrieval/dense_index.h): what `palimpsest search`
      // and planning call.
      VectorStoreDenseIndex dense(std::move(*built));
      built.reset();
      const VectorStore& store = dense.store();
      std::printf("[%s] %s: load average %s\n", dataset.c_str(), kind_name.c_str(), load_average().c_str());
      const VectorIndexInfo info = store.describe();
      row.type = info.type;
      row.memory_mib = static_cast<double>(info.memory_bytes) / (1 << 20);
      row.tuned_recall = info.recall_at_10;
      row.rerank_file_gib = static_cast<double>(info.rerank_bytes) / (1 << 30);
      row.param = info.ef_search > 0 ? "efSearch " + std::to_string(info.ef_search)
                  : info.nprobe > 0  ? "nprobe " + std::to_string(info.nprobe)
                                     : "-";
      if (info.rerank_factor > 0) row.param += ", re-rank " + std::to_string(info.rerank_factor) + "x";
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
      if (search_threads > 1) {
        // The same queries from several threads at once (each query on one thread, as a server
        // runs them): per-query latency, throughput, and the same results as one thread.
        std::atomic<std::size_t> next{0}, same{0};
        std::vector<std::vector<double>> per_thread(static_cast<std::size_t>(search_threads));
        std::vector<std::vector<std::int64_t>> single(nq);
        for (std::size_t q = 0; q < nq; ++q)
          for (const VectorHit& h : store.search(query_data.data() + q * dim, dim, k)) single[q].push_back(h.record_id);
        const auto wall0 = Clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < search_threads; ++t)
          pool.emplace_back([&, t] {
            for (std::size_t q; (q = next.fetch_add(1)) < nq;) {
              std::vector<VectorHit> hits;
              per_thread[static_cast<std::size_t>(t)].push_back(
                  time_ms([&] { hits = store.search(query_data.data() + q * dim, dim, k); }));
              std::vector<std::int64_t> got;
              for (const VectorHit& h : hits) got.push_back(h.record_id);
              same += got == single[q];
            }
          });
        for (std::thread& t : pool) t.join();
        const double wall = seconds_since(wall0);
        std::vector<double> all;
        for (const auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
        std::printf("[%s] %s: %d threads at once: p50 %.3f ms p99 %.3f ms, %.0f queries/s, %zu of %zu answers "
                    "identical to one thread's\n",
                    dataset.c_str(), kind_name.c_str(), search_threads, percentile(all, 0.5), percentile(all, 0.99),
                    static_cast<double>(nq) / wall, same.load(), nq);
      }
      row.p50 = percentile(store_ms, 0.5);
      row.p99 = percentile(store_ms, 0.99);
      row.raw_p50 = percentile(raw_ms, 0.5);
      // Same queries, same (warm) state, rotating order: the difference of the medians is
      // the wrapper's cost (normalisation, lock, parameter set-up, id translation, results).
      row.overhead = percentile(warm_store_ms, 0.5) / row.raw_p50 - 1.0;
      row.dense_overhead = percentile(dense_ms, 0.5) / row.raw_p50 - 1.0;
      row.recall = static_cast<double>(found) / static_cast<double>(nq * k);
      row.warm_p50 = percentile(warm_store_ms, 0.5);
      row.anon_mib = status_mib("RssAnon");
      row.file_mib = status_mib("RssFile");
      if (const faiss::IndexIVF* ivf = index.ivf())
        if (const auto* mapped = dynamic_cast<const MappedInvertedLists*>(ivf->invlists))
          row.lists_resident_mib = static_cast<double>(mapped->resident_bytes()) / (1 << 20);
      if (index.rerank()) row.rows_resident_mib = static_cast<double>(index.rerank()->resident_bytes()) / (1 << 20);
      std::printf("[%s] %s: RssAnon %.0f MiB, RssFile %.0f MiB, mapped lists resident %.0f MiB, re-rank rows resident %.0f MiB\n",
                  dataset.c_str(), kind_name.c_str(), row.anon_mib, row.file_mib, row.lists_resident_mib,
                  row.rows_resident_mib);
      if (index.rerank() && !index.rerank()->path().empty() && exact_queries > 0) {
        // The exact baseline beyond memory: a scan of the stored vectors, one query at a time.
        std::vector<double> scan_ms;
        for (int q = 0; q < exact_queries; ++q)
          scan_ms.push_back(exact_scan_of_file(*index.rerank(), unit_queries.data() + static_cast<std::size_t>(q) * dim, dim, k));
        Row exact;
        exact.dataset = dataset;
        exact.kind = "exact scan of the re-rank file";
        exact.type = "-";
        exact.param = "-";
        exact.queries = exact_queries;
        exact.p50 = percentile(scan_ms, 0.5);
        exact.p99 = percentile(scan_ms, 0.99);
        exact.recall = 1;
        exact.tuned_recall = 1;
        // The same scan at memory speed: one query against 65,536 rows held in memory, scaled to N.
        std::vector<float> chunk;
        const std::size_t chunk_n = std::min<std::size_t>(n, 65536);
        generate(0, chunk_n, false, chunk);
        std::vector<double> chunk_ms;
        for (int rep = 0; rep < 5; ++rep) {
          const auto t = Clock::now();
          float best = -2;
          for (std::size_t i = 0; i < chunk_n; ++i) {
            float dot = 0, norm_sq = 0;
            inner_product_and_norm(unit_queries.data(), chunk.data() + i * dim, static_cast<std::size_t>(dim), &dot, &norm_sq);
            best = std::max(best, dot / std::sqrt(norm_sq));
          }
          chunk_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count() + (best > 2 ? 1 : 0));
        }
        exact.warm_p50 = percentile(chunk_ms, 0.5) * static_cast<double>(n) / static_cast<double>(chunk_n);
        std::printf("[%s] exact scan of the re-rank file (%.1f GiB): p50 %.0f ms over %d queries; in memory about %.0f ms\n",
                    dataset.c_str(), row.rerank_file_gib, exact.p50, exact_queries, exact.warm_p50);
        rows.push_back(exact);
      }
      std::printf("[%s] %s: p50 %.3f ms p99 %.3f ms (raw FAISS p50 %.3f ms, store overhead %+.1f %%, "
                  "DenseIndex overhead %+.1f %%) recall@10 %.3f\n",
                  dataset.c_str(), kind_name.c_str(), row.p50, row.p99, row.raw_p50,
                  100.0 * row.overhead, 100.0 * row.dense_overhead, row.recall);
      std::fflush(stdout);
      rows.push_back(row);
      if (!sweep_settings.empty()) {
        auto points = sweep(store, sweep_settings, sweep_factors, query_data, std::min(sweep_queries, queries), dim, k, truth, n);
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
  if (!folder.empty() && search_phase) {
    std::printf("\nOpened from files (--folder%s): memory after the queries, and the exact baseline\n\n",
                cold ? ", page cache dropped before the queries" : "");
    std::printf("| dataset | kind | open (s) | RSS at open (MiB) | p50, first run (ms) | p50, warm (ms) | RssAnon (MiB) | "
                "RssFile (MiB) | lists resident (MiB) | re-rank rows resident (MiB) | re-rank file (GiB) |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : rows) {
      if (r.type == "-") {
        std::printf("| %s | %s | - | - | %.0f | about %.0f in memory | - | - | - | - | - |\n", r.dataset.c_str(),
                    r.kind.c_str(), r.p50, r.warm_p50);
        continue;
      }
      std::printf("| %s | %s | %.2f | %+.0f | %.3f | %.3f | %.0f | %.0f | %.0f | %.0f | %.2f |\n", r.dataset.c_str(),
                  r.kind.c_str(), r.open_s, r.open_rss_mib, r.p50, r.warm_p50, r.anon_mib, r.file_mib,
                  r.lists_resident_mib, r.rows_resident_mib, r.rerank_file_gib);
    }
  }
  if (!frontiers.empty()) {
    std::printf("\nRecall/latency frontier (%zu single queries each, one thread):\n\n", std::min(sweep_queries, queries));
    std::printf("| dataset | kind | FAISS type | nprobe / efSearch | re-rank factor | recall@10 | p50 (ms) | p99 (ms) | exact p50 / p50 | vectors scanned (%% of N) |\n");
    std::printf("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& [name, points] : frontiers) {
      // The exact baseline of the same dataset in this run: Flat when --kinds included it, else
      // the exact scan of the re-rank file.
      double exact_p50 = 0;
      for (const Row& r : rows)
        if ((r.kind == "flat" || r.type == "-") && name.rfind(r.dataset + " |", 0) == 0) exact_p50 = r.p50;
      for (const SweepPoint& p : points) {
        char ratio[32] = "-";
        if (exact_p50 > 0 && p.p50 > 0) std::snprintf(ratio, sizeof ratio, "%.0f", exact_p50 / p.p50);
        const std::string touched = p.touched >= 0 ? std::to_string(100.0 * p.touched).substr(0, 5) : "-";
        std::printf("| %s | %d | %d | %.3f | %.3f | %.3f | %s | %s |\n", name.c_str(), p.setting, p.factor, p.recall,
                    p.p50, p.p99, ratio, touched.c_str());
      }
    }
  }
  VectorStoreOptions default_options;
  default_options.index_memory_bytes = index_memory_bytes;
  default_options.rerank = rerank;
  const IndexPlan default_plan = plan_index(static_cast<std::int64_t>(n), dim, default_options);
  std::printf("\nLatency: %zu single queries (Flat: %zu), one OpenMP thread; recall@10 against a Flat "
              "index over the same data; p50/p99 from each query's first run; wrapper overhead: p50 of "
              "the store (VectorStore::search) and of the searcher's DenseIndex (VectorStoreDenseIndex::search) "
              "against p50 of the raw FAISS call on warm repeats of the same queries, in rotating order; default store plan for N=%zu (under --index-memory-mib): %s\n",
              queries, flat_queries, n, default_plan.factory.c_str());
  return 0;
}
