// Inverted lists mapped in place: an index opens without reading its lists (resident memory
// measured in a child process), reads only the lists its searches probe, and a damaged list is
// found the first time it is read, never used, and rebuilt.
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "indexer/vector/vector_store.h"
#include "tests/vector/vector_fixtures.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using namespace vector_testing;

long resident_kib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

std::uint64_t header_u64(const fs::path& file, std::size_t at) {
  const std::string bytes = testing::read_file(file);
  std::uint64_t v = 0;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

TEST(MappedLists, AnIndexOpensWithoutReadingItsLists) {
  // Wide vectors, so that what an open legitimately holds per entry (ids, fingerprints, FAISS's
  // id map) stays small beside the list data it must not read.
  const int dim = 512;
  const std::size_t n = 25000;
  testing::TempDir dir;
  VectorStoreOptions o = forced(VectorIndexKind::ivf_flat);
  o.tuning_queries = 50;
  o.latency_limit_ms = 50;
  o.kmeans_iterations = 2;  // list quality does not matter here; build time does
  o.train_points_per_list = 39;
  o.target_recall = 0.6;  // a few lists per query, so that 20 queries read a small part of them
  o.mmap_min_bytes = 0;
  const auto data = clustered_vectors(n, dim, 50, 5);
  {
    VectorStore built = VectorStore::open_detached(1, dim, dir.path(), o);
    built.rebuild(stream_of(sequential_ids(n), data, dim), static_cast<std::int64_t>(n));
    built.save();
  }
  const fs::path file = dir.path() / "vectors-1.pvec";
  // Where the list data lies (index_file.h): 25,000 full vectors and their ids, about 51 MB.
  const std::uint64_t list_bytes = header_u64(file, 48) - header_u64(file, 40);
  ASSERT_GE(list_bytes, n * (dim * 4 + 8));
  const auto queries = clustered_vectors(20, dim, 50, 6);

  // In a child process, so that nothing this process touches later counts; the memory the
  // build freed goes back to the system first, or reading would reuse it unnoticed.
  EXPECT_EXIT(
      {
        ::malloc_trim(0);
        const long before = resident_kib();
        const VectorStore mapped = VectorStore::open_detached(1, dim, dir.path(), o);
        const long opened = resident_kib();
        if (!mapped.describe().memory_mapped) {
          std::fprintf(stderr, "the lists were not mapped\n");
          std::_Exit(1);
        }
        if ((opened - before) * 1024 > static_cast<long>(list_bytes / 4)) {
          std::fprintf(stderr, "opening read the lists: +%ld KiB\n", opened - before);
          std::_Exit(2);
        }
        for (int q = 0; q < 20; ++q) (void)mapped.search(queries.data() + q * dim, dim, 10);
        const long searched = resident_kib();
        if ((searched - before) * 1024 > static_cast<long>(list_bytes / 2)) {
          std::fprintf(stderr, "20 searches read most lists: +%ld KiB at nprobe %d\n", searched - before,
                       mapped.describe().nprobe);
          std::_Exit(3);
        }
        // The probe does see lists being read: the same file opened into memory.
        VectorStoreOptions in_memory = o;
        in_memory.mmap_min_bytes = std::numeric_limits<std::uint64_t>::max();
        const VectorStore read = VectorStore::open_detached(1, dim, dir.path(), in_memory);
        const long loaded = resident_kib();
        if (read.describe().memory_mapped || (loaded - searched) * 1024 < static_cast<long>(list_bytes * 8 / 10)) {
          std::fprintf(stderr, "reading the lists into memory went unnoticed: +%ld KiB\n", loaded - searched);
          std::_Exit(4);
        }
        std::fprintf(stderr, "resident: open +%ld KiB, 20 searches +%ld KiB, read into memory +%ld KiB\n",
                     opened - before, searched - opened, loaded - searched);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "resident: open");
}

TEST(MappedLists, ADamagedListIsFoundWhenFirstReadAndRebuilt) {
  const int dim = 16;
  CatalogWithEmbeddings fx(3000, dim);
  VectorStoreOptions o = forced(VectorIndexKind::ivf_flat);
  o.tuning_queries = 50;
  o.latency_limit_ms = 50;
  o.mmap_min_bytes = 0;
  fs::path file;
  {
    VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), o);
    file = store.file_path();
  }
  // A byte in the middle of the list data: outside the file's checksum, inside one list's.
  const std::uint64_t begin = header_u64(file, 40), end = header_u64(file, 48);
  ASSERT_GT(end, begin);
  std::string bytes = testing::read_file(file);
  bytes[(begin + end) / 2] = static_cast<char>(bytes[(begin + end) / 2] ^ 0x5A);
  testing::write_file(file, bytes);

  Log log;
  VectorStore store = VectorStore::open(fx.catalog, fx.model, fx.folder(), log.attach(o));
  EXPECT_TRUE(log.lines.empty()) << log.all();  // opening does not read the lists
  EXPECT_TRUE(store.describe().memory_mapped);
  EXPECT_TRUE(store.describe().rebuild_reason.empty());
  // A filter that accepts nothing widens the search to every list, the damaged one included.
  const std::function<bool(std::int64_t)> none = [](std::int64_t) { return false; };
  try {
    (void)store.search(fx.data.data(), dim, 10, &none);
    ADD_FAILURE() << "a search read the damaged list without an error";
  } catch (const VectorStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("is damaged"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
  EXPECT_NE(store.describe().rebuild_reason.find("is damaged"), std::string::npos);
  EXPECT_TRUE(store.maintain());
  store.save();
  EXPECT_TRUE(store.search(fx.data.data(), dim, 10, &none).empty());
  const auto hits = store.search(fx.data.data() + 5 * dim, dim, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].record_id, fx.ids[5]);
  Log again;
  VectorStore reopened = VectorStore::open(fx.catalog, fx.model, fx.folder(), again.attach(o));
  EXPECT_TRUE(again.lines.empty()) << again.all();
  EXPECT_TRUE(reopened.search(fx.data.data(), dim, 10, &none).empty());  // every list reads clean now
}

}  // namespace
}  // namespace palimpsest
