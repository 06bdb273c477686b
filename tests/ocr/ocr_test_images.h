#pragma once
// Writing test pictures to files (PNG and JPEG through leptonica, as tesseract's CLI reads them)
// and a PNG header that claims any size, for the OCR tests.

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "indexer/media/rgb_image.h"
#include "indexer/ocr/leptonica_image.h"
#include "tests/common/test_support.h"

namespace palimpsest::testing {

inline void write_png(const RgbImage& image, const std::filesystem::path& path) {
  PixPtr pix = ocr_detail::pix_from_rgb(image);
  if (pixWrite(path.c_str(), pix.get(), IFF_PNG) != 0) throw std::runtime_error("cannot write " + path.string());
}

inline void write_jpeg(const RgbImage& image, const std::filesystem::path& path, int quality) {
  PixPtr pix = ocr_detail::pix_from_rgb(image);
  if (pixWriteJpeg(path.c_str(), pix.get(), quality, 0) != 0) throw std::runtime_error("cannot write " + path.string());
}

inline std::uint32_t crc32_of(const std::string& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// A PNG whose header claims width x height RGB pixels, followed by a few bytes of image data:
// what a hostile or broken file looks like to a reader that trusts headers.
inline void write_png_claiming(const std::filesystem::path& path, std::uint32_t width,
                               std::uint32_t height) {
  auto be32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    return be32(static_cast<std::uint32_t>(data.size())) + type + data + be32(crc32_of(type + data));
  };
  const std::string ihdr = be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  const std::string idat("\x78\x9c\x63\x00\x00\x00\x01\x00\x01", 9);
  write_file(path, std::string("\x89PNG\r\n\x1A\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", idat) +
                       chunk("IEND", ""));
}

}  // namespace palimpsest::testing
