#pragma once
// Renders a PDF page to an RgbImage with poppler's Splash backend (anti-aliased, white paper).
// The resolution asked for is capped so that the image holds at most `pixel_budget` pixels and
// no side exceeds 32767 (tesseract's limit): a page of absurd size is rendered smaller, never
// allocated whole. The page's frame is its crop box with its /Rotate applied, so PdfRect
// coordinates map to pixels by dpi / 72.

#include <string>

#include "indexer/media/rgb_image.h"
#include "indexer/pdf/pdf_document.h"

namespace palimpsest {

struct PageRenderOptions {
  double dpi = 150;                    // wanted resolution
  long long pixel_budget = 16'000'000; // the image never holds more
};

struct RenderedPage {
  RgbImage image;
  double dpi = 0;        // the resolution used: dpi, or less when capped
  bool capped = false;   // the budget lowered it
};

// Throws PdfError naming the file and page when poppler cannot render it.
RenderedPage render_page(const PdfDocument& document, const PdfPage& page,
                         const PageRenderOptions& options = {});

// The resolution render_page would use for a page of width x height points.
double capped_dpi(double width_pt, double height_pt, const PageRenderOptions& options);

}  // namespace palimpsest
