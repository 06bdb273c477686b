#include "indexer/vector/file_mapping.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "indexer/vector/index_file_error.h"

namespace palimpsest {

std::uint64_t page_size() {
  static const std::uint64_t size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

std::unique_ptr<FileMapping> FileMapping::map(int fd, std::uint64_t offset, std::uint64_t length,
                                              const std::string& what) {
  const std::uint64_t page = page_size();
  const std::uint64_t start = offset / page * page;
  const std::uint64_t lead = offset - start;
  const std::uint64_t span = std::max<std::uint64_t>(lead + length, 1);
  void* p = ::mmap(nullptr, span, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(start));
  if (p == MAP_FAILED)
    throw IndexFileError("cannot memory-map " + what + ": " + std::strerror(errno));
  // Reads are scattered (a few lists or rows per query): read-around would fetch neighbours
  // nobody asked for. Advice is a hint; a kernel that ignores it changes speed, not results.
  ::madvise(p, span, MADV_RANDOM);
  return std::unique_ptr<FileMapping>(new FileMapping(static_cast<unsigned char*>(p), lead, length));
}

FileMapping::~FileMapping() { ::munmap(base_, std::max<std::uint64_t>(lead_ + length_, 1)); }

void FileMapping::will_need(std::uint64_t at, std::uint64_t bytes) const {
  if (bytes == 0 || at >= length_) return;
  bytes = std::min(bytes, length_ - at);
  const std::uint64_t page = page_size();
  const std::uint64_t first = (lead_ + at) / page * page;
  const std::uint64_t end = lead_ + at + bytes;
  ::madvise(base_ + first, end - first, MADV_WILLNEED);
}

void FileMapping::set_sequential(bool sequential) const {
  ::madvise(base_, std::max<std::uint64_t>(lead_ + length_, 1), sequential ? MADV_SEQUENTIAL : MADV_RANDOM);
}

void FileMapping::release() const { ::madvise(base_, lead_ + length_, MADV_DONTNEED); }

std::uint64_t FileMapping::resident_bytes() const {
  const std::uint64_t page = page_size();
  const std::uint64_t span = lead_ + length_;
  const std::uint64_t pages = (span + page - 1) / page;
  std::vector<unsigned char> marks(static_cast<std::size_t>(std::min<std::uint64_t>(pages, 1 << 20)));
  std::uint64_t resident = 0;
  // In windows of at most 2^20 pages (4 GiB), so the vector stays small for huge files.
  for (std::uint64_t p0 = 0; p0 < pages; p0 += marks.size()) {
    const std::uint64_t n = std::min<std::uint64_t>(marks.size(), pages - p0);
    if (::mincore(base_ + p0 * page, n * page, marks.data()) != 0) return 0;
    for (std::uint64_t i = 0; i < n; ++i) resident += marks[i] & 1;
  }
  return resident * page;
}

}  // namespace palimpsest
