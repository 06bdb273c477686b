#pragma once
// Reads a PDF page by page, streaming: each page is loaded, its text layer grouped into
// paragraphs, rendered if asked, handed to the caller and released before the next one, so a
// 5000-page PDF is read in the memory of one page (plus poppler's 2 KB record per page, see
// pdf_document.h). A progress callback follows the pages.
//
// A page "has a text layer" when its text holds at least `min_text_layer_characters` readable
// characters (letters and digits; see readable_characters): a page whose only text is a page
// number, or glyphs from a font without a Unicode map, has none, and is the caller's OCR
// candidate (render it and give it to an OcrEngine, as document_text() does).

#include <functional>
#include <string>
#include <vector>

#include "indexer/media/rgb_image.h"
#include "indexer/pdf/page_renderer.h"
#include "indexer/pdf/pdf_document.h"
#include "indexer/pdf/pdf_text_layout.h"

namespace palimpsest {

struct PdfReadOptions {
  bool text = true;     // read the text layer
  bool render = true;   // render every page (PdfPageContent::rendering)
  PageRenderOptions rendering;
  // When > 0, a page without a text layer is also rendered at this resolution for OCR
  // (PdfPageContent::ocr_rendering; same pixel budget as `rendering`).
  double ocr_dpi = 0;
  int min_text_layer_characters = 16;
  // Called after each page with (pages done, page count); may be empty.
  std::function<void(int, int)> progress;
};

struct PdfPageContent {
  int number = 0;        // 1-based
  int page_count = 0;
  double width = 0;      // points, as displayed
  double height = 0;
  bool has_text_layer = false;
  int text_characters = 0;  // readable characters in the text layer
  std::vector<PdfParagraph> paragraphs;  // what text there is, even when too little to count
  RenderedPage rendering;                // empty image unless PdfReadOptions::render
  RenderedPage ocr_rendering;            // an OCR candidate's rendering at ocr_dpi
  std::vector<std::string> warnings;     // one line each, naming the file and page
};

// Calls `visit` for every page in order. A page poppler cannot load or render becomes a warning
// on what is delivered for it (a page that cannot be loaded at all is delivered with only its
// number and the warning); the rest of the document goes on. Returns the number of pages.
int read_pdf_pages(const PdfDocument& document, const PdfReadOptions& options,
                   const std::function<void(PdfPageContent&&)>& visit);

// One page, as read_pdf_pages delivers it.
PdfPageContent read_pdf_page(const PdfDocument& document, int number,
                             const PdfReadOptions& options);

}  // namespace palimpsest
