#pragma once
// The one exception the PDF reader throws: a single line naming the file and what is wrong with
// it ("encrypted PDF (password required)", "damaged PDF (...)", "not a PDF ..."), never poppler's
// own output.

#include <stdexcept>

namespace palimpsest {

class PdfError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace palimpsest
