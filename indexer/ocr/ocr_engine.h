#pragma once
// Reads the writing in a picture with tesseract, in process. An OcrEngine owns one tesseract
// instance with its languages loaded (loading takes a while: keep the engine and feed it many
// pictures). It is not thread-safe: use one engine per thread. tesseract's and leptonica's own
// messages never reach stderr; what matters comes back as warnings or an OcrError.
//
// Per picture:
//   1. Pixel budget. A picture above OcrOptions::pixel_budget (or with a side above tesseract's
//      limit of 32767) is recognised downscaled to fit, with a warning saying so, or refused with
//      an OcrError when OcrOptions::over_budget is `refuse`. Files are judged by the size their
//      header claims, before any pixel is decoded (recognize_file).
//   2. Text-likelihood test (automatic page segmentation only). tesseract's page layout analysis
//      runs alone: thresholding, connected components, text line and column finding. It is the
//      first stage of recognition (Recognize() reuses its result), so a picture in which it finds
//      no text region would yield no text from recognition either: the test saves the
//      recognition stage without losing anything recognition would have read. A photograph
//      without writing costs only this stage (see bench/ocr_bench.cpp for its cost).
//   3. Recognition, then words below OcrOptions::min_word_confidence are dropped and a result
//      whose mean confidence is below OcrOptions::low_confidence is flagged (and warned about).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "indexer/media/rgb_image.h"
#include "indexer/ocr/ocr_error.h"
#include "indexer/ocr/ocr_result.h"

namespace palimpsest {

enum class OverBudget { downscale, refuse };

struct OcrOptions {
  std::string languages = "eng";          // tesseract's syntax: "deu+eng" (see tessdata.h)
  std::filesystem::path tessdata;         // empty: $TESSDATA_PREFIX, else Debian's folder
  int page_segmentation = 3;              // tesseract's --psm; 3 = automatic, as its CLI
  long long pixel_budget = 16'000'000;    // larger pictures are downscaled or refused
  OverBudget over_budget = OverBudget::downscale;
  long long max_decode_pixels = 64'000'000;  // recognize_file: larger claims are never decoded
  // Measured on bench/ocr_bench.cpp's pages rendered at 70 dpi (degraded: CER 0.1-59 %): words
  // below 20 were wrong 16 times out of 17; clean 200-dpi pages have no word below 30. Results
  // whose mean confidence was below 70 had a CER of 8 % or more, those above 79 at most 2.4 %.
  float min_word_confidence = 20;         // words below are dropped
  float low_confidence = 70;              // results below are flagged
  bool text_test = true;                  // run the text-likelihood test first
};

// What the text-likelihood test saw.
struct TextLikelihood {
  bool likely = false;    // a text region was found
  int text_blocks = 0;    // regions tesseract's layout analysis classed as text
  int text_lines = 0;     // lines in them
};

class OcrEngine {
 public:
  // Loads the languages. Throws OcrError for an unknown or uninstalled language (listing the
  // installed ones), a missing tessdata folder, an unsupported page segmentation mode, or a
  // model tesseract cannot load.
  explicit OcrEngine(OcrOptions options = {});
  ~OcrEngine();
  OcrEngine(const OcrEngine&) = delete;
  OcrEngine& operator=(const OcrEngine&) = delete;

  // Reads `image`. `name` names the picture in warnings and errors ("scan.png",
  // "film.mp4 @ 00:12.000"). `dpi` is its resolution when known (a rendered PDF page); 0 lets
  // tesseract estimate it from the text. Throws OcrError for an empty or inconsistent image, a
  // picture refused by the budget, or a tesseract failure.
  OcrResult recognize(const RgbImage& image, std::string_view name = "image", int dpi = 0);

  // Reads an image file (PNG, JPEG, TIFF, WebP, GIF, BMP, PNM: what leptonica decodes). Its
  // header is read first: a file that claims more than max_decode_pixels is refused without
  // being decoded, except JPEG, which is decoded at 1/2, 1/4 or 1/8 size to fit when it can.
  // Throws OcrError naming the file.
  OcrResult recognize_file(const std::filesystem::path& path);

  // Only the text-likelihood test (what recognize() runs first).
  TextLikelihood assess(const RgbImage& image, std::string_view name = "image");

  const OcrOptions& options() const;
  // Languages loaded, in order ("deu", "eng").
  const std::vector<std::string>& languages() const;
  // What made a result, stored with every derived record: "tesseract 5.3.0".
  std::string engine() const;
  // The model: languages and page segmentation, e.g. "eng psm3".
  std::string model() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace palimpsest
