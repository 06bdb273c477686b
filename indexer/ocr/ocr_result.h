#pragma once
// What the OCR engine read in one picture: blocks of paragraphs of lines of words, each with its
// box in pixel coordinates of the picture that was passed in (even when it was recognised
// downscaled) and tesseract's confidence (0..100), plus the text in reading order.
//
// Rules: words below the confidence floor are dropped (and counted), and containers left empty
// by that are dropped too; `text` is built from the kept words only (words joined by a space,
// lines by '\n', paragraphs and blocks by a blank line). A result without any kept word is
// "no text": has_text() is false and the caller makes no record of it.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace palimpsest {

struct OcrBox {
  int x = 0;  // left, in pixels of the input picture
  int y = 0;  // top
  int width = 0;
  int height = 0;
};

struct OcrWord {
  std::string text;  // UTF-8
  OcrBox box;
  float confidence = 0;
};

struct OcrLine {
  OcrBox box;
  std::vector<OcrWord> words;
};

struct OcrParagraph {
  OcrBox box;
  std::vector<OcrLine> lines;
  std::string text() const;  // lines joined by '\n'
};

struct OcrBlock {
  OcrBox box;
  std::vector<OcrParagraph> paragraphs;
};

// Why a result holds no text.
enum class OcrEmptyReason {
  none,             // it has text
  text_test,        // the text-likelihood test found no text region; recognition was not run
  nothing_read,     // recognition ran and read nothing
  low_confidence,   // recognition read only words below the confidence floor
};

struct OcrResult {
  std::vector<OcrBlock> blocks;
  std::string text;              // reading order; empty when there is no text
  float confidence = 0;          // mean word confidence of kept words, weighted by their length
  bool low_confidence = false;   // confidence below OcrOptions::low_confidence
  int words_kept = 0;
  int words_dropped = 0;         // below OcrOptions::min_word_confidence
  OcrEmptyReason empty_reason = OcrEmptyReason::nothing_read;
  int width = 0;                 // the input picture
  int height = 0;
  double scale = 1.0;            // < 1 when the picture was recognised downscaled
  std::vector<std::string> warnings;  // one line each, naming the input

  bool has_text() const { return !text.empty(); }
};

std::string_view to_string(OcrEmptyReason reason);

// {"text", "confidence", "low_confidence", "words_dropped", "scale", "blocks": [{"box": [x, y, w,
// h], "paragraphs": [{"box", "lines": [{"box", "words": [{"text", "box", "conf"}]}]}]}]}:
// the shape an `ocr` record keeps in its meta.
nlohmann::json to_json(const OcrResult& result);

}  // namespace palimpsest
