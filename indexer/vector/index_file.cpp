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
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <nlohmann/json.hpp>

namespace palimpsest {
namespace {

static_assert(std::endian::native == std::endian::little, "the index file format is little-endian");

constexpr std::array<char, 8> kMagic = {'P', 'A', 'L', 'V', 'E', 'C', '\0', '\1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderSize = 40;
constexpr std::uint32_t kMaxMetadata = 1 << 20;

struct Header {
  std::uint32_t metadata_size = 0;
  std::uint64_t fingerprint_bytes = 0;
  std::uint64_t payload_bytes = 0;
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
  put(b, 24, h.payload_bytes);
  put(b, 32, h.body_crc);
  put(b, 36, crc(0, b.data(), 36));
  return b;
}

// A faiss::IOWriter over a FILE* that counts bytes and keeps a running CRC-32.
struct ChecksummingWriter : faiss::IOWriter {
  explicit ChecksummingWriter(FILE* f) : file(f) { name = "vector index"; }
  std::size_t operator()(const void* ptr, std::size_t size, std::size_t nitems) override {
    const std::size_t written = std::fwrite(ptr, size, nitems, file);
    checksum = crc(checksum, ptr, size * written);
    bytes += size * written;
    return written;
  }
  FILE* file;
  std::uint32_t checksum = 0;
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
    ChecksummingWriter w(file.get());
    const std::string meta = metadata(info, index).dump();
    const std::vector<std::uint64_t>& fps = index.fingerprints();
    if (w(meta.data(), 1, meta.size()) != meta.size() ||
        w(fps.data(), sizeof(std::uint64_t), fps.size()) != fps.size())
      throw IndexFileError("cannot write " + tmp.string() + ": " + errno_text());
    const std::uint64_t payload_start = w.bytes;
    faiss::write_index(&index.faiss_index(), &w);  // throws when a write falls short
    Header h;
    h.metadata_size = static_cast<std::uint32_t>(meta.size());
    h.fingerprint_bytes = fps.size() * sizeof(std::uint64_t);
    h.payload_bytes = w.bytes - payload_start;
    h.body_crc = w.checksum;
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
  if (get<std::uint32_t>(hb, 36) != crc(0, hb.data(), 36))
    throw IndexFileError(where + " has a damaged header (checksum mismatch)");
  Header h;
  h.metadata_size = get<std::uint32_t>(hb, 12);
  h.fingerprint_bytes = get<std::uint64_t>(hb, 16);
  h.payload_bytes = get<std::uint64_t>(hb, 24);
  h.body_crc = get<std::uint32_t>(hb, 32);
  if (h.metadata_size > kMaxMetadata || h.fingerprint_bytes % 8 != 0 ||
      h.fingerprint_bytes > (std::uint64_t{1} << 56) || h.payload_bytes > (std::uint64_t{1} << 56))
    throw IndexFileError(where + " has an inconsistent header");
  const std::uint64_t expected = kHeaderSize + h.metadata_size + h.fingerprint_bytes + h.payload_bytes;
  if (expected != size)
    throw IndexFileError(where + " is truncated or extended: " + std::to_string(size) +
                         " bytes, the header says " + std::to_string(expected));

  // Verify everything after the header before anything is parsed.
  {
    std::vector<unsigned char> buf(std::size_t{1} << 20);
    std::uint32_t c = 0;
    std::uint64_t left = size - kHeaderSize;
    while (left > 0) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
      if (std::fread(buf.data(), 1, want, file.get()) != want)
        throw IndexFileError("cannot read " + where + ": " + errno_text());
      c = crc(c, buf.data(), want);
      left -= want;
    }
    if (c != h.body_crc) throw IndexFileError(where + " is damaged (checksum mismatch)");
  }

  std::string meta_text(h.metadata_size, '\0');
  std::vector<std::uint64_t> fingerprints(h.fingerprint_bytes / 8);
  if (std::fseek(file.get(), kHeaderSize, SEEK_SET) != 0 ||
      std::fread(meta_text.data(), 1, meta_text.size(), file.get()) != meta_text.size() ||
      std::fread(fingerprints.data(), 8, fingerprints.size(), file.get()) != fingerprints.size())
    throw IndexFileError("cannot read " + where + ": " + errno_text());

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
  } catch (const nlohmann::json::exception& e) {
    throw IndexFileError(where + " has unreadable metadata: " + e.what());
  }

  const bool has_lists = plan.kind == VectorIndexKind::ivf_flat || plan.kind == VectorIndexKind::ivf_pq;
  const bool mmap = has_lists && size >= mmap_min_bytes;
  std::unique_ptr<faiss::Index> raw;
  try {
    faiss::FileIOReader reader(file.get());  // reads from the current offset; does not close
    raw.reset(faiss::read_index(&reader, mmap ? faiss::IO_FLAG_MMAP : 0));
  } catch (const std::exception& e) {
    throw IndexFileError("FAISS could not read " + where + ": " + e.what());
  }
  std::unique_ptr<faiss::IndexIDMap2> map(dynamic_cast<faiss::IndexIDMap2*>(raw.get()));
  if (!map) throw IndexFileError(where + " does not hold an IndexIDMap2");
  raw.release();
  if (map->d != loaded.info.dim || map->ntotal != entries)
    throw IndexFileError(where + ": the FAISS index disagrees with the header (dimension or count)");
  try {
    loaded.index = std::make_unique<StoreIndex>(std::move(map), plan, std::move(fingerprints), mmap);
  } catch (const VectorStoreError& e) {
    throw IndexFileError(where + ": " + e.what());
  }
  loaded.index->set_settings(settings);
  loaded.index->trained_at = trained_at;
  return loaded;
}

}  // namespace palimpsest
