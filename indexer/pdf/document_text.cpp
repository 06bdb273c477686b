#include "indexer/pdf/document_text.h"

#include <memory>

#include "indexer/ocr/image_file.h"
#include "indexer/pdf/page_renderer.h"
#include "indexer/pdf/pdf_document.h"
#include "indexer/pdf/pdf_pages.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

void append_paragraph(std::string& text, const std::string& paragraph) {
  if (paragraph.empty()) return;
  if (!text.empty()) text += "\n\n";
  text += paragraph;
}

void append_ocr(DocumentText& out, const OcrResult& result) {
  for (const OcrBlock& block : result.blocks) {
    for (const OcrParagraph& paragraph : block.paragraphs) append_paragraph(out.text, paragraph.text());
  }
  out.warnings.insert(out.warnings.end(), result.warnings.begin(), result.warnings.end());
}

// Loads the OCR engine the first time a page needs it.
class LazyEngine {
 public:
  LazyEngine(OcrEngine* given, const OcrOptions& options) : engine_(given), options_(options) {}
  OcrEngine& get() {
    if (!engine_) {
      owned_ = std::make_unique<OcrEngine>(options_);
      engine_ = owned_.get();
    }
    return *engine_;
  }

 private:
  OcrEngine* engine_;
  const OcrOptions& options_;
  std::unique_ptr<OcrEngine> owned_;
};

DocumentText pdf_text(const fs::path& path, LazyEngine& engine, const DocumentTextOptions& options) {
  DocumentText out;
  const PdfDocument document(path, options.password);
  out.warnings = document.warnings();
  PdfReadOptions read;
  read.render = false;
  read.ocr_dpi = options.ocr_dpi;
  read.rendering.pixel_budget = options.pixel_budget;
  read.min_text_layer_characters = options.min_text_layer_characters;
  read.progress = options.progress;
  out.pages = read_pdf_pages(document, read, [&](PdfPageContent&& page) {
    out.warnings.insert(out.warnings.end(), page.warnings.begin(), page.warnings.end());
    const std::string name = path.string() + ": page " + std::to_string(page.number);
    if (page.has_text_layer) {
      for (const PdfParagraph& paragraph : page.paragraphs) append_paragraph(out.text, paragraph.text);
      ++out.pages_from_text_layer;
      return;
    }
    if (page.ocr_rendering.image.empty()) {  // not loaded or not rendered: a warning says why
      ++out.pages_without_text;
      return;
    }
    const OcrResult result = engine.get().recognize(page.ocr_rendering.image, name,
                                                    static_cast<int>(page.ocr_rendering.dpi));
    if (result.has_text()) {
      append_ocr(out, result);
      ++out.pages_from_ocr;
    } else if (page.text_characters > 0) {
      // OCR read nothing, but the page's scant text layer said something: keep that.
      for (const PdfParagraph& paragraph : page.paragraphs) append_paragraph(out.text, paragraph.text);
      ++out.pages_from_text_layer;
    } else {
      out.warnings.insert(out.warnings.end(), result.warnings.begin(), result.warnings.end());
      out.warnings.push_back(name + ": no text (no text layer, and OCR read nothing: " +
                             std::string(to_string(result.empty_reason)) + ")");
      ++out.pages_without_text;
    }
  });
  return out;
}

DocumentText image_text(const fs::path& path, LazyEngine& engine) {
  DocumentText out;
  out.pages = 1;
  const OcrResult result = engine.get().recognize_file(path);
  if (result.has_text()) {
    append_ocr(out, result);
    out.pages_from_ocr = 1;
  } else {
    out.warnings.insert(out.warnings.end(), result.warnings.begin(), result.warnings.end());
    out.warnings.push_back(path.string() + ": no text (OCR read nothing: " +
                           std::string(to_string(result.empty_reason)) + ")");
    out.pages_without_text = 1;
  }
  return out;
}

DocumentText run(const fs::path& path, LazyEngine& engine, const DocumentTextOptions& options) {
  const std::string problem = pdf_signature_problem(path);  // throws for a missing file
  if (problem.empty()) return pdf_text(path, engine, options);
  try {
    read_image_file_header(path);
  } catch (const OcrError&) {
    throw PdfError(path.string() + ": neither a PDF nor an image (" + problem + ")");
  }
  return image_text(path, engine);
}

}  // namespace

DocumentText document_text(const fs::path& path, const DocumentTextOptions& options) {
  LazyEngine engine(nullptr, options.ocr);
  return run(path, engine, options);
}

DocumentText document_text(const fs::path& path, OcrEngine& engine,
                           const DocumentTextOptions& options) {
  LazyEngine lazy(&engine, options.ocr);
  return run(path, lazy, options);
}

}  // namespace palimpsest
