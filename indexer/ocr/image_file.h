#pragma once
// An image file's header, read without decoding a pixel (leptonica reads PNG, JPEG, TIFF, WebP,
// GIF, BMP, PNM and JPEG 2000 headers): how the OCR engine knows what a file claims before it
// allocates anything for it.

#include <filesystem>
#include <string>

namespace palimpsest {

struct ImageFileHeader {
  int width = 0;
  int height = 0;
  bool jpeg = false;
  std::string format;  // "png", "jpeg", "tiff"...
};

// Throws OcrError naming the file when it is missing, cannot be opened, or holds no image header
// leptonica knows ("not an image").
ImageFileHeader read_image_file_header(const std::filesystem::path& path);

}  // namespace palimpsest
