#pragma once
// "Give me the text of this PDF or page image": the plain text of a document, for manuscripts
// made from PDFs and scans. A PDF gives each page's text layer, or, for a page without one, what
// the OCR engine reads in its rendering; an image file (a scanned or photographed page) is read
// with the OCR engine. Paragraphs are separated by a blank line and their lines by '\n' (the
// plain-text manuscript rules), pages by a blank line too. The OCR engine is loaded only when a
// page needs it.
//
//   DocumentText text = document_text("screenplay.pdf");
//   parse_plain_text(text.text, "screenplay.pdf");

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "indexer/ocr/ocr_engine.h"
#include "indexer/pdf/pdf_error.h"

namespace palimpsest {

struct DocumentTextOptions {
  std::string password;               // for an encrypted PDF
  double ocr_dpi = 300;               // pages without a text layer are rendered at this for OCR
  long long pixel_budget = 16'000'000;
  int min_text_layer_characters = 16;
  OcrOptions ocr;                     // languages, confidence floor...
  std::function<void(int, int)> progress;  // (pages done, page count)
};

struct DocumentText {
  std::string text;
  int pages = 0;                      // 1 for an image
  int pages_from_text_layer = 0;
  int pages_from_ocr = 0;
  int pages_without_text = 0;         // neither a text layer nor OCR found any
  std::vector<std::string> warnings;  // one line each, naming the file (and page)
};

// Throws PdfError (a PDF that cannot be opened: damaged, encrypted...) or OcrError (an image
// that cannot be read, an OCR language that is not installed), naming the file; a file that is
// neither a PDF nor an image is a PdfError.
DocumentText document_text(const std::filesystem::path& path,
                           const DocumentTextOptions& options = {});

// The same with an engine the caller keeps (loaded once for many documents).
DocumentText document_text(const std::filesystem::path& path, OcrEngine& engine,
                           const DocumentTextOptions& options = {});

}  // namespace palimpsest
