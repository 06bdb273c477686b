#include "indexer/files/content_hash.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/sha.h>
}

namespace palimpsest {
namespace {

struct ShaDeleter {
  void operator()(AVSHA* sha) const { av_free(sha); }
};

class Sha256 {
 public:
  Sha256() : sha_(av_sha_alloc()) {
    if (!sha_ || av_sha_init(sha_.get(), 256) < 0) throw std::runtime_error("sha256: out of memory");
  }
  void update(const void* data, size_t size) {
    // av_sha_update takes an unsigned int length in older FFmpeg: feed large inputs in slices.
    const auto* p = static_cast<const std::uint8_t*>(data);
    while (size > 0) {
      const size_t n = std::min<size_t>(size, 1u << 30);
      av_sha_update(sha_.get(), p, static_cast<unsigned>(n));
      p += n;
      size -= n;
    }
  }
  std::string hex() {
    std::uint8_t digest[32];
    av_sha_final(sha_.get(), digest);
    static const char* kHex = "0123456789abcdef";
    std::string out(64, '0');
    for (int i = 0; i < 32; ++i) {
      out[2 * i] = kHex[digest[i] >> 4];
      out[2 * i + 1] = kHex[digest[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<AVSHA, ShaDeleter> sha_;
};

}  // namespace

std::string sha256_file(const std::filesystem::path& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw std::runtime_error(path.string() + ": cannot read: " + std::strerror(errno));
  Sha256 sha;
  std::vector<char> buffer(1 << 20);
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) sha.update(buffer.data(), n);
  if (std::ferror(file.get())) throw std::runtime_error(path.string() + ": read error while hashing");
  return sha.hex();
}

std::string sha256_bytes(std::string_view bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hex();
}

}  // namespace palimpsest
