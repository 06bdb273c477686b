#pragma once
// The size a still image declares in its own header (PNG, JPEG, GIF, BMP, WebP, TIFF), read
// without decoding anything, so that a decoder can be told no before it allocates a picture.
// Reads only the few bytes it needs (a JPEG's segments are skipped by their lengths, a TIFF's
// first directory is read where its offset points), never more than 64 KiB in all.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace palimpsest {

struct DeclaredImage {
  std::string format;  // "png", "jpeg", "gif", "bmp", "webp", "tiff"
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::int64_t pixels() const { return width * height; }
};

// Bytes [offset, offset + length) of the input, fewer at its end.
using ByteSource = std::function<std::string(std::uint64_t offset, std::size_t length)>;

// The declared size; nullopt when the input is not one of these formats, its header is cut short
// or damaged, or it declares an empty size.
std::optional<DeclaredImage> read_declared_image(const ByteSource& source);
std::optional<DeclaredImage> read_declared_image(std::string_view bytes);
// Of a file (nullopt as well when it cannot be read).
std::optional<DeclaredImage> read_declared_image_file(const std::filesystem::path& path);

}  // namespace palimpsest
