#pragma once
// Inverted lists read in place from the memory-mapped index file (internal: includes FAISS).
//
// Why not FAISS's own (IO_FLAG_MMAP, which reads lists as OnDiskInvertedLists): in FAISS 1.7.3
// every IVF search calls prefetch_lists(), which for OnDiskInvertedLists takes one mutex shared
// by all searching threads, joins the previous search's prefetch threads and starts up to 32 new
// ones, so concurrent searches serialise and cancel each other's prefetches. Here a list is two
// pointers into the mapping and prefetching is one madvise(MADV_WILLNEED) per probed list: no
// shared state, any number of threads.
//
// Layout: the lists stay exactly where FAISS's writer put them in the file (its "ilar" format:
// per non-empty list its codes, then its ids, lists back to back), so files are written by
// FAISS's own writer and small ones are read into memory by FAISS's own reader. Only the list
// data is mapped; the rest of the index is read (and checksummed) as before.
//
// Integrity: opening must not read every list (10M entries are 0.7-2 GB), so the file's checksum
// leaves the list data out and a CRC-32 per list (index_file.h) is checked the first time that
// list is read. A damaged list is never used: the read fails with an error naming the file and
// list (FAISS turns it into a failed search, the store into a VectorStoreError), damaged_list()
// reports it, and the store's maintain() rebuilds.
//
// Threads: every read member is const and lock-free; the per-list "checked" marks are atomics.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <faiss/invlists/InvertedLists.h>

#include "indexer/vector/file_mapping.h"

namespace palimpsest {

class MappedInvertedLists : public faiss::ReadOnlyInvertedLists {
 public:
  struct List {
    std::uint64_t offset = 0;  // of the codes in the mapping; the ids follow them
    std::uint64_t size = 0;    // entries
  };

  MappedInvertedLists(std::size_t nlist, std::size_t code_size, std::shared_ptr<const FileMapping> mapping,
                      std::vector<List> lists, std::vector<std::uint32_t> crcs, std::string file);

  std::size_t list_size(std::size_t list_no) const override;
  const std::uint8_t* get_codes(std::size_t list_no) const override;
  const idx_t* get_ids(std::size_t list_no) const override;
  void prefetch_lists(const idx_t* list_nos, int n) const override;

  // The first list found damaged, or -1.
  std::int64_t damaged_list() const { return damaged_.load(std::memory_order_relaxed); }
  const std::string& file() const { return file_; }
  std::uint64_t resident_bytes() const { return mapping_ ? mapping_->resident_bytes() : 0; }
  std::uint64_t mapped_bytes() const { return mapping_ ? mapping_->size() : 0; }
  std::uint32_t crc(std::size_t list_no) const { return crcs_[list_no]; }

 private:
  const unsigned char* checked(std::size_t list_no) const;

  std::shared_ptr<const FileMapping> mapping_;
  std::vector<List> lists_;
  std::vector<std::uint32_t> crcs_;
  std::string file_;
  // Per list: 0 not checked yet, 1 checked and sound, 2 damaged.
  std::unique_ptr<std::atomic<std::uint8_t>[]> state_;
  mutable std::atomic<std::int64_t> damaged_{-1};
};

// CRC-32 of one list's data as FAISS lays it out (codes, then ids), from any InvertedLists.
std::uint32_t list_crc(const faiss::InvertedLists& lists, std::size_t list_no);

// What faiss::read_index needs to map a file's lists in place: read_index_file fills it in and
// keeps a MappedListsRead alive around faiss::read_index(..., mapped_lists_io_flags()); FAISS's
// reader then calls back into a hook (registered once, with FAISS's InvertedListsIOHook) that
// builds the MappedInvertedLists from it and skips the list data.
struct MappedListsSource {
  std::shared_ptr<const FileMapping> mapping;  // of the file bytes [begin, end)
  std::uint64_t begin = 0;                      // file offsets of the list data (0, 0: none)
  std::uint64_t end = 0;
  std::vector<std::uint32_t> crcs;              // one per list
  std::string file;
};

int mapped_lists_io_flags();

class MappedListsRead {
 public:
  explicit MappedListsRead(MappedListsSource source);
  ~MappedListsRead();
  MappedListsRead(const MappedListsRead&) = delete;
  MappedListsRead& operator=(const MappedListsRead&) = delete;
  const MappedListsSource& source() const { return source_; }

 private:
  MappedListsSource source_;
  const MappedListsRead* previous_;
};

}  // namespace palimpsest
