#pragma once
// A typed page that looks scanned, for the demo archive: lines set in Courier (PdfWriter),
// rendered by poppler, then given a flatbed scanner's flaws — a slight skew, warm and unevenly lit
// paper, ink that is never quite black, a soft blur, sensor noise and dust specks — and saved as
// a PDF whose one page is only that picture, with no text layer, as scanners write them. Reading
// it needs OCR.
//
// Deterministic: the same lines and seed give the same file.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "indexer/media/rgb_image.h"

namespace palimpsest::demo {

struct ScannedPageOptions {
  std::uint64_t seed = 1;
  double width_in = 6.0;   // page size in inches
  double height_in = 4.5;
  double dpi = 150;        // the scan's resolution
  double font_size = 11;   // points
  double skew_degrees = 0.7;
};

// The page as scanned. Throws PdfError when poppler cannot render the typed page; `work_dir`
// holds the typed PDF while it is rendered (a hidden file, removed).
RgbImage scan_typed_page(const std::vector<std::string>& lines, const std::filesystem::path& work_dir,
                         const ScannedPageOptions& options = {});

// scan_typed_page() written to `pdf` as a one-page picture-only PDF of the page's size.
void write_scanned_page(const std::filesystem::path& pdf, const std::vector<std::string>& lines,
                        const ScannedPageOptions& options = {});

}  // namespace palimpsest::demo
