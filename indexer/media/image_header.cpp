#include "indexer/media/image_header.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace palimpsest {
namespace {

constexpr std::size_t kMaxBytesRead = 64 << 10;

std::uint32_t be16(std::string_view b, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 8) | static_cast<unsigned char>(b[at + 1]);
}
std::uint32_t le16(std::string_view b, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8) | static_cast<unsigned char>(b[at]);
}
std::uint32_t be32(std::string_view b, std::size_t at) { return (be16(b, at) << 16) | be16(b, at + 2); }
std::uint32_t le32(std::string_view b, std::size_t at) { return (le16(b, at + 2) << 16) | le16(b, at); }
std::uint32_t le24(std::string_view b, std::size_t at) {
  return le16(b, at) | (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16);
}

std::optional<DeclaredImage> sized(const char* format, std::int64_t width, std::int64_t height) {
  if (width <= 0 || height <= 0) return std::nullopt;
  return DeclaredImage{format, width, height};
}

// Reads through a source, counting bytes so that a crafted file cannot make the walk long.
class Reader {
 public:
  explicit Reader(const ByteSource& source) : source_(source) {}
  std::string read(std::uint64_t offset, std::size_t length) {
    if (budget_ < length) return {};
    budget_ -= length;
    return source_(offset, length);
  }

 private:
  const ByteSource& source_;
  std::size_t budget_ = kMaxBytesRead;
};

bool is_jpeg_sof(unsigned char marker) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

std::optional<DeclaredImage> jpeg(Reader& in) {
  std::uint64_t at = 2;  // after SOI
  for (int segments = 0; segments < 4096; ++segments) {
    std::string m = in.read(at, 2);
    if (m.size() < 2 || static_cast<unsigned char>(m[0]) != 0xFF) return std::nullopt;
    const auto marker = static_cast<unsigned char>(m[1]);
    if (marker == 0xFF) {  // fill byte
      at += 1;
      continue;
    }
    at += 2;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;           // EOI, or a scan before any frame
    const std::string len = in.read(at, 2);
    if (len.size() < 2 || be16(len, 0) < 2) return std::nullopt;
    if (is_jpeg_sof(marker)) {
      const std::string sof = in.read(at + 2, 5);  // precision, height, width
      if (sof.size() < 5) return std::nullopt;
      return sized("jpeg", be16(sof, 3), be16(sof, 1));
    }
    at += be16(len, 0);
  }
  return std::nullopt;
}

std::optional<DeclaredImage> tiff(Reader& in, bool little) {
  auto u16 = [little](std::string_view b, std::size_t at) { return little ? le16(b, at) : be16(b, at); };
  auto u32 = [little](std::string_view b, std::size_t at) { return little ? le32(b, at) : be32(b, at); };
  const std::string head = in.read(4, 4);
  if (head.size() < 4) return std::nullopt;
  const std::uint64_t ifd = u32(head, 0);
  const std::string count_bytes = in.read(ifd, 2);
  if (count_bytes.size() < 2) return std::nullopt;
  const std::uint32_t count = std::min<std::uint32_t>(u16(count_bytes, 0), 512);
  const std::string entries = in.read(ifd + 2, static_cast<std::size_t>(count) * 12);
  std::int64_t width = 0, height = 0;
  for (std::size_t i = 0; i + 12 <= entries.size(); i += 12) {
    const std::uint32_t tag = u16(entries, i);
    const std::uint32_t type = u16(entries, i + 2);
    if (tag != 256 && tag != 257) continue;
    // SHORT (3) sits in the first two bytes of the value field, LONG (4) fills it.
    const std::int64_t value = type == 3 ? u16(entries, i + 8) : type == 4 ? u32(entries, i + 8) : 0;
    (tag == 256 ? width : height) = value;
  }
  return sized("tiff", width, height);
}

std::optional<DeclaredImage> webp(Reader& in) {
  const std::string b = in.read(12, 18);  // first chunk header and its first bytes
  if (b.size() < 18) return std::nullopt;
  const std::string_view fourcc = std::string_view(b).substr(0, 4);
  if (fourcc == "VP8X") return sized("webp", le24(b, 12) + 1, le24(b, 15) + 1);
  if (fourcc == "VP8L") {
    if (static_cast<unsigned char>(b[8]) != 0x2F) return std::nullopt;
    const std::uint32_t bits = le32(b, 9);
    return sized("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
  }
  if (fourcc == "VP8 ") {
    // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
    if (static_cast<unsigned char>(b[11]) != 0x9D || static_cast<unsigned char>(b[12]) != 0x01 ||
        static_cast<unsigned char>(b[13]) != 0x2A)
      return std::nullopt;
    return sized("webp", le16(b, 14) & 0x3FFF, le16(b, 16) & 0x3FFF);
  }
  return std::nullopt;
}

}  // namespace

std::optional<DeclaredImage> read_declared_image(const ByteSource& source) {
  Reader in(source);
  const std::string b = in.read(0, 32);
  const std::string_view v(b);
  if (v.size() >= 24 && v.substr(0, 8) == "\x89PNG\r\n\x1A\n" && v.substr(12, 4) == "IHDR")
    return sized("png", be32(v, 16), be32(v, 20));
  if (v.size() >= 3 && v.substr(0, 3) == "\xFF\xD8\xFF") return jpeg(in);
  if (v.size() >= 10 && (v.substr(0, 6) == "GIF87a" || v.substr(0, 6) == "GIF89a"))
    return sized("gif", le16(v, 6), le16(v, 8));
  if (v.size() >= 26 && v.substr(0, 2) == "BM") {
    if (le32(v, 14) == 12) return sized("bmp", le16(v, 18), le16(v, 20));
    const auto height = static_cast<std::int32_t>(le32(v, 22));  // negative: rows top-down
    return sized("bmp", static_cast<std::int32_t>(le32(v, 18)), std::llabs(static_cast<long long>(height)));
  }
  if (v.size() >= 12 && v.substr(0, 4) == "RIFF" && v.substr(8, 4) == "WEBP") return webp(in);
  if (v.size() >= 8 && v.substr(0, 4) == std::string_view("II*\0", 4)) return tiff(in, true);
  if (v.size() >= 8 && v.substr(0, 4) == std::string_view("MM\0*", 4)) return tiff(in, false);
  return std::nullopt;
}

std::optional<DeclaredImage> read_declared_image(std::string_view bytes) {
  return read_declared_image(ByteSource([bytes](std::uint64_t offset, std::size_t length) {
    if (offset >= bytes.size()) return std::string();
    return std::string(bytes.substr(static_cast<std::size_t>(offset), length));
  }));
}

std::optional<DeclaredImage> read_declared_image_file(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return std::nullopt;
  return read_declared_image(ByteSource([&file](std::uint64_t offset, std::size_t length) {
    std::string out(length, '\0');
    if (std::fseek(file.get(), static_cast<long>(offset), SEEK_SET) != 0) return std::string();
    out.resize(std::fread(out.data(), 1, length, file.get()));
    return out;
  }));
}

}  // namespace palimpsest
