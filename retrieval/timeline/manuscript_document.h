#pragma once
// Manuscripts that are documents rather than text files: a PDF (its text layer, or OCR for pages
// without one) or the image of a typed page (OCR), through indexer/pdf's document_text. The text
// then follows the plain-text or Fountain rules like any manuscript (manuscript.h).
//
// Rules: a file is a document when it starts with "%PDF-" (within its first 1024 bytes) or is an
// image leptonica can read; anything else is left to the text rules. A document that yields no
// text (a blank scan, a photograph, an image-only PDF that OCR cannot read) is one
// ManuscriptError naming the file; so is a PDF that cannot be opened (encrypted, damaged).
// Pages read by OCR and pages without text become warnings on the timeline.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace palimpsest {

struct DocumentManuscript {
  std::string text;
  std::vector<std::string> warnings;  // one line each, naming the file (and page)
};

// nullopt when `path` is not a PDF or an image. Throws ManuscriptError as said above.
std::optional<DocumentManuscript> read_document_manuscript(const std::filesystem::path& path);

}  // namespace palimpsest
