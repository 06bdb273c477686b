#pragma once
// Owning handles for leptonica objects (tesseract's image library), so that every early return
// and exception frees them. leptonica's destroy functions take a pointer-to-pointer and null it;
// the deleters adapt them to std::unique_ptr. Only .cpp files include this header.

#include <memory>

#include <leptonica/allheaders.h>

namespace palimpsest {

namespace lept_detail {
struct PixDeleter {
  void operator()(PIX* pix) const { pixDestroy(&pix); }
};
}  // namespace lept_detail

using PixPtr = std::unique_ptr<PIX, lept_detail::PixDeleter>;

}  // namespace palimpsest
