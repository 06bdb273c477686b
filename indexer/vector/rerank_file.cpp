#include "indexer/vector/rerank_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "indexer/vector/index_file_error.h"

namespace palimpsest {
namespace {

static_assert(std::endian::native == std::endian::little, "the re-rank file format is little-endian");

constexpr std::array<char, 8> kMagic = {'P', 'A', 'L', 'R', 'R', 'K', '\0', '\1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderSize = 44;
// The mapping reserves room for at least this many more rows than the file holds, so that
// appending a batch rarely has to map the file again.
constexpr std::uint64_t kMinReserveRows = 1 << 16;

std::string errno_text() { return std::strerror(errno); }

std::uint32_t header_crc(const unsigned char* h) {
  return static_cast<std::uint32_t>(crc32_z(0, h, 40));
}

void write_all(int fd, const void* data, std::size_t bytes, std::uint64_t at, const std::string& where) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::pwrite(fd, p, bytes, static_cast<off_t>(at));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IndexFileError("cannot write " + where + ": " + errno_text());
    }
    p += n;
    at += static_cast<std::uint64_t>(n);
    bytes -= static_cast<std::size_t>(n);
  }
}

std::uint64_t random_id() {
  std::random_device device;
  std::uint64_t id = 0;
  while (id == 0) id = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  return id;
}

// An unnamed file in the system's temporary folder: O_TMPFILE where the file system has it,
// else a named one unlinked at once.
int unnamed_file() {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string pattern = (dir / "palimpsest-rerank-XXXXXX").string();
  fd = ::mkstemp(pattern.data());
  if (fd < 0) throw IndexFileError("cannot create a temporary re-rank file in " + dir.string() + ": " + errno_text());
  ::unlink(pattern.c_str());
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

}  // namespace

RerankFile::RerankFile(int fd, std::filesystem::path path, int dim, std::uint64_t id, std::uint64_t rows)
    : fd_(fd), path_(std::move(path)), dim_(dim), row_bytes_(static_cast<std::uint64_t>(dim) * 4), id_(id),
      rows_(rows) {
  map_for(rows);
}

RerankFile::~RerankFile() {
  mapping_.reset();
  ::close(fd_);
}

std::string RerankFile::where() const { return path_.empty() ? std::string("the temporary re-rank file") : path_.string(); }

std::string RerankFile::file_name(std::int64_t model_id, std::uint64_t id) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(id));
  return "vectors-" + std::to_string(model_id) + "." + hex + ".rerank";
}

bool RerankFile::is_file_of(const std::string& name, std::int64_t model_id) {
  const std::string prefix = "vectors-" + std::to_string(model_id) + ".";
  const std::string suffix = ".rerank";
  if (name.size() != prefix.size() + 16 + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                     name.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

void RerankFile::write_header(std::uint64_t committed, std::uint64_t generation) {
  std::array<unsigned char, kHeaderSize> h{};
  std::memcpy(h.data(), kMagic.data(), kMagic.size());
  const std::uint32_t dim = static_cast<std::uint32_t>(dim_);
  std::memcpy(h.data() + 8, &kVersion, 4);
  std::memcpy(h.data() + 12, &dim, 4);
  std::memcpy(h.data() + 16, &id_, 8);
  std::memcpy(h.data() + 24, &committed, 8);
  std::memcpy(h.data() + 32, &generation, 8);
  const std::uint32_t crc = header_crc(h.data());
  std::memcpy(h.data() + 40, &crc, 4);
  write_all(fd_, h.data(), h.size(), 0, where());
}

void RerankFile::map_for(std::uint64_t rows) {
  const std::uint64_t reserve = std::max(rows * 2, rows + kMinReserveRows);
  mapping_ = FileMapping::map(fd_, 0, kRowsOffset + reserve * row_bytes_, where());
  mapped_rows_ = reserve;
}

std::unique_ptr<RerankFile> RerankFile::create(const std::filesystem::path& folder, std::int64_t model_id, int dim) {
  const std::uint64_t id = random_id();
  std::filesystem::path path;
  int fd = -1;
  if (folder.empty()) {
    fd = unnamed_file();
  } else {
    path = folder / file_name(model_id, id);
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw IndexFileError("cannot create " + path.string() + ": " + errno_text());
  }
  std::unique_ptr<RerankFile> file;
  try {
    if (::ftruncate(fd, static_cast<off_t>(kRowsOffset)) != 0)
      throw IndexFileError("cannot size " + (path.empty() ? std::string("a temporary file") : path.string()) + ": " +
                           errno_text());
    file.reset(new RerankFile(fd, path, dim, id, 0));
  } catch (...) {
    if (!file) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
    throw;
  }
  file->write_header(0, 0);
  return file;
}

std::unique_ptr<RerankFile> RerankFile::open(const std::filesystem::path& folder, std::int64_t model_id, int dim,
                                             std::uint64_t id, std::uint64_t rows, std::string* note) {
  const std::filesystem::path path = folder / file_name(model_id, id);
  const std::string where = path.string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw IndexFileError("the re-rank file " + where + " is missing");
    throw IndexFileError("cannot open " + where + ": " + errno_text());
  }
  std::unique_ptr<RerankFile> file;
  try {
    std::array<unsigned char, kHeaderSize> h{};
    if (::pread(fd, h.data(), h.size(), 0) != static_cast<ssize_t>(h.size()))
      throw IndexFileError(where + " is truncated (no header)");
    std::uint32_t version = 0, file_dim = 0, crc = 0;
    std::uint64_t file_id = 0, committed = 0, generation = 0;
    std::memcpy(&version, h.data() + 8, 4);
    std::memcpy(&file_dim, h.data() + 12, 4);
    std::memcpy(&file_id, h.data() + 16, 8);
    std::memcpy(&committed, h.data() + 24, 8);
    std::memcpy(&generation, h.data() + 32, 8);
    std::memcpy(&crc, h.data() + 40, 4);
    if (std::memcmp(h.data(), kMagic.data(), kMagic.size()) != 0) throw IndexFileError(where + " is not a re-rank file");
    if (crc != header_crc(h.data())) throw IndexFileError(where + " has a damaged header (checksum mismatch)");
    if (version != kVersion)
      throw IndexFileError(where + " has format version " + std::to_string(version) + ", this build reads version " +
                           std::to_string(kVersion));
    if (file_id != id || static_cast<int>(file_dim) != dim)
      throw IndexFileError(where + " belongs to another index (id or dimension differs)");
    if (committed < rows)
      throw IndexFileError(where + " holds " + std::to_string(committed) + " committed rows, the index counts " +
                           std::to_string(rows));
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw IndexFileError("cannot stat " + where + ": " + errno_text());
    const std::uint64_t row_bytes = static_cast<std::uint64_t>(dim) * 4;
    const std::uint64_t wanted = kRowsOffset + rows * row_bytes;
    const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    if (size < wanted)
      throw IndexFileError(where + " is truncated: " + std::to_string(size) + " bytes, the index needs " +
                           std::to_string(wanted));
    file.reset(new RerankFile(fd, path, dim, id, rows));
    if (committed > rows || size > wanted) {
      // Rows written after the index file was saved (a crash between the two saves): the index
      // never counted them. Cut them off and record the index's count.
      if (::ftruncate(fd, static_cast<off_t>(wanted)) != 0)
        throw IndexFileError("cannot truncate " + where + ": " + errno_text());
      file->write_header(rows, generation);
      if (::fdatasync(fd) != 0) throw IndexFileError("cannot sync " + where + ": " + errno_text());
      if (note)
        *note = "the re-rank file " + where + " held " + std::to_string((size - kRowsOffset) / row_bytes - rows) +
                " rows past the index's " + std::to_string(rows) +
                " (written after the index file was saved): cut off";
    }
  } catch (...) {
    if (!file) ::close(fd);
    throw;
  }
  return file;
}

std::uint64_t RerankFile::file_bytes() const { return kRowsOffset + rows_ * row_bytes_; }

std::uint64_t RerankFile::append(const float* vectors, std::size_t n) {
  const std::uint64_t first = rows_;
  if (n == 0) return first;
  write_all(fd_, vectors, n * row_bytes_, kRowsOffset + first * row_bytes_, where());
  rows_ += n;
  if (rows_ > mapped_rows_) map_for(rows_);
  return first;
}

void RerankFile::commit(std::uint64_t generation) {
  if (::fdatasync(fd_) != 0) throw IndexFileError("cannot sync " + where() + ": " + errno_text());
  write_header(rows_, generation);
  if (::fdatasync(fd_) != 0) throw IndexFileError("cannot sync " + where() + ": " + errno_text());
}

void RerankFile::prefetch(const std::int64_t* rows, std::size_t n) const {
  if (n == 0) return;
  // Sorted, and neighbouring rows merged into one request.
  thread_local std::vector<std::int64_t> sorted;
  sorted.assign(rows, rows + n);
  std::sort(sorted.begin(), sorted.end());
  std::uint64_t start = 0, end = 0;
  bool open = false;
  for (const std::int64_t r : sorted) {
    if (r < 0 || static_cast<std::uint64_t>(r) >= rows_) continue;
    const std::uint64_t at = kRowsOffset + static_cast<std::uint64_t>(r) * row_bytes_;
    if (open && at <= end + page_size()) {
      end = std::max(end, at + row_bytes_);
      continue;
    }
    if (open) mapping_->will_need(start, end - start);
    start = at;
    end = at + row_bytes_;
    open = true;
  }
  if (open) mapping_->will_need(start, end - start);
}

}  // namespace palimpsest
