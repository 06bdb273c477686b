#pragma once
// The vector store: nearest-neighbour search over the embeddings of one model, with catalog
// record ids as labels. A cache of the catalog's embeddings table (the source of truth), kept in
// a FAISS index whose type follows the collection's size (index_plan.h), saved atomically with
// a generation number, and repaired from the catalog when it is missing, stale or damaged.
//
// Similarity: inner product of L2-normalised vectors (cosine). Vectors are normalised on add
// and on query; NaN, infinite and zero vectors are refused. Beyond memory (IVF-PQ) the store
// keeps the full vectors in a memory-mapped file beside the index and re-ranks the candidates
// of the compressed codes exactly (rerank_file.h), so every score it returns is exact.
//
// Thread safety: search() and describe() may run concurrently from any number of threads (FAISS
// searches are const; the store holds a shared lock). add(), remove(), rebuild(), maintain(),
// save() and sync_with_catalog() take the lock exclusively, and must be called from the thread
// that owns the Catalog given to open() (a Catalog is one SQLite connection). A rebuild builds
// the new index without the lock and swaps it in at the end, so searches go on meanwhile.
//
// FAISS headers stay out of this header (pimpl): including it costs other stages nothing.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "indexer/vector/vector_types.h"

namespace palimpsest {

class Catalog;

class VectorStore {
 public:
  // Calls visit(record_id, vector, dim) for every vector; visit returns false to stop early.
  using Visitor = std::function<bool(std::int64_t record_id, const float* vector, int dim)>;
  // A re-readable stream of (record id, vector): rebuild() reads it once for a training sample
  // and once more to fill the index.
  using Stream = std::function<void(const Visitor& visit)>;

  // An empty in-memory store (no file, no catalog): for tests, benchmarks and tools.
  VectorStore(std::int64_t model_id, int dim, VectorStoreOptions options = {});

  // Opens the store of `model_id` saved in `folder` (created if missing) and brings it in line
  // with the catalog: a missing, damaged or foreign file is rebuilt from the catalog; a stale
  // one (its generation or its (id, vector) set differs from the catalog's) is caught up:
  // missing ids added, changed ones replaced, vanished ones removed. Each repair is reported
  // through options.log and describe().last_event, then saved. Throws VectorStoreError only
  // when the model is unknown or the folder unusable. `catalog` must outlive the store.
  static VectorStore open(Catalog& catalog, std::int64_t model_id,
                          const std::filesystem::path& folder, VectorStoreOptions options = {});

  // A store kept in `folder` without a catalog (benchmarks, tools that build an index offline):
  // loads the saved file when it is usable, trusting it as it is (there is no catalog to compare
  // it with), else starts empty and says why through options.log; rebuild() and save() work
  // there. Throws VectorStoreError when the folder cannot be created.
  static VectorStore open_detached(std::int64_t model_id, int dim, const std::filesystem::path& folder,
                                   VectorStoreOptions options = {});

  ~VectorStore();
  VectorStore(VectorStore&&) noexcept;
  VectorStore& operator=(VectorStore&&) noexcept;

  std::int64_t model_id() const;
  int dim() const;
  std::int64_t size() const;  // live vectors
  bool contains(std::int64_t record_id) const;

  // Adds vectors (n = ids.size(), row-major in `vectors`); an id already present is replaced.
  // All-or-nothing: every vector is checked (dimension, finite, non-zero) and ids must be
  // distinct before anything changes.
  void add(std::span<const std::int64_t> ids, const float* vectors, int dim);
  void add(std::int64_t record_id, std::span<const float> vector);
  // Removes records (deleted or replaced ones); absent ids are ignored. Returns how many were
  // present.
  std::int64_t remove(std::span<const std::int64_t> record_ids);

  // Replaces the index with one built from `stream`, choosing its type for `count` vectors
  // (pass -1 when unknown: the stream is then read once more to count). Unusable vectors are
  // skipped and reported through options.log.
  void rebuild(const Stream& stream, std::int64_t count = -1);
  // Rebuilds from the catalog given to open().
  void rebuild_from_catalog();
  // Rebuilds when the collection has outgrown its index (describe().rebuild_reason); needs a
  // catalog. Returns whether it rebuilt.
  bool maintain();
  // Compares with the catalog and catches up (or rebuilds when most entries differ), as open()
  // does. Returns whether anything changed.
  bool sync_with_catalog();

  // Writes the index atomically with the next generation number and records that generation in
  // the catalog (state "vectors.<model_id>.generation"). Nothing to do when nothing changed
  // since the last save or load. Throws VectorStoreError for a store without a folder.
  void save();
  std::filesystem::path file_path() const;  // empty for in-memory stores

  // The k best records for `query` (dim floats), best first, with cosine similarity scores.
  // k larger than size() is clamped to size() (an empty store returns no hits). With `filter`,
  // only records for which it returns true; it is called from the searching thread, possibly
  // for more candidates than k. Throws VectorStoreError for k <= 0, a wrong dim, NaN/infinite
  // or zero queries.
  std::vector<VectorHit> search(const float* query, int dim, int k,
                                const std::function<bool(std::int64_t)>* filter = nullptr) const;

  VectorIndexInfo describe() const;

  // Whether this build of FAISS has GPU support compiled in (never on Debian's CPU-only
  // package). See gpu_support.h.
  static bool gpu_compiled();

 private:
  struct Impl;
  explicit VectorStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend struct VectorStoreInternals;  // benchmarks: vector_store_internals.h
};

}  // namespace palimpsest
