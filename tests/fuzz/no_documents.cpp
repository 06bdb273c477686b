// The fuzz build's stand-in for retrieval/timeline/manuscript_document.cpp: the parsers are fuzzed
// on text in memory, never on files, so the PDF/OCR reading (poppler, tesseract, leptonica) is
// left out of the sanitized build and every path counts as "not a document".
#include "retrieval/timeline/manuscript_document.h"

namespace palimpsest {

std::optional<DocumentManuscript> read_document_manuscript(const std::filesystem::path&) { return std::nullopt; }

}  // namespace palimpsest
