#pragma once
// Decompression bombs for tests: small PNG files that declare huge pictures. Header-only (zlib).

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace palimpsest::testing {

namespace png_detail {
inline void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}
inline void chunk(std::string& out, const char* type, const std::string& data) {
  put32(out, static_cast<std::uint32_t>(data.size()));
  const std::string typed = std::string(type, 4) + data;
  out += typed;
  put32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(typed.data()),
                                               static_cast<uInt>(typed.size()))));
}
}  // namespace png_detail

// An 8-bit grayscale PNG of width x height, all black. With `rows` < height, the image data stops
// after that many rows (a truncated file, but its header still declares the whole size); with
// rows = height it is complete and valid: about 1 KB per megapixel on disk, width*height bytes
// (and more as RGB) once decoded.
inline std::string png_bomb(std::uint32_t width, std::uint32_t height, std::uint32_t rows) {
  std::string ihdr;
  png_detail::put32(ihdr, width);
  png_detail::put32(ihdr, height);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // depth 8, gray, deflate, filter 0, no interlace
  z_stream z{};
  if (deflateInit(&z, 9) != Z_OK) throw std::runtime_error("deflateInit");
  const std::vector<unsigned char> row(static_cast<std::size_t>(width) + 1, 0);  // filter byte + pixels
  std::string idat;
  std::vector<unsigned char> out(1 << 16);
  for (std::uint32_t y = 0; y <= rows; ++y) {
    const bool last = y == rows;
    z.next_in = const_cast<Bytef*>(row.data());
    z.avail_in = last ? 0 : static_cast<uInt>(row.size());
    do {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      idat.append(reinterpret_cast<const char*>(out.data()), out.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  std::string png = "\x89PNG\r\n\x1A\n";
  png_detail::chunk(png, "IHDR", ihdr);
  png_detail::chunk(png, "IDAT", idat);
  png_detail::chunk(png, "IEND", "");
  return png;
}

}  // namespace palimpsest::testing
