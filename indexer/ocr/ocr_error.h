#pragma once
// The one exception the OCR engine throws: a single line naming the input (file, image or
// language) and what is wrong with it, never tesseract's or leptonica's own output.

#include <stdexcept>

namespace palimpsest {

class OcrError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace palimpsest
