#pragma once
// A PDF opened with poppler: page count, metadata, and pages loaded one at a time.
//
// Rules: the file's first 1024 bytes must hold the "%PDF-" signature (checked before poppler sees
// the file, so an HTML page saved as .pdf is named for what it is); an encrypted PDF opens only
// with its password ("encrypted PDF (password required)" otherwise; one whose user password is
// empty opens like any other); a file poppler cannot make a document of is "damaged PDF (...)"
// with poppler's first complaint. Problems poppler reports but recovers from (a rebuilt
// cross-reference table) become warnings. Nothing is printed.
//
// Memory: opening reads the cross-reference table, not the pages. A PdfPage holds one page's
// content until it is destroyed; the document must outlive its pages. poppler's catalogue keeps
// a small record (about 2 KB, the page dictionary) of every page up to the highest one loaded,
// until the document closes: 10 MB for 5000 pages. Not thread-safe: one document per thread.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "indexer/pdf/pdf_error.h"

namespace poppler {
class page;
}

namespace palimpsest {

struct PdfMetadata {
  std::string title;  // UTF-8; empty when the document does not say
  std::string author;
  std::string subject;
  std::string keywords;
  std::string creator;
  std::string producer;
  int version_major = 0;  // from the header, e.g. 1.7
  int version_minor = 0;
};

// A rectangle on a page in points (1/72 inch), origin at the top left of the page as displayed
// (its /Rotate applied), y growing downwards: the frame of the page's rendering.
struct PdfRect {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
  double right() const { return x + width; }
  double bottom() const { return y + height; }
};

// A word of a page's text layer.
struct PdfWord {
  std::string text;  // UTF-8
  PdfRect box;
  bool space_after = false;  // poppler saw a space between this word and the next on its line
};

class PdfPage {
 public:
  PdfPage(PdfPage&&) noexcept;
  PdfPage& operator=(PdfPage&&) noexcept;
  ~PdfPage();

  int number() const;     // 1-based
  double width() const;   // points, as displayed
  double height() const;
  int rotation() const;   // the page's /Rotate: 0, 90, 180 or 270

  // The text layer, word by word, in poppler's reading order (blocks, then lines).
  std::vector<PdfWord> words() const;

  // For indexer/pdf: the poppler page.
  const poppler::page& native() const;

 private:
  friend class PdfDocument;
  struct Impl;
  explicit PdfPage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class PdfDocument {
 public:
  // Throws PdfError naming the file: missing or unreadable, not a PDF, encrypted without the
  // right password, damaged.
  explicit PdfDocument(const std::filesystem::path& path, const std::string& password = {});
  ~PdfDocument();
  PdfDocument(const PdfDocument&) = delete;
  PdfDocument& operator=(const PdfDocument&) = delete;

  const std::filesystem::path& path() const;
  int page_count() const;
  const PdfMetadata& metadata() const;
  bool encrypted() const;  // it is, and it was opened (empty user password, or the one given)
  const std::vector<std::string>& warnings() const;

  // Page `number` (1-based). Throws PdfError when out of range or when poppler cannot load it.
  PdfPage page(int number) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when "%PDF-" occurs in the first 1024 bytes of `head`.
bool has_pdf_signature(std::string_view head);

// "" when the file starts like a PDF, else why not: "no %PDF- signature; the content is HTML"
// (or an image, text, a ZIP archive...). Throws PdfError for a missing or unreadable file.
std::string pdf_signature_problem(const std::filesystem::path& path);

// Throws PdfError "<file>: not a PDF (<problem>)" unless the file starts like a PDF.
void require_pdf_signature(const std::filesystem::path& path);

}  // namespace palimpsest
