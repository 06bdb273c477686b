#pragma once
// Pictures on their way into tesseract, in leptonica's terms (internal to indexer/ocr): RgbImage
// to PIX, area-averaged downscaling, and image files read header first so that a file's claimed
// size is known before any pixel is decoded.

#include <filesystem>
#include <string>

#include "indexer/media/rgb_image.h"
#include "indexer/ocr/image_file.h"
#include "indexer/ocr/leptonica_handles.h"

namespace palimpsest::ocr_detail {

// Silences leptonica's messages on stderr, process-wide (idempotent).
void silence_leptonica();

// A 32-bit RGB PIX with the pixels of `image` (which must be consistent).
PixPtr pix_from_rgb(const RgbImage& image);

// `pix` (32 bpp) shrunk by area averaging to width x height.
PixPtr shrink_pix(PIX* pix, int width, int height);

// Decodes the file (JPEG at 1/`reduction` size: 1, 2, 4 or 8) to 32-bit RGB with any alpha
// blended onto white. Throws OcrError naming the file when decoding fails.
PixPtr decode_image_file(const std::filesystem::path& path, int reduction);

}  // namespace palimpsest::ocr_detail
