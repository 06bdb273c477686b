#pragma once
// The vector store's file: one FAISS index with a header, written atomically (internal).
//
// Layout (little-endian):
//   0   magic "PALVEC\0\1"                             8 bytes
//   8   format version (2)                              u32
//   12  metadata size M                                 u32
//   16  fingerprint bytes F                             u64
//   24  slot bytes S                                    u64
//   32  FAISS payload bytes P                           u64
//   40  list data begins at (file offset; 0: none)      u64
//   48  list data ends at                               u64
//   56  list checksum bytes T                           u64
//   64  CRC-32 of bytes 72.. except the list data        u32
//   68  CRC-32 of bytes 0..67                           u32
//   72            metadata: JSON (model id, generation, dim, plan, counts, tuned settings,
//                 the re-rank file's id and row count)
//   72+M          fingerprints, one u64 per index entry (StoreIndex::fingerprints())
//   72+M+F        re-rank rows, one i64 per index entry (StoreIndex::slots(); IVF-PQ with re-ranking)
//   72+M+F+S      faiss::write_index() of the IndexIDMap2; an IVF's list data lies inside it, at
//                 [list data begins, list data ends)
//   72+M+F+S+P    one CRC-32 per inverted list over its data (codes, then ids)
// The file is exactly 72+M+F+S+P+T bytes; any other size is a truncated or extended file.
// Everything but the list data is verified before FAISS parses anything (FAISS trusts the sizes
// it reads). The list data is left out of that checksum so that an index can open without
// reading its lists: loaded into memory, every list is checked against its CRC at once; mapped
// (mapped_lists.h), each list the first time a search reads it.
//
// Version 1 files (no list checksums, no re-rank rows) are refused, and so rebuilt.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "indexer/vector/store_index.h"
#include "indexer/vector/index_file_error.h"

namespace palimpsest {

struct IndexFileInfo {
  std::int64_t model_id = 0;
  std::uint64_t generation = 0;
  int dim = 0;
};

// The index, and for IVF-PQ with re-ranking the re-rank file it counts on (rerank_file.h),
// which the caller opens and attaches.
struct LoadedIndexFile {
  IndexFileInfo info;
  std::unique_ptr<StoreIndex> index;
  std::uint64_t rerank_id = 0;
  std::uint64_t rerank_rows = 0;
};

// Writes to a temporary file in the same folder, fsyncs it, renames it over `path`, and fsyncs
// the folder: after a crash the path holds either the old file or the new one, whole.
void write_index_file(const std::filesystem::path& path, const IndexFileInfo& info,
                      const StoreIndex& index);

// Reads and verifies a file. Maps the inverted lists in place (mapped_lists.h) when the file is
// at least mmap_min_bytes and the index has inverted lists. Throws IndexFileError with a reason.
LoadedIndexFile read_index_file(const std::filesystem::path& path, std::uint64_t mmap_min_bytes);

}  // namespace palimpsest
