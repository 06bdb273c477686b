#include "indexer/ocr/leptonica_image.h"

#include <cstdio>
#include <mutex>
#include <system_error>

#include "indexer/ocr/ocr_error.h"

namespace palimpsest::ocr_detail {
namespace {

void discard_message(const char*) {}

std::string format_name(l_int32 format) {
  switch (format) {
    case IFF_BMP: return "bmp";
    case IFF_JFIF_JPEG: return "jpeg";
    case IFF_PNG: return "png";
    case IFF_TIFF: case IFF_TIFF_PACKBITS: case IFF_TIFF_RLE: case IFF_TIFF_G3:
    case IFF_TIFF_G4: case IFF_TIFF_LZW: case IFF_TIFF_ZIP: case IFF_TIFF_JPEG: return "tiff";
    case IFF_PNM: return "pnm";
    case IFF_GIF: return "gif";
    case IFF_JP2: return "jp2";
    case IFF_WEBP: return "webp";
    default: return "image";
  }
}

}  // namespace

void silence_leptonica() {
  static std::once_flag once;
  std::call_once(once, [] {
    setMsgSeverity(L_SEVERITY_NONE);
    leptSetStderrHandler(discard_message);
  });
}

PixPtr pix_from_rgb(const RgbImage& image) {
  PixPtr pix(pixCreate(image.width, image.height, 32));
  if (!pix) throw OcrError("cannot allocate a " + std::to_string(image.width) + "x" +
                           std::to_string(image.height) + " picture for OCR");
  l_uint32* data = pixGetData(pix.get());
  const l_int32 words_per_line = pixGetWpl(pix.get());
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t* source = image.row(y);
    l_uint32* line = data + static_cast<std::size_t>(y) * words_per_line;
    for (int x = 0; x < image.width; ++x, source += 3) {
      composeRGBPixel(source[0], source[1], source[2], line + x);
    }
  }
  return pix;
}

PixPtr shrink_pix(PIX* pix, int width, int height) {
  const float scale_x = static_cast<float>(width) / pixGetWidth(pix);
  const float scale_y = static_cast<float>(height) / pixGetHeight(pix);
  PixPtr scaled(pixScaleAreaMap(pix, scale_x, scale_y));
  if (!scaled) throw OcrError("cannot downscale a picture for OCR");
  return scaled;
}

}  // namespace palimpsest::ocr_detail

namespace palimpsest {

ImageFileHeader read_image_file_header(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw OcrError(path.string() + ": no such file");
  }
  std::FILE* probe = std::fopen(path.c_str(), "rb");
  if (!probe) throw OcrError(path.string() + ": cannot open the file");
  std::fclose(probe);
  ocr_detail::silence_leptonica();
  l_int32 format = 0, width = 0, height = 0, bits = 0, samples = 0, colormap = 0;
  if (pixReadHeader(path.c_str(), &format, &width, &height, &bits, &samples, &colormap) != 0 ||
      width <= 0 || height <= 0) {
    throw OcrError(path.string() + ": not an image (no known image header)");
  }
  return {width, height, format == IFF_JFIF_JPEG, ocr_detail::format_name(format)};
}

}  // namespace palimpsest

namespace palimpsest::ocr_detail {

PixPtr decode_image_file(const std::filesystem::path& path, int reduction) {
  silence_leptonica();
  PixPtr pix(reduction > 1 ? pixReadJpeg(path.c_str(), 0, reduction, nullptr, 0)
                           : pixRead(path.c_str()));
  if (!pix) throw OcrError(path.string() + ": cannot decode the image (corrupt or truncated)");
  if (pixGetSpp(pix.get()) == 4) {
    PixPtr opaque(pixAlphaBlendUniform(pix.get(), 0xffffff00));
    if (opaque) pix = std::move(opaque);
  }
  if (pixGetDepth(pix.get()) != 32 || pixGetColormap(pix.get())) {
    PixPtr rgb(pixConvertTo32(pix.get()));
    if (!rgb) throw OcrError(path.string() + ": unsupported pixel format for OCR");
    pix = std::move(rgb);
  }
  return pix;
}

}  // namespace palimpsest::ocr_detail
