#pragma once
// The vector store's file: one FAISS index with a header, written atomically (internal).
//
// Layout (little-endian):
//   0   magic "PALVEC\0\1"                 8 bytes
//   8   format version (1)                 u32
//   12  metadata size M                    u32
//   16  fingerprint bytes F                u64
//   24  FAISS payload bytes P              u64
//   32  CRC-32 of metadata, fingerprints and payload   u32
//   36  CRC-32 of bytes 0..35              u32
//   40  metadata: JSON (model id, generation, dim, plan, counts, tuned settings)
//   40+M          fingerprints, one u64 per index entry (StoreIndex::fingerprints())
//   40+M+F        faiss::write_index() of the IndexIDMap2
// The file is exactly 40+M+F+P bytes; any other size is a truncated or extended file. The FAISS
// payload is only parsed after the checksum matched, so FAISS never reads damaged bytes.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "indexer/vector/store_index.h"
#include "schema/error.h"

namespace palimpsest {

// Why a file could not be used (missing, truncated, checksum, FAISS refused it, ...).
class IndexFileError : public Error {
 public:
  explicit IndexFileError(const std::string& message) : Error(message, error_class::internal) {}
};

struct IndexFileInfo {
  std::int64_t model_id = 0;
  std::uint64_t generation = 0;
  int dim = 0;
};

struct LoadedIndexFile {
  IndexFileInfo info;
  std::unique_ptr<StoreIndex> index;
};

// Writes to a temporary file in the same folder, fsyncs it, renames it over `path`, and fsyncs
// the folder: after a crash the path holds either the old file or the new one, whole.
void write_index_file(const std::filesystem::path& path, const IndexFileInfo& info,
                      const StoreIndex& index);

// Reads and verifies a file. Memory-maps the inverted lists when the file is at least
// mmap_min_bytes and the index has inverted lists. Throws IndexFileError with a reason.
LoadedIndexFile read_index_file(const std::filesystem::path& path, std::uint64_t mmap_min_bytes);

}  // namespace palimpsest
