#include "indexer/vector/index_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <nlohmann/json.hpp>

#include "indexer/vector/mapped_lists.h"
#include "indexer/vector/rerank_file.h"

namespace palimpsest {
namespace {

static_assert(std::endian::native == std::endian::little, "the index file format is little-endian");

constexpr std::array<char, 8> kMagic = {'P', 'A', 'L', 'V', 'E', 'C', '\0', '\1'};
constexpr std::uint32_t kVersion = 2;
constexpr std::size_t kHeaderSize = 72;
constexpr std::uint32_t kMaxMetadata = 1 << 20;

struct Header {
  std::uint32_t metadata_size = 0;
  std::uint64_t fingerprint_bytes = 0;
  std::uint64_t slot_bytes = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t lists_begin = 0;  // file offsets of the list data; 0, 0: none
  std::uint64_t lists_end = 0;
  std::uint64_t list_crc_bytes = 0;
  std::uint32_t body_crc = 0;
};

template <typename T>
void put(std::array<unsigned char, kHeaderSize>& buf, std::size_t at, T v) {
  std::memcpy(buf.data() + at, &v, sizeof v);
}
template <typename T>
T get(const std::array<unsigned char, kHeaderSize>& buf, std::size_t at) {
  T v;
  std::memcpy(&v, buf.data() + at, sizeof v);
  return v;
}

std::uint32_t crc(std::uint32_t c, const void* data, std::size_t n) {
  // zlib treats a null buffer as "give me the initial value" and returns 0, which would reset
  // the running checksum; FAISS writes empty vectors with data() == nullptr.
  if (n == 0) return c;
  return static_cast<std::uint32_t>(crc32_z(c, static_cast<const Bytef*>(data), n));
}

std::array<unsigned char, kHeaderSize> encode_header(const Header& h) {
  std::array<unsigned char, kHeaderSize> b{};
  std::memcpy(b.data(), kMagic.data(), kMagic.size());
  put(b, 8, kVersion);
  put(b, 12, h.metadata_size);
  put(b, 16, h.fingerprint_bytes);
  put(b, 24, h.slot_bytes);
  put(b, 32, h.payload_bytes);
  put(b, 40, h.lists_begin);
  put(b, 48, h.lists_end);
  put(b, 56, h.list_crc_bytes);
  put(b, 64, h.body_crc);
  put(b, 68, crc(0, b.data(), 68));
  return b;
}

// A faiss::IOWriter over a FILE* that counts bytes and keeps the file's checksums. It knows the
// list data FAISS is about to write (each non-empty list's codes, then its ids, in list order,
// written straight from the lists' own buffers) and recognises those writes by their buffer
// and size: they are left out of the body checksum and summed into one CRC per list instead.
// Should a FAISS version write the lists any other way, nothing is recognised and the file
// keeps one checksum over everything (no lists to map: they are read into memory).
struct ChecksummingWriter : faiss::IOWriter {
  ChecksummingWriter(FILE* f, const faiss::InvertedLists* lists) : file(f) {
    name = "vector index";
    if (!lists) return;
    crcs.assign(lists->nlist, 0);
    for (std::size_t i = 0; i < lists->nlist; ++i) {
      const std::size_t n = lists->list_size(i);
      if (n == 0) continue;
      expected.push_back({lists->get_codes(i), n * lists->code_size, i});
      expected.push_back({lists->get_ids(i), n * sizeof(faiss::Index::idx_t), i});
    }
  }
  std::size_t operator()(const void* ptr, std::size_t size, std::size_t nitems) override {
    const std::uint64_t at = bytes;
    const std::size_t written = std::fwrite(ptr, size, nitems, file);
    const std::size_t n = size * written;
    bytes += n;
    all = crc(all, ptr, n);
    if (next < expected.size() && ptr == expected[next].data && size * nitems == expected[next].bytes) {
      if (next == 0) lists_begin = at;
      crcs[expected[next].list] = crc(crcs[expected[next].list], ptr, n);
      if (++next == expected.size()) lists_end = bytes;
    } else {
      if (next > 0 && next < expected.size()) strayed = true;  // something between two lists
      body = crc(body, ptr, n);
    }
    return written;
  }
  // Whether the list data was recognised, whole and in one piece.
  bool lists_found() const { return !expected.empty() && next == expected.size() && !strayed; }

  struct Expected {
    const void* data;
    std::size_t bytes;
    std::size_t list;
  };
  FILE* file;
  std::vector<Expected> expected;
  std::size_t next = 0;
  bool strayed = false;
  std::uint64_t lists_begin = 0, lists_end = 0;  // offsets from the start of the body
  std::vector<std::uint32_t> crcs;
  std::uint32_t body = 0;  // without the list data
  std::uint32_t all = 0;   // with it
  std::uint64_t bytes = 0;
};

std::string errno_text() { return std::strerror(errno); }

nlohmann::json metadata(const IndexFileInfo& info, const StoreIndex& index) {
  const IndexPlan& p = index.plan();
  return {
      {"model_id", info.model_id},
      {"generation", info.generation},
      {"dim", info.dim},
      {"kind", std::string(to_string(p.kind))},
      {"factory", p.factory},
      {"nlist", p.nlist},
      {"hnsw_quantizer", p.hnsw_quantizer},
      {"pq_m", p.pq_m},
      {"pq_bits", p.pq_bits},
      {"opq", p.opq},
      {"hnsw_m", p.hnsw_m},
      {"ef_construction", p.ef_construction},
      {"train_points", p.train_points},
      {"live", index.live()},
      {"entries", index.entries()},
      {"trained_at", index.trained_at},
      {"nprobe", index.settings().nprobe},
      {"ef_search", index.settings().ef_search},
      {"recall_at_10", index.settings().recall_at_10},
      {"p50_ms", index.settings().p50_ms},
      {"rerank", p.rerank},
      {"rerank_factor", index.settings().rerank_factor},
      {"rerank_file_id", index.rerank() ? std::to_string(index.rerank()->id()) : "0"},
      {"rerank_rows", index.rerank() ? index.rerank()->rows() : 0},
  };
}

IndexPlan plan_from(const nlohmann::json& m) {
  IndexPlan p;
  const auto kind = parse_vector_index_kind(m.at("kind").get<std::string>());
  if (!kind) throw IndexFileError("unknown index kind " + m.at("kind").get<std::string>());
  p.kind = *kind;
  p.factory = m.at("factory").get<std::string>();
  p.nlist = m.at("nlist").get<int>();
  p.hnsw_quantizer = m.at("hnsw_quantizer").get<bool>();
  p.pq_m = m.at("pq_m").get<int>();
  p.pq_bits = m.at("pq_bits").get<int>();
  p.opq = m.at("opq").get<bool>();
  p.hnsw_m = m.at("hnsw_m").get<int>();
  p.ef_construction = m.at("ef_construction").get<int>();
  p.train_points = m.at("train_points").get<std::int64_t>();
  p.rerank = m.at("rerank").get<bool>();
  return p;
}

void fsync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IndexFileError("cannot open folder " + folder.string() + ": " + errno_text());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw IndexFileError("cannot sync folder " + folder.string() + ": " + errno_text());
}

struct FileCloser {
  void operator()(FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

}  // namespace

void write_index_file(const std::filesystem::path& path, const IndexFileInfo& info,
                      const StoreIndex& index) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path folder = path.parent_path().empty() ? "." : path.parent_path();
  const std::filesystem::path tmp =
      folder / (path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter.fetch_add(1)));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IndexFileError("cannot create " + tmp.string() + ": " + errno_text());
  File file(::fdopen(fd, "wb"));
  if (!file) {
    ::close(fd);
    throw IndexFileError("cannot open " + tmp.string() + ": " + errno_text());
  }
  try {
    const std::array<unsigned char, kHeaderSize> placeholder{};
    if (std::fwrite(placeholder.data(), 1, kHeaderSize, file.get()) != kHeaderSize)
      throw IndexFileError("cannot write " + tmp.string() + ": " + errno_text());
    ChecksummingWriter w(file.get(), index.ivf() ? index.ivf()->invlists : nullptr);
    const std::string meta = metadata(info, index).dump();
    const std::vector<std::uint64_t>& fps = index.fingerprints();
    const std::vector<std::int64_t>& slots = index.slots();
    if (w(meta.data(), 1, meta.size()) != meta.size() ||
        w(fps.data(), sizeof(std::uint64_t), fps.size()) != fps.size() ||
        w(slots.data(), sizeof(std::int64_t), slots.size()) != slots.size())
      throw IndexFileError("cannot write " + tmp.string() + ": " + errno_text());
    const std::uint64_t payload_start = w.bytes;
    faiss::write_index(&index.faiss_index(), &w);  // throws when a write falls short
    Header h;
    h.metadata_size = static_cast<std::uint32_t>(meta.size());
    h.fingerprint_bytes = fps.size() * sizeof(std::uint64_t);
    h.slot_bytes = slots.size() * sizeof(std::int64_t);
    h.payload_bytes = w.bytes - payload_start;
    if (w.lists_found()) {
      h.lists_begin = kHeaderSize + w.lists_begin;
      h.lists_end = kHeaderSize + w.lists_end;
      std::vector<std::uint32_t> crcs = w.crcs;
      h.list_crc_bytes = crcs.size() * sizeof(std::uint32_t);
      if (w(crcs.data(), sizeof(std::uint32_t), crcs.size()) != crcs.size())
        throw IndexFileError("cannot write " + tmp.string() + ": " + errno_text());
      h.body_crc = w.body;
    } else {
      h.body_crc = w.all;
    }
    const auto header = encode_header(h);
    if (std::fseek(file.get(), 0, SEEK_SET) != 0 ||
        std::fwrite(header.data(), 1, kHeaderSize, file.get()) != kHeaderSize ||
        std::fflush(file.get()) != 0 || ::fsync(::fileno(file.get())) != 0)
      throw IndexFileError("cannot write " + tmp.string() + ": " + errno_text());
    FILE* raw = file.release();
    if (std::fclose(raw) != 0) throw IndexFileError("cannot close " + tmp.string() + ": " + errno_text());
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw IndexFileError("cannot rename " + tmp.string() + " to " + path.string() + ": " + errno_text());
  } catch (const std::exception& e) {
    file.reset();
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    if (dynamic_cast<const IndexFileError*>(&e)) throw;
    throw IndexFileError("cannot save the vector index to " + path.string() + ": " + e.what());
  }
  fsync_folder(folder);
}

namespace {

// Reads [from, to) of the file into the running CRC-32 `c`.
std::uint32_t crc_of_range(FILE* file, std::uint64_t from, std::uint64_t to, std::uint32_t c, const std::string& where) {
  if (to <= from) return c;
  if (std::fseek(file, static_cast<long>(from), SEEK_SET) != 0) throw IndexFileError("cannot read " + where + ": " + errno_text());
  std::vector<unsigned char> buf(std::size_t{1} << 20);
  std::uint64_t left = to - from;
  while (left > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
    if (std::fread(buf.data(), 1, want, file) != want) throw IndexFileError("cannot read " + where + ": " + errno_text());
    c = crc(c, buf.data(), want);
    left -= want;
  }
  return c;
}

template <typename T>
void read_section(FILE* file, std::uint64_t at, std::vector<T>& out, std::uint64_t bytes, const std::string& where) {
  out.resize(static_cast<std::size_t>(bytes / sizeof(T)));
  if (out.empty()) return;
  if (std::fseek(file, static_cast<long>(at), SEEK_SET) != 0 ||
      std::fread(out.data(), sizeof(T), out.size(), file) != out.size())
    throw IndexFileError("cannot read " + where + ": " + errno_text());
}

}  // namespace

LoadedIndexFile read_index_file(const std::filesystem::path& path, std::uint64_t mmap_min_bytes) {
  const std::string where = path.string();
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    if (errno == ENOENT) throw IndexFileError("no index file at " + where);
    throw IndexFileError("cannot open " + where + ": " + errno_text());
  }
  struct stat st {};
  if (::fstat(::fileno(file.get()), &st) != 0) throw IndexFileError("cannot stat " + where);
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);

  std::array<unsigned char, kHeaderSize> hb{};
  if (size < kHeaderSize || std::fread(hb.data(), 1, kHeaderSize, file.get()) != kHeaderSize)
    throw IndexFileError(where + " is truncated (" + std::to_string(size) + " bytes)");
  if (std::memcmp(hb.data(), kMagic.data(), kMagic.size()) != 0)
    throw IndexFileError(where + " is not a Palimpsest vector index");
  if (get<std::uint32_t>(hb, 8) != kVersion)
    throw IndexFileError(where + " has format version " + std::to_string(get<std::uint32_t>(hb, 8)) +
                         ", this build reads version " + std::to_string(kVersion));
  if (get<std::uint32_t>(hb, 68) != crc(0, hb.data(), 68))
    throw IndexFileError(where + " has a damaged header (checksum mismatch)");
  Header h;
  h.metadata_size = get<std::uint32_t>(hb, 12);
  h.fingerprint_bytes = get<std::uint64_t>(hb, 16);
  h.slot_bytes = get<std::uint64_t>(hb, 24);
  h.payload_bytes = get<std::uint64_t>(hb, 32);
  h.lists_begin = get<std::uint64_t>(hb, 40);
  h.lists_end = get<std::uint64_t>(hb, 48);
  h.list_crc_bytes = get<std::uint64_t>(hb, 56);
  h.body_crc = get<std::uint32_t>(hb, 64);
  constexpr std::uint64_t kHuge = std::uint64_t{1} << 56;
  if (h.metadata_size > kMaxMetadata || h.fingerprint_bytes % 8 != 0 || h.slot_bytes % 8 != 0 ||
      h.list_crc_bytes % 4 != 0 || h.fingerprint_bytes > kHuge || h.slot_bytes > kHuge || h.payload_bytes > kHuge ||
      h.list_crc_bytes > kHuge)
    throw IndexFileError(where + " has an inconsistent header");
  const std::uint64_t payload_at = kHeaderSize + h.metadata_size + h.fingerprint_bytes + h.slot_bytes;
  const std::uint64_t expected = payload_at + h.payload_bytes + h.list_crc_bytes;
  if (expected != size)
    throw IndexFileError(where + " is truncated or extended: " + std::to_string(size) +
                         " bytes, the header says " + std::to_string(expected));
  const bool lists_apart = h.lists_end > h.lists_begin;
  if ((lists_apart || h.lists_begin != 0) &&
      (h.lists_begin < payload_at || h.lists_end > payload_at + h.payload_bytes || !lists_apart))
    throw IndexFileError(where + " has an inconsistent header (list data outside the index)");

  // Everything but the list data is verified before anything is parsed.
  {
    std::uint32_t c = 0;
    if (lists_apart) {
      c = crc_of_range(file.get(), kHeaderSize, h.lists_begin, c, where);
      c = crc_of_range(file.get(), h.lists_end, size, c, where);
    } else {
      c = crc_of_range(file.get(), kHeaderSize, size, c, where);
    }
    if (c != h.body_crc) throw IndexFileError(where + " is damaged (checksum mismatch)");
  }

  std::string meta_text;
  std::vector<std::uint64_t> fingerprints;
  std::vector<std::int64_t> slots;
  std::vector<std::uint32_t> list_crcs;
  {
    std::vector<char> meta;
    read_section(file.get(), kHeaderSize, meta, h.metadata_size, where);
    meta_text.assign(meta.begin(), meta.end());
  }
  read_section(file.get(), kHeaderSize + h.metadata_size, fingerprints, h.fingerprint_bytes, where);
  read_section(file.get(), kHeaderSize + h.metadata_size + h.fingerprint_bytes, slots, h.slot_bytes, where);
  read_section(file.get(), payload_at + h.payload_bytes, list_crcs, h.list_crc_bytes, where);

  LoadedIndexFile loaded;
  IndexPlan plan;
  SearchSettings settings;
  std::int64_t trained_at = 0, entries = 0;
  try {
    const nlohmann::json m = nlohmann::json::parse(meta_text);
    loaded.info.model_id = m.at("model_id").get<std::int64_t>();
    loaded.info.generation = m.at("generation").get<std::uint64_t>();
    loaded.info.dim = m.at("dim").get<int>();
    plan = plan_from(m);
    entries = m.at("entries").get<std::int64_t>();
    trained_at = m.at("trained_at").get<std::int64_t>();
    settings.nprobe = m.at("nprobe").get<int>();
    settings.ef_search = m.at("ef_search").get<int>();
    settings.recall_at_10 = m.at("recall_at_10").get<double>();
    settings.p50_ms = m.at("p50_ms").get<double>();
    settings.rerank_factor = m.at("rerank_factor").get<int>();
    loaded.rerank_id = std::stoull(m.at("rerank_file_id").get<std::string>());
    loaded.rerank_rows = m.at("rerank_rows").get<std::uint64_t>();
  } catch (const std::exception& e) {
    throw IndexFileError(where + " has unreadable metadata: " + e.what());
  }
  if (plan.rerank && (loaded.rerank_id == 0 || slots.size() != static_cast<std::size_t>(entries)))
    throw IndexFileError(where + " has no re-rank rows for its " + std::to_string(entries) + " entries");

  const bool has_lists = plan.kind == VectorIndexKind::ivf_flat || plan.kind == VectorIndexKind::ivf_pq;
  const bool mmap = has_lists && lists_apart && size >= mmap_min_bytes;
  std::unique_ptr<faiss::Index> raw;
  try {
    if (std::fseek(file.get(), static_cast<long>(payload_at), SEEK_SET) != 0)
      throw IndexFileError("cannot read " + where + ": " + errno_text());
    faiss::FileIOReader reader(file.get());  // reads from the current offset; does not close
    if (mmap) {
      MappedListsSource source;
      source.begin = h.lists_begin;
      source.end = h.lists_end;
      source.crcs = list_crcs;
      source.file = where;
      source.mapping = FileMapping::map(::fileno(file.get()), h.lists_begin, h.lists_end - h.lists_begin, where);
      MappedListsRead read(std::move(source));
      raw.reset(faiss::read_index(&reader, mapped_lists_io_flags()));
    } else {
      raw.reset(faiss::read_index(&reader, 0));
    }
  } catch (const IndexFileError&) {
    throw;
  } catch (const std::exception& e) {
    throw IndexFileError("FAISS could not read " + where + ": " + e.what());
  }
  std::unique_ptr<faiss::IndexIDMap2> map(dynamic_cast<faiss::IndexIDMap2*>(raw.get()));
  if (!map) throw IndexFileError(where + " does not hold an IndexIDMap2");
  raw.release();
  if (map->d != loaded.info.dim || map->ntotal != entries)
    throw IndexFileError(where + ": the FAISS index disagrees with the header (dimension or count)");
  try {
    loaded.index = std::make_unique<StoreIndex>(std::move(map), plan, std::move(fingerprints), std::move(slots), mmap);
  } catch (const VectorStoreError& e) {
    throw IndexFileError(where + ": " + e.what());
  }
  if (const faiss::IndexIVF* ivf = loaded.index->ivf(); ivf && lists_apart && !mmap) {
    // Read into memory: check every list now.
    if (list_crcs.size() != ivf->invlists->nlist)
      throw IndexFileError(where + " has " + std::to_string(list_crcs.size()) + " list checksums for " +
                           std::to_string(ivf->invlists->nlist) + " lists");
    for (std::size_t i = 0; i < list_crcs.size(); ++i)
      if (list_crc(*ivf->invlists, i) != list_crcs[i])
        throw IndexFileError(where + ": inverted list " + std::to_string(i) + " is damaged (checksum mismatch)");
  }
  loaded.index->set_settings(settings);
  loaded.index->trained_at = trained_at;
  return loaded;
}

}  // namespace palimpsest
