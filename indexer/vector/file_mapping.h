#pragma once
// A read-only, shared memory mapping of a byte range of a file (internal, RAII).
//
// The vector store reads two kinds of large data in place: the inverted lists of its index file
// (mapped_lists.h) and the full vectors kept for re-ranking (rerank_file.h). Both are read at
// random, a few kilobytes per query, so the mapping is advised MADV_RANDOM (no read-around of
// neighbours nobody asked for) and callers announce what a query is about to read with
// will_need() (MADV_WILLNEED: the kernel starts every read at once instead of one page fault at
// a time, which on this machine's disk turns 200 cold reads from 20 ms into about 2 ms).
//
// Threads: every member is const and keeps no state beyond the mapping itself, so any number of
// threads may read and advise at once. The range may extend past the end of the file (room to
// grow); touching bytes past the end raises SIGBUS, so callers read only what the file holds.

#include <cstdint>
#include <memory>
#include <string>

namespace palimpsest {

class FileMapping {
 public:
  // Maps [offset, offset + length) of the open file `fd` (which the caller keeps open or closes:
  // the mapping stays valid either way). `what` names the file in errors. Throws IndexFileError.
  static std::unique_ptr<FileMapping> map(int fd, std::uint64_t offset, std::uint64_t length,
                                          const std::string& what);
  ~FileMapping();
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;

  // The byte at `offset` of the file.
  const unsigned char* data() const { return base_ + lead_; }
  std::uint64_t size() const { return length_; }

  // Starts reading [at, at + bytes) of the range (relative to data()) into the page cache.
  void will_need(std::uint64_t at, std::uint64_t bytes) const;
  // For a pass over the whole range in order (a check against the catalog): read-ahead on
  // (MADV_SEQUENTIAL), and back to random access afterwards.
  void set_sequential(bool sequential) const;
  // Drops this mapping's hold on resident pages (they stay in the page cache, reclaimable):
  // after a pass over the whole range, so that the process's resident size shows only the index.
  void release() const;
  // Bytes of the range resident in memory (mincore), in whole pages.
  std::uint64_t resident_bytes() const;

 private:
  FileMapping(unsigned char* base, std::uint64_t lead, std::uint64_t length)
      : base_(base), lead_(lead), length_(length) {}
  unsigned char* base_;   // page-aligned start of the mapping
  std::uint64_t lead_;    // bytes between base_ and the requested offset
  std::uint64_t length_;  // requested length
};

std::uint64_t page_size();

}  // namespace palimpsest
