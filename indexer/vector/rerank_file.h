#pragma once
// The full vectors beside an IVF-PQ index, for exact re-ranking of its candidates (internal).
//
// PQ codes rank candidates approximately (on 10M clustered vectors 128-byte codes stop at
// recall@10 0.80, docs/performance.md); re-scoring a few hundred of them with their full vectors
// lifts that to what the probed lists hold. 10M x 512 floats are 20 GB, more than the memory an
// index may take, so they live in this file on local disk, memory-mapped, and a query reads
// only the rows of its candidates (prefetched together, see file_mapping.h).
//
// Rows hold each vector exactly as the catalog gave it (not normalised), so a row can be checked
// against the index's fingerprint of the catalog vector (vector_math.h) and byte-compared with
// the catalog itself. Rows never move: the index maps each of its entries to a row
// (StoreIndex::slots), a removed or replaced record leaves a dead row behind, and a rebuild
// writes a fresh file (a new file id) once too many rows are dead.
//
// Layout (little-endian):
//   0     magic "PALRRK\0\1"                 8 bytes
//   8     format version (1)                 u32
//   12    dim                                u32
//   16    file id                            u64 (random; the index file names its re-rank file by it)
//   24    committed rows                     u64
//   32    generation of the committing save  u64
//   40    CRC-32 of bytes 0..39              u32
//   4096  rows of dim float32 each: row r at 4096 + r * dim * 4
//
// Crash safety (the index file and this file are written separately): rows are appended past
// the committed count and made durable by commit() (rows synced, then the header, synced)
// before the index file that counts them is renamed into place, and that index file records
// this file's id and row count. A crash between the two leaves rows the index never counted:
// open() cuts them off. A file with fewer rows than the index counts, another id, another
// dimension or a damaged header is refused (IndexFileError), and the store rebuilds.
//
// Threads: row(), prefetch() and the accessors are const and lock-free. append(), commit() and
// release() belong to the one writer (the store's exclusive lock); append() may move the mapping.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "indexer/vector/file_mapping.h"

namespace palimpsest {

class RerankFile {
 public:
  // A new, empty file with a fresh random id in `folder`, named rerank_file_name(model_id, id);
  // with an empty folder, an unnamed temporary file in the system's temporary folder that
  // disappears with the process (stores that live in memory). Throws IndexFileError.
  static std::unique_ptr<RerankFile> create(const std::filesystem::path& folder, std::int64_t model_id, int dim);

  // Opens the file with id `id` in `folder` for an index that counts `rows` rows in it. Rows past
  // `rows` (appended or committed after that index was saved) are cut off, and `note` (when not
  // null) says so. Throws IndexFileError when the file cannot serve that index.
  static std::unique_ptr<RerankFile> open(const std::filesystem::path& folder, std::int64_t model_id, int dim,
                                          std::uint64_t id, std::uint64_t rows, std::string* note);

  ~RerankFile();
  RerankFile(const RerankFile&) = delete;
  RerankFile& operator=(const RerankFile&) = delete;

  std::uint64_t id() const { return id_; }
  int dim() const { return dim_; }
  const std::filesystem::path& path() const { return path_; }  // empty for unnamed files
  std::uint64_t rows() const { return rows_; }                  // written, committed or not
  std::uint64_t file_bytes() const;

  // Appends n rows (n x dim floats) and returns the number of the first. Throws IndexFileError.
  std::uint64_t append(const float* vectors, std::size_t n);
  // Makes every row written so far durable and records them, with `generation`, in the header.
  void commit(std::uint64_t generation);

  // Row r (r < rows()): dim floats.
  const float* row(std::uint64_t r) const {
    return reinterpret_cast<const float*>(mapping_->data() + kRowsOffset + r * row_bytes_);
  }
  // Starts reading the given rows into memory, all at once (see file_mapping.h).
  void prefetch(const std::int64_t* rows, std::size_t n) const;
  // Bytes of rows resident in memory, and dropping this process's hold on them.
  std::uint64_t resident_bytes() const { return mapping_->resident_bytes(); }
  void release() const { mapping_->release(); }
  // Read-ahead for a pass over the rows in about file order (see FileMapping::set_sequential).
  void set_sequential(bool sequential) const { mapping_->set_sequential(sequential); }

  // The file name of model `model_id`'s re-rank file with id `id`, and whether a name is one.
  static std::string file_name(std::int64_t model_id, std::uint64_t id);
  static bool is_file_of(const std::string& name, std::int64_t model_id);

  static constexpr std::uint64_t kRowsOffset = 4096;

 private:
  RerankFile(int fd, std::filesystem::path path, int dim, std::uint64_t id, std::uint64_t rows);
  void map_for(std::uint64_t rows);
  void write_header(std::uint64_t committed, std::uint64_t generation);
  std::string where() const;

  int fd_;
  std::filesystem::path path_;
  int dim_;
  std::uint64_t row_bytes_;
  std::uint64_t id_;
  std::uint64_t rows_;
  std::uint64_t mapped_rows_ = 0;  // rows the mapping has room for
  std::unique_ptr<FileMapping> mapping_;
};

}  // namespace palimpsest
