#include "indexer/vector/vector_store.h"

#include <algorithm>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include <faiss/impl/FaissException.h>

#include "indexer/vector/catalog_sync.h"
#include "indexer/vector/gpu_support.h"
#include "indexer/vector/index_file.h"
#include "indexer/vector/index_plan.h"
#include "indexer/vector/parallel_for.h"
#include "indexer/vector/search_tuning.h"
#include "indexer/vector/store_index.h"
#include "indexer/vector/vector_math.h"
#include "indexer/vector/vector_store_internals.h"
#include "schema/catalog.h"
#include "schema/embedding_store.h"

namespace palimpsest {
namespace {

// Vectors handed to FAISS per add() call during a rebuild: large enough for HNSW and IVF to
// parallelise inside the call, small enough to bound the buffer (about 64 MiB).
std::size_t batch_size(int dim) {
  return std::clamp<std::size_t>((std::size_t{64} << 20) / (static_cast<std::size_t>(dim) * 4),
                                 4096, 65536);
}

// Collections smaller than this are built on one thread (see build()).
constexpr std::int64_t kParallelBuildMin = 50'000;

std::string describe_settings(const StoreIndex& index) {
  const SearchSettings& s = index.settings();
  std::string out = index.plan().factory;
  if (s.nprobe > 0) out += ", nprobe " + std::to_string(s.nprobe);
  if (s.ef_search > 0) out += ", efSearch " + std::to_string(s.ef_search);
  if (s.recall_at_10 >= 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ", recall@10 %.3f at p50 %.3f ms", s.recall_at_10, s.p50_ms);
    out += buf;
  }
  return out;
}

}  // namespace

struct VectorStore::Impl {
  Impl(std::int64_t model, int d, VectorStoreOptions o)
      : model_id(model), dim(d), options(std::move(o)) {}

  std::int64_t model_id;
  int dim;
  VectorStoreOptions options;
  Catalog* catalog = nullptr;
  std::filesystem::path folder;  // empty: in memory only

  mutable std::shared_mutex mutex;  // guards index, generation, dirty
  std::unique_ptr<StoreIndex> index;
  std::uint64_t generation = 0;
  bool dirty = false;  // changed since the last save or load

  mutable std::mutex event_mutex;
  std::string last_event;

  void log(const std::string& message) {
    {
      std::lock_guard<std::mutex> lock(event_mutex);
      last_event = message;
    }
    if (options.log) options.log(message);
  }
  std::string prefix() const { return "vector index of model " + std::to_string(model_id) + ": "; }
  std::string state_key() const { return "vectors." + std::to_string(model_id) + ".generation"; }
  std::filesystem::path path() const {
    return folder.empty() ? std::filesystem::path{}
                          : folder / ("vectors-" + std::to_string(model_id) + ".pvec");
  }
  Catalog& require_catalog(const char* what) const {
    if (!catalog) throw VectorStoreError(std::string(what) + " needs a store opened with a catalog");
    return *catalog;
  }

  std::unique_ptr<StoreIndex> build(const Stream& stream, std::int64_t count);
  void install(std::unique_ptr<StoreIndex> fresh, const std::string& why);
  bool sync(const std::string& context);
};

std::unique_ptr<StoreIndex> VectorStore::Impl::build(const Stream& stream, std::int64_t count) {
  if (count < 0) {
    count = 0;
    stream([&](std::int64_t, const float*, int) {
      ++count;
      return true;
    });
  }
  // FAISS's training and adding run many short OpenMP regions; on a busy machine their spinning
  // barriers cost more than small collections gain from a second thread (a 2,500-vector IVF-PQ
  // build took 10x longer with two threads under load). Parallel only where it pays.
  OmpThreadScope threads(count < kParallelBuildMin ? 1 : 0);
  IndexPlan plan = plan_index(count, dim, options);
  if (count == 0 && plan.nlist > 0) plan = IndexPlan{};  // nothing to train on: exact until there is
  auto index = std::make_unique<StoreIndex>(plan, dim);
  const bool approximate = plan.kind != VectorIndexKind::flat;
  std::vector<float> unit(static_cast<std::size_t>(dim));
  TuningSample sample(dim, 10);

  // Pass 1: a uniform sample for training and for tuning queries.
  if (approximate && count > 0) {
    std::vector<float> train;
    const double p_train = std::min(1.0, static_cast<double>(plan.train_points) / static_cast<double>(count));
    // At most a tenth of a small collection is held out for tuning.
    const double queries = std::min<double>(options.tuning_queries, static_cast<double>(count / 10));
    const double p_query = std::min(1.0, queries / static_cast<double>(count));
    std::mt19937_64 rng(options.seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    stream([&](std::int64_t id, const float* v, int d) {
      if (d != dim || !normalise_into(v, d, unit.data()).empty()) return true;
      if (uniform(rng) < p_train) train.insert(train.end(), unit.begin(), unit.end());
      if (uniform(rng) < p_query) sample.add_query(id, unit.data());
      return true;
    });
    const std::int64_t n_train = static_cast<std::int64_t>(train.size()) / dim;
    if (index->needs_training()) {
      if (n_train == 0) throw VectorStoreError(prefix() + "no usable vectors to train " + plan.factory);
      index->train(n_train, train.data(), options.kmeans_iterations, options.seed);
    }
  }

  // Pass 2: every vector, in batches; the exact neighbours of the tuning sample on the way.
  const std::size_t batch = batch_size(dim);
  std::vector<std::int64_t> ids;
  std::vector<float> units;
  std::vector<std::uint64_t> fps;
  std::unordered_set<std::int64_t> in_batch;
  ids.reserve(batch);
  units.reserve(batch * static_cast<std::size_t>(dim));
  fps.reserve(batch);
  auto flush = [&] {
    if (ids.empty()) return;
    index->add(static_cast<std::int64_t>(ids.size()), ids.data(), units.data(), fps.data());
    if (approximate) sample.consume(units.data(), ids.data(), ids.size());
    ids.clear();
    units.clear();
    fps.clear();
    in_batch.clear();
  };
  std::int64_t skipped = 0;
  std::string first_skip;
  // The tuning queries are held out of the index until tuning is done: a graph that contains
  // the query leads straight to it and to the neighbours it was linked to when built, which
  // made HNSW on structureless data look twice as good as it is on new queries.
  std::unordered_map<std::int64_t, std::size_t> held_out_at;
  std::vector<std::int64_t> held_ids;
  std::vector<float> held_units;
  std::vector<std::uint64_t> held_fps;
  for (std::size_t i = 0; i < sample.size(); ++i) held_out_at.emplace(sample.query_id(i), SIZE_MAX);
  stream([&](std::int64_t id, const float* v, int d) {
    std::string why = d != dim ? "has " + std::to_string(d) + " dimensions, not " + std::to_string(dim)
                               : normalise_into(v, d, unit.data());
    if (!why.empty()) {
      if (skipped++ == 0) first_skip = "record " + std::to_string(id) + " " + why;
      return true;
    }
    if (const auto held = held_out_at.find(id); held != held_out_at.end()) {
      if (held->second == SIZE_MAX) {
        held->second = held_ids.size();
        held_ids.push_back(id);
        held_units.insert(held_units.end(), unit.begin(), unit.end());
        held_fps.push_back(vector_fingerprint(v, d));
      } else {  // repeated id: the later vector wins
        std::copy(unit.begin(), unit.end(), held_units.begin() + held->second * static_cast<std::size_t>(dim));
        held_fps[held->second] = vector_fingerprint(v, d);
      }
      return true;
    }
    if (in_batch.count(id) || index->contains(id)) {  // a repeated id: the later vector wins
      flush();
      index->remove({id});
    }
    in_batch.insert(id);
    ids.push_back(id);
    units.insert(units.end(), unit.begin(), unit.end());
    fps.push_back(vector_fingerprint(v, d));
    if (ids.size() >= batch) flush();
    return true;
  });
  flush();
  if (skipped > 0)
    log(prefix() + "skipped " + std::to_string(skipped) + " unusable vectors (first: " + first_skip + ")");

  if (approximate) {
    sample.finish();
    tune_search(*index, sample, options);
    index->remove(held_ids);  // in case the stream repeated one of them after it was added
    index->add(static_cast<std::int64_t>(held_ids.size()), held_ids.data(), held_units.data(),
               held_fps.data());
  } else {
    SearchSettings exact;
    exact.recall_at_10 = 1.0;
    index->set_settings(exact);
  }
  index->trained_at = index->live();
  index->refresh_gpu_copy(options.use_gpu);
  return index;
}

void VectorStore::Impl::install(std::unique_ptr<StoreIndex> fresh, const std::string& why) {
  const std::string summary = describe_settings(*fresh);
  const std::int64_t n = fresh->live();
  {
    std::unique_lock<std::shared_mutex> lock(mutex);
    index = std::move(fresh);
    dirty = true;
  }
  log(prefix() + why + "; built " + summary + " over " + std::to_string(n) + " vectors");
}

bool VectorStore::Impl::sync(const std::string& context) {
  Catalog& cat = require_catalog("comparing with the catalog");
  CatalogDiff diff;
  {
    std::shared_lock<std::shared_mutex> lock(mutex);
    diff = diff_with_catalog(cat, model_id, dim, *index);
  }
  if (diff.changes() == 0) {
    if (!diff.invalid.empty())
      log(prefix() + "in step with the catalog, which holds " + std::to_string(diff.invalid.size()) +
          " unusable vectors (first: record " + std::to_string(diff.invalid.front()) + " " +
          diff.first_invalid_reason + ")");
    return false;
  }
  const std::string what = prefix() + (context.empty() ? "" : context + "; ") +
                           "differs from the catalog (" + diff.summary() + ")";
  const std::int64_t live = index->live();
  if (diff.changes() > std::max<std::int64_t>(1000, live / 2)) {
    install(build([&](const Visitor& visit) { cat.embeddings().for_each(model_id, visit); },
                  diff.catalog_count),
            what + ": rebuilt from the catalog");
    return true;
  }
  // Catch up: fetch the vectors that are new or changed, one by one (few, by the test above).
  std::vector<std::int64_t> fetch = diff.missing;
  fetch.insert(fetch.end(), diff.changed.begin(), diff.changed.end());
  std::vector<std::int64_t> ids;
  std::vector<float> units;
  std::vector<std::uint64_t> fps;
  std::vector<float> unit(static_cast<std::size_t>(dim));
  for (std::int64_t id : fetch) {
    const auto v = cat.embeddings().get(id, model_id);
    if (!v || static_cast<int>(v->size()) != dim || !normalise_into(v->data(), dim, unit.data()).empty())
      continue;  // vanished or unusable since the scan
    ids.push_back(id);
    units.insert(units.end(), unit.begin(), unit.end());
    fps.push_back(vector_fingerprint(v->data(), dim));
  }
  std::vector<std::int64_t> drop = diff.changed;
  drop.insert(drop.end(), diff.extra.begin(), diff.extra.end());
  {
    std::unique_lock<std::shared_mutex> lock(mutex);
    index->remove(drop);
    index->add(static_cast<std::int64_t>(ids.size()), ids.data(), units.data(), fps.data());
    dirty = true;
  }
  log(what + ": caught up");
  return true;
}

VectorStore::VectorStore(std::int64_t model_id, int dim, VectorStoreOptions options)
    : impl_(std::make_unique<Impl>(model_id, dim, std::move(options))) {
  if (dim <= 0) throw VectorStoreError("vector dimension must be positive, got " + std::to_string(dim));
  IndexPlan plan = plan_index(0, dim, impl_->options);
  if (plan.nlist > 0) plan = IndexPlan{};  // inverted lists need training data: exact until rebuild()
  impl_->index = std::make_unique<StoreIndex>(plan, dim);
  SearchSettings exact;
  exact.recall_at_10 = 1.0;
  impl_->index->set_settings(exact);
}

VectorStore::VectorStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VectorStore::~VectorStore() = default;
VectorStore::VectorStore(VectorStore&&) noexcept = default;
VectorStore& VectorStore::operator=(VectorStore&&) noexcept = default;

VectorStore VectorStore::open(Catalog& catalog, std::int64_t model_id,
                              const std::filesystem::path& folder, VectorStoreOptions options) {
  const auto model = catalog.embeddings().model(model_id);
  if (!model) throw VectorStoreError("unknown embedding model id " + std::to_string(model_id));
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw VectorStoreError("cannot create " + folder.string() + ": " + ec.message());

  VectorStore store(model_id, model->dim, std::move(options));
  Impl& s = *store.impl_;
  s.catalog = &catalog;
  s.folder = folder;

  std::uint64_t catalog_generation = 0;
  if (const auto text = catalog.state(s.state_key())) {
    try {
      catalog_generation = std::stoull(*text);
    } catch (const std::exception&) {
      catalog_generation = 0;
    }
  }

  std::string problem;
  try {
    LoadedIndexFile loaded = read_index_file(s.path(), s.options.mmap_min_bytes);
    if (loaded.info.model_id != model_id || loaded.info.dim != model->dim)
      throw IndexFileError(s.path().string() + " belongs to model " + std::to_string(loaded.info.model_id) +
                           " (" + std::to_string(loaded.info.dim) + "-d)");
    s.index = std::move(loaded.index);
    s.generation = loaded.info.generation;
  } catch (const IndexFileError& e) {
    problem = e.what();
  }

  if (!problem.empty()) {
    // Start above the catalog's generation so that generations only ever grow.
    s.generation = catalog_generation;
    s.install(s.build([&](const Visitor& visit) { catalog.embeddings().for_each(model_id, visit); },
                      catalog.embeddings().count(model_id)),
              problem + "; rebuilt from the catalog");
  } else {
    const bool same_generation = catalog_generation == s.generation;
    const std::uint64_t file_generation = s.generation;
    // Generations only grow: a file older than the catalog's record continues from the latter.
    s.generation = std::max(s.generation, catalog_generation);
    const bool trusted = !s.options.verify_on_open && same_generation &&
                         catalog.embeddings().count(model_id) == s.index->live();
    if (!trusted) {
      const std::string context =
          same_generation ? std::string{}
                          : "file generation " + std::to_string(file_generation) +
                                ", catalog generation " + std::to_string(catalog_generation);
      if (!s.sync(context) && !same_generation) {
        // The contents match. A file ahead of the catalog was saved just before a crash
        // (between rename and set_state): record its generation. A file behind it is rewritten
        // under a new generation so that the two agree again.
        if (file_generation > catalog_generation)
          catalog.set_state(s.state_key(), std::to_string(s.generation));
        else
          s.dirty = true;
        s.log(s.prefix() + context + ", but the contents match the catalog");
      }
    }
    s.index->refresh_gpu_copy(s.options.use_gpu);
  }
  store.maintain();
  store.save();
  return store;
}

std::int64_t VectorStore::model_id() const { return impl_->model_id; }
int VectorStore::dim() const { return impl_->dim; }

std::int64_t VectorStore::size() const {
  std::shared_lock<std::shared_mutex> lock(impl_->mutex);
  return impl_->index->live();
}

bool VectorStore::contains(std::int64_t record_id) const {
  std::shared_lock<std::shared_mutex> lock(impl_->mutex);
  return impl_->index->contains(record_id);
}

void VectorStore::add(std::span<const std::int64_t> ids, const float* vectors, int dim) {
  Impl& s = *impl_;
  if (dim != s.dim)
    throw VectorStoreError("vectors have " + std::to_string(dim) + " dimensions; the store holds " +
                           std::to_string(s.dim) + "-dimensional vectors");
  if (ids.empty()) return;
  if (!vectors) throw VectorStoreError("no vector data");
  const std::size_t n = ids.size();
  const std::size_t d = static_cast<std::size_t>(dim);
  std::unordered_set<std::int64_t> distinct(ids.begin(), ids.end());
  if (distinct.size() != n) throw VectorStoreError("the same record id appears twice in one add()");
  std::vector<float> units(n * d);
  std::vector<std::uint64_t> fps(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string why = normalise_into(vectors + i * d, dim, units.data() + i * d);
    if (!why.empty())
      throw VectorStoreError("the vector of record " + std::to_string(ids[i]) + " " + why);
    fps[i] = vector_fingerprint(vectors + i * d, dim);
  }
  std::unique_lock<std::shared_mutex> lock(s.mutex);
  try {
    s.index->remove(std::vector<std::int64_t>(ids.begin(), ids.end()));  // replacements
    s.index->add(static_cast<std::int64_t>(n), ids.data(), units.data(), fps.data());
  } catch (const faiss::FaissException& e) {
    throw VectorStoreError(s.prefix() + "FAISS refused the add: " + e.what());
  }
  s.dirty = true;
}

void VectorStore::add(std::int64_t record_id, std::span<const float> vector) {
  add(std::span<const std::int64_t>(&record_id, 1), vector.data(), static_cast<int>(vector.size()));
}

std::int64_t VectorStore::remove(std::span<const std::int64_t> record_ids) {
  Impl& s = *impl_;
  std::unique_lock<std::shared_mutex> lock(s.mutex);
  const std::int64_t removed = s.index->remove(std::vector<std::int64_t>(record_ids.begin(), record_ids.end()));
  if (removed > 0) s.dirty = true;
  return removed;
}

void VectorStore::rebuild(const Stream& stream, std::int64_t count) {
  try {
    impl_->install(impl_->build(stream, count), "rebuild requested");
  } catch (const faiss::FaissException& e) {
    throw VectorStoreError(impl_->prefix() + "FAISS failed during the rebuild: " + e.what());
  }
}

void VectorStore::rebuild_from_catalog() {
  Impl& s = *impl_;
  Catalog& cat = s.require_catalog("rebuild_from_catalog()");
  try {
    s.install(s.build([&](const Visitor& visit) { cat.embeddings().for_each(s.model_id, visit); },
                      cat.embeddings().count(s.model_id)),
              "rebuilt from the catalog");
  } catch (const faiss::FaissException& e) {
    throw VectorStoreError(s.prefix() + "FAISS failed during the rebuild: " + e.what());
  }
}

bool VectorStore::maintain() {
  Impl& s = *impl_;
  std::string reason;
  {
    std::shared_lock<std::shared_mutex> lock(s.mutex);
    reason = rebuild_reason(s.index->plan(), s.index->trained_at, s.index->live(), s.index->deleted(),
                            s.dim, s.options);
  }
  if (reason.empty()) return false;
  if (!s.catalog) {
    s.log(s.prefix() + "needs a rebuild (" + reason + "); no catalog attached, call rebuild()");
    return false;
  }
  Catalog& cat = *s.catalog;
  s.install(s.build([&](const Visitor& visit) { cat.embeddings().for_each(s.model_id, visit); },
                    cat.embeddings().count(s.model_id)),
            reason);
  return true;
}

bool VectorStore::sync_with_catalog() {
  try {
    return impl_->sync({});
  } catch (const faiss::FaissException& e) {
    throw VectorStoreError(impl_->prefix() + "FAISS failed while catching up: " + e.what());
  }
}

void VectorStore::save() {
  Impl& s = *impl_;
  if (s.folder.empty())
    throw VectorStoreError("this store lives in memory only; VectorStore::open() one with a folder to save it");
  std::uint64_t next = 0;
  {
    // Writers are serialised by contract; the shared lock lets searches go on while writing.
    std::shared_lock<std::shared_mutex> lock(s.mutex);
    if (!s.dirty && std::filesystem::exists(s.path())) {
      next = s.generation;
    } else {
      next = s.generation + 1;
      try {
        write_index_file(s.path(), {s.model_id, next, s.dim}, *s.index);
      } catch (const IndexFileError& e) {
        throw VectorStoreError(s.prefix() + e.what());
      }
    }
  }
  {
    std::unique_lock<std::shared_mutex> lock(s.mutex);
    s.generation = next;
    s.dirty = false;
    s.index->refresh_gpu_copy(s.options.use_gpu);
  }
  if (s.catalog) {
    const auto recorded = s.catalog->state(s.state_key());
    if (!recorded || *recorded != std::to_string(next))
      s.catalog->set_state(s.state_key(), std::to_string(next));
  }
}

std::filesystem::path VectorStore::file_path() const { return impl_->path(); }

std::vector<VectorHit> VectorStore::search(const float* query, int dim, int k,
                                           const std::function<bool(std::int64_t)>* filter) const {
  const Impl& s = *impl_;
  if (dim != s.dim)
    throw VectorStoreError("the query has " + std::to_string(dim) + " dimensions; the store holds " +
                           std::to_string(s.dim) + "-dimensional vectors");
  if (k <= 0) throw VectorStoreError("k must be positive, got " + std::to_string(k));
  if (!query) throw VectorStoreError("no query vector");
  thread_local std::vector<float> unit;
  unit.resize(static_cast<std::size_t>(dim));
  const std::string why = normalise_into(query, dim, unit.data());
  if (!why.empty()) throw VectorStoreError("the query vector " + why);
  std::vector<VectorHit> hits;
  std::shared_lock<std::shared_mutex> lock(s.mutex);
  OmpThreadScope threads(s.options.search_threads);
  try {
    s.index->search(unit.data(), k, filter, hits);
  } catch (const faiss::FaissException& e) {
    throw VectorStoreError(s.prefix() + "FAISS search failed: " + e.what());
  }
  return hits;
}

VectorIndexInfo VectorStore::describe() const {
  const Impl& s = *impl_;
  VectorIndexInfo info;
  {
    std::shared_lock<std::shared_mutex> lock(s.mutex);
    const StoreIndex& ix = *s.index;
    info.model_id = s.model_id;
    info.dim = s.dim;
    info.kind = ix.plan().kind;
    info.type = ix.plan().factory;
    info.ntotal = ix.live();
    info.deleted = ix.deleted();
    info.nprobe = ix.settings().nprobe;
    info.ef_search = ix.settings().ef_search;
    info.recall_at_10 = ix.settings().recall_at_10;
    info.tuned_p50_ms = ix.settings().p50_ms;
    info.trained_at = ix.trained_at;
    info.generation = s.generation;
    info.memory_mapped = ix.memory_mapped();
    info.memory_bytes = ix.memory_bytes();
    info.on_gpu = ix.on_gpu();
    info.rebuild_reason = rebuild_reason(ix.plan(), ix.trained_at, ix.live(), ix.deleted(), s.dim, s.options);
  }
  std::lock_guard<std::mutex> lock(s.event_mutex);
  info.last_event = s.last_event;
  return info;
}

bool VectorStore::gpu_compiled() { return faiss_gpu_compiled(); }

const StoreIndex& VectorStoreInternals::index(const VectorStore& store) { return *store.impl_->index; }

}  // namespace palimpsest
