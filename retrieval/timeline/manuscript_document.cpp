#include "retrieval/timeline/manuscript_document.h"

#include <fstream>

#include "indexer/ocr/image_file.h"
#include "indexer/ocr/ocr_error.h"
#include "indexer/pdf/document_text.h"
#include "indexer/pdf/pdf_document.h"
#include "retrieval/timeline/manuscript_error.h"

namespace palimpsest {
namespace {

bool is_document(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (has_pdf_signature(head)) return true;
  try {
    read_image_file_header(path);
    return true;
  } catch (const OcrError&) {
    return false;  // not an image: the text rules decide
  }
}

// The engines name the file; the ManuscriptError names it too.
std::string without_file(const std::string& message, const std::filesystem::path& path) {
  const std::string prefix = path.string() + ": ";
  return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
}

}  // namespace

std::optional<DocumentManuscript> read_document_manuscript(const std::filesystem::path& path) {
  if (!is_document(path)) return std::nullopt;
  DocumentText document;
  try {
    document = document_text(path);
  } catch (const PdfError& e) {
    throw ManuscriptError(path.string(), 0, 0, without_file(e.what(), path));
  } catch (const OcrError& e) {
    throw ManuscriptError(path.string(), 0, 0, without_file(e.what(), path));
  }
  if (document.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    const std::string what = document.pages == 1 && document.pages_from_text_layer == 0
                                 ? "no text found: OCR read nothing in it"
                                 : "no text found: no page has a text layer, and OCR read nothing on " +
                                       std::to_string(document.pages) + " page(s)";
    throw ManuscriptError(path.string(), 0, 0, what);
  }
  return DocumentManuscript{std::move(document.text), std::move(document.warnings)};
}

}  // namespace palimpsest
