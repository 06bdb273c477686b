#include "indexer/vector/mapped_lists.h"

#include <zlib.h>

#include <cstdio>
#include <mutex>
#include <typeinfo>

#include <faiss/impl/FaissAssert.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedListsIOHook.h>

#include "indexer/vector/index_file_error.h"

namespace palimpsest {
namespace {

using idx_t = faiss::InvertedLists::idx_t;

thread_local const MappedListsRead* current_read = nullptr;

std::uint32_t crc_of(std::uint32_t c, const void* data, std::size_t n) {
  if (n == 0) return c;  // zlib resets on a null buffer
  return static_cast<std::uint32_t>(crc32_z(c, static_cast<const Bytef*>(data), n));
}

void put(faiss::IOWriter* f, const void* data, std::size_t size, std::size_t n) {
  if (n > 0 && (*f)(data, size, n) != n) FAISS_THROW_MSG("short write of inverted lists");
}

// Hands mapped lists to FAISS's reader, and writes them back in FAISS's own "ilar" format (so a
// store that saves without having changed its mapped index writes an ordinary file).
struct MappedListsHook : faiss::InvertedListsIOHook {
  MappedListsHook() : faiss::InvertedListsIOHook("ilpm", typeid(MappedInvertedLists).name()) {}

  void write(const faiss::InvertedLists* ils, faiss::IOWriter* f) const override {
    const std::uint32_t h = faiss::fourcc("ilar");
    put(f, &h, sizeof h, 1);
    put(f, &ils->nlist, sizeof ils->nlist, 1);
    put(f, &ils->code_size, sizeof ils->code_size, 1);
    std::size_t non_empty = 0;
    for (std::size_t i = 0; i < ils->nlist; ++i) non_empty += ils->list_size(i) > 0;
    std::vector<std::size_t> sizes;
    std::uint32_t type = 0;
    if (non_empty > ils->nlist / 2) {
      type = faiss::fourcc("full");
      for (std::size_t i = 0; i < ils->nlist; ++i) sizes.push_back(ils->list_size(i));
    } else {
      type = faiss::fourcc("sprs");
      for (std::size_t i = 0; i < ils->nlist; ++i)
        if (const std::size_t n = ils->list_size(i); n > 0) {
          sizes.push_back(i);
          sizes.push_back(n);
        }
    }
    put(f, &type, sizeof type, 1);
    const std::size_t count = sizes.size();
    put(f, &count, sizeof count, 1);
    put(f, sizes.data(), sizeof(std::size_t), count);
    for (std::size_t i = 0; i < ils->nlist; ++i) {
      const std::size_t n = ils->list_size(i);
      if (n == 0) continue;
      put(f, ils->get_codes(i), 1, n * ils->code_size);
      put(f, ils->get_ids(i), sizeof(idx_t), n);
    }
  }

  faiss::InvertedLists* read(faiss::IOReader*, int) const override {
    FAISS_THROW_MSG("mapped inverted lists are stored in FAISS's ilar format, never as ilpm");
  }

  faiss::InvertedLists* read_ArrayInvertedLists(faiss::IOReader* f, int, std::size_t nlist, std::size_t code_size,
                                                const std::vector<std::size_t>& sizes) const override {
    const MappedListsRead* read = current_read;
    FAISS_THROW_IF_NOT_MSG(read, "mapped inverted lists read outside read_index_file");
    const MappedListsSource& source = read->source();
    auto* reader = dynamic_cast<faiss::FileIOReader*>(f);
    FAISS_THROW_IF_NOT_MSG(reader, "mapped inverted lists need a file reader");
    FAISS_THROW_IF_NOT_MSG(source.crcs.size() == nlist, "the list checksums do not match the list count");
    const long at = std::ftell(reader->f);
    FAISS_THROW_IF_NOT_MSG(at >= 0, "cannot tell the position in the index file");
    const std::uint64_t begin = static_cast<std::uint64_t>(at);
    std::vector<MappedInvertedLists::List> lists(nlist);
    std::uint64_t o = begin;
    for (std::size_t i = 0; i < nlist; ++i) {
      lists[i].size = sizes[i];
      lists[i].offset = o - begin;
      o += static_cast<std::uint64_t>(sizes[i]) * (code_size + sizeof(idx_t));
    }
    if (o > begin) {
      // The list data must be exactly where the header says it is, and inside the mapping.
      FAISS_THROW_IF_NOT_MSG(begin == source.begin && o == source.end && source.mapping &&
                                 source.mapping->size() == source.end - source.begin,
                             "the inverted lists are not where the index file's header puts them");
    }
    FAISS_THROW_IF_NOT_MSG(std::fseek(reader->f, static_cast<long>(o), SEEK_SET) == 0,
                           "cannot skip the inverted lists");
    return new MappedInvertedLists(nlist, code_size, o > begin ? source.mapping : nullptr, std::move(lists),
                                   source.crcs, source.file);
  }
};

void register_hook() {
  static std::once_flag once;
  std::call_once(once, [] { faiss::InvertedListsIOHook::add_callback(new MappedListsHook); });
}

}  // namespace

MappedInvertedLists::MappedInvertedLists(std::size_t nlist, std::size_t code_size,
                                         std::shared_ptr<const FileMapping> mapping, std::vector<List> lists,
                                         std::vector<std::uint32_t> crcs, std::string file)
    : faiss::ReadOnlyInvertedLists(nlist, code_size), mapping_(std::move(mapping)), lists_(std::move(lists)),
      crcs_(std::move(crcs)), file_(std::move(file)), state_(new std::atomic<std::uint8_t>[nlist]) {
  for (std::size_t i = 0; i < nlist; ++i) state_[i].store(0, std::memory_order_relaxed);
}

std::size_t MappedInvertedLists::list_size(std::size_t list_no) const { return lists_[list_no].size; }

const unsigned char* MappedInvertedLists::checked(std::size_t list_no) const {
  const List& l = lists_[list_no];
  if (l.size == 0) return nullptr;
  const unsigned char* data = mapping_->data() + l.offset;
  std::uint8_t state = state_[list_no].load(std::memory_order_acquire);
  if (state == 0) {
    const std::uint32_t c = crc_of(0, data, l.size * (code_size + sizeof(idx_t)));
    state = c == crcs_[list_no] ? 1 : 2;
    state_[list_no].store(state, std::memory_order_release);
    if (state == 2) {
      std::int64_t none = -1;
      damaged_.compare_exchange_strong(none, static_cast<std::int64_t>(list_no));
    }
  }
  if (state == 2)
    throw IndexFileError(file_ + ": inverted list " + std::to_string(list_no) +
                         " is damaged (checksum mismatch); the index must be rebuilt");
  return data;
}

const std::uint8_t* MappedInvertedLists::get_codes(std::size_t list_no) const { return checked(list_no); }

const idx_t* MappedInvertedLists::get_ids(std::size_t list_no) const {
  const unsigned char* data = checked(list_no);
  return data ? reinterpret_cast<const idx_t*>(data + lists_[list_no].size * code_size) : nullptr;
}

void MappedInvertedLists::prefetch_lists(const idx_t* list_nos, int n) const {
  for (int i = 0; i < n; ++i) {
    const idx_t l = list_nos[i];
    if (l < 0 || static_cast<std::size_t>(l) >= nlist || lists_[l].size == 0) continue;
    mapping_->will_need(lists_[l].offset, lists_[l].size * (code_size + sizeof(idx_t)));
  }
}

std::uint32_t list_crc(const faiss::InvertedLists& lists, std::size_t list_no) {
  const std::size_t n = lists.list_size(list_no);
  if (n == 0) return 0;
  faiss::InvertedLists::ScopedCodes codes(&lists, list_no);
  faiss::InvertedLists::ScopedIds ids(&lists, list_no);
  const std::uint32_t c = crc_of(0, codes.get(), n * lists.code_size);
  return crc_of(c, ids.get(), n * sizeof(idx_t));
}

int mapped_lists_io_flags() {
  register_hook();
  return faiss::IO_FLAG_SKIP_IVF_DATA | static_cast<int>(faiss::fourcc("ilpm") & 0xffff0000u);
}

MappedListsRead::MappedListsRead(MappedListsSource source) : source_(std::move(source)), previous_(current_read) {
  register_hook();
  current_read = this;
}

MappedListsRead::~MappedListsRead() { current_read = previous_; }

}  // namespace palimpsest
