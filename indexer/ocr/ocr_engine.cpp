#include "indexer/ocr/ocr_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include "indexer/ocr/leptonica_image.h"
#include "indexer/ocr/pixel_budget.h"
#include "indexer/ocr/tessdata.h"

namespace palimpsest {
namespace {

std::string megapixels(double pixels) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f Mpx", pixels / 1e6);
  return buffer;
}

std::string size_text(long long width, long long height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

// Code points in a UTF-8 string (continuation bytes are not counted).
int code_points(const std::string& text) {
  return static_cast<int>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// A string tesseract allocated with new[] for the caller.
struct TessText {
  char* text = nullptr;
  ~TessText() { delete[] text; }
};

OcrBox unite(const OcrBox& a, const OcrBox& b) {
  if (a.width <= 0 || a.height <= 0) return b;
  const int left = std::min(a.x, b.x), top = std::min(a.y, b.y);
  const int right = std::max(a.x + a.width, b.x + b.width);
  const int bottom = std::max(a.y + a.height, b.y + b.height);
  return {left, top, right - left, bottom - top};
}

// Boxes of kept words make their containers' boxes; empty containers are removed.
void prune_and_box(std::vector<OcrBlock>& blocks) {
  for (OcrBlock& block : blocks) {
    for (OcrParagraph& paragraph : block.paragraphs) {
      std::erase_if(paragraph.lines, [](const OcrLine& line) { return line.words.empty(); });
      for (OcrLine& line : paragraph.lines) {
        line.box = {};
        for (const OcrWord& word : line.words) line.box = unite(line.box, word.box);
      }
    }
    std::erase_if(block.paragraphs,
                  [](const OcrParagraph& paragraph) { return paragraph.lines.empty(); });
    for (OcrParagraph& paragraph : block.paragraphs) {
      paragraph.box = {};
      for (const OcrLine& line : paragraph.lines) paragraph.box = unite(paragraph.box, line.box);
    }
  }
  std::erase_if(blocks, [](const OcrBlock& block) { return block.paragraphs.empty(); });
  for (OcrBlock& block : blocks) {
    block.box = {};
    for (const OcrParagraph& paragraph : block.paragraphs) {
      block.box = unite(block.box, paragraph.box);
    }
  }
}

std::string page_text(const std::vector<OcrBlock>& blocks) {
  std::string text;
  for (const OcrBlock& block : blocks) {
    for (const OcrParagraph& paragraph : block.paragraphs) {
      if (!text.empty()) text += "\n\n";
      text += paragraph.text();
    }
  }
  return text;
}

}  // namespace

struct OcrEngine::Impl {
  OcrOptions options;
  std::vector<std::string> languages;
  tesseract::TessBaseAPI api;

  // A picture scaled for recognition: what SetImage gets and how to map boxes back.
  struct Prepared {
    int width = 0;   // of the original picture
    int height = 0;
    BudgetFit fit;
    std::string over;  // "<name>: WxH pixels (N Mpx) exceed <limit>" when scaled
  };

  Prepared prepare(int width, int height, std::string_view name) const {
    Prepared prepared{width, height, fit_pixel_budget(width, height, options.pixel_budget), {}};
    if (!prepared.fit.scaled) return prepared;
    const double pixels = static_cast<double>(width) * height;
    prepared.over = std::string(name) + ": " + size_text(width, height) + " pixels (" +
                    megapixels(pixels) + ") exceed " +
                    (pixels > static_cast<double>(options.pixel_budget)
                         ? "the OCR pixel budget of " + megapixels(options.pixel_budget)
                         : "tesseract's limit of " + std::to_string(kTesseractMaxSide) +
                               " pixels per side");
    if (options.over_budget == OverBudget::refuse) throw OcrError(prepared.over + "; refused");
    return prepared;
  }

  void warn_downscaled(const Prepared& prepared, OcrResult& result) const {
    if (!prepared.fit.scaled) return;
    result.warnings.push_back(prepared.over + "; recognised downscaled to " +
                              size_text(prepared.fit.width, prepared.fit.height));
  }

  // Sets the picture: the RGB bytes themselves when they fit, else a shrunk copy.
  void set_image(const RgbImage& image, const Prepared& prepared) {
    if (!prepared.fit.scaled) {
      api.SetImage(image.pixels.data(), image.width, image.height, 3, image.width * 3);
      return;
    }
    PixPtr full = ocr_detail::pix_from_rgb(image);
    PixPtr shrunk = ocr_detail::shrink_pix(full.get(), prepared.fit.width, prepared.fit.height);
    full.reset();
    api.SetImage(shrunk.get());  // tesseract keeps a copy of its own
  }

  void set_resolution(int dpi, const Prepared& prepared) {
    if (dpi > 0) {
      api.SetSourceResolution(std::max(1, static_cast<int>(std::lround(dpi * prepared.fit.scale_y))));
    }
  }

  // tesseract's page layout analysis alone; its blocks are kept for Recognize().
  TextLikelihood layout() {
    TextLikelihood likelihood;
    std::unique_ptr<tesseract::PageIterator> it(api.AnalyseLayout());
    if (!it) return likelihood;
    bool block_counted = false;
    do {
      if (it->IsAtBeginningOf(tesseract::RIL_BLOCK)) block_counted = false;
      if (!PTIsTextType(it->BlockType()) || it->Empty(tesseract::RIL_TEXTLINE)) continue;
      ++likelihood.text_lines;
      if (!block_counted) ++likelihood.text_blocks;
      block_counted = true;
    } while (it->Next(tesseract::RIL_TEXTLINE));
    likelihood.likely = likelihood.text_lines > 0;
    return likelihood;
  }

  OcrResult read(const Prepared& prepared, std::string_view name) {
    OcrResult result;
    result.width = prepared.width;
    result.height = prepared.height;
    result.scale = prepared.fit.scale_y;
    warn_downscaled(prepared, result);

    if (options.text_test && !layout().likely) {
      result.empty_reason = OcrEmptyReason::text_test;
      api.Clear();
      return result;
    }
    if (api.Recognize(nullptr) != 0) {
      api.Clear();
      throw OcrError(std::string(name) + ": tesseract could not recognise the picture");
    }
    collect(prepared, result);
    api.Clear();

    if (result.words_kept == 0) {
      result.empty_reason = result.words_dropped > 0 ? OcrEmptyReason::low_confidence
                                                     : OcrEmptyReason::nothing_read;
      if (result.words_dropped > 0) {
        result.warnings.push_back(std::string(name) + ": OCR read " +
                                  std::to_string(result.words_dropped) +
                                  " word(s), all below the confidence floor of " +
                                  std::to_string(static_cast<int>(options.min_word_confidence)) +
                                  "; no text kept");
      }
      return result;
    }
    result.empty_reason = OcrEmptyReason::none;
    if (result.confidence < options.low_confidence) {
      result.low_confidence = true;
      result.warnings.push_back(std::string(name) + ": low OCR confidence (" +
                                std::to_string(static_cast<int>(std::lround(result.confidence))) +
                                " < " + std::to_string(static_cast<int>(options.low_confidence)) +
                                "); the text may be wrong");
    }
    return result;
  }

  OcrBox original_box(int left, int top, int right, int bottom, const Prepared& prepared) const {
    const double sx = prepared.fit.scale_x, sy = prepared.fit.scale_y;
    const int x0 = std::clamp(static_cast<int>(std::floor(left / sx)), 0, prepared.width);
    const int y0 = std::clamp(static_cast<int>(std::floor(top / sy)), 0, prepared.height);
    const int x1 = std::clamp(static_cast<int>(std::ceil(right / sx)), x0, prepared.width);
    const int y1 = std::clamp(static_cast<int>(std::ceil(bottom / sy)), y0, prepared.height);
    return {x0, y0, x1 - x0, y1 - y0};
  }

  void collect(const Prepared& prepared, OcrResult& result) {
    std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
    if (!it) return;
    double weighted_confidence = 0;
    double weight = 0;
    bool open_block = false, open_paragraph = false, open_line = false;
    do {
      if (it->IsAtBeginningOf(tesseract::RIL_BLOCK)) open_block = open_paragraph = open_line = false;
      if (it->IsAtBeginningOf(tesseract::RIL_PARA)) open_paragraph = open_line = false;
      if (it->IsAtBeginningOf(tesseract::RIL_TEXTLINE)) open_line = false;
      // Non-text regions (pictures, rules) come back as blank pseudo-words: not writing.
      if (!PTIsTextType(it->BlockType()) || it->Empty(tesseract::RIL_WORD)) continue;
      TessText word_text{it->GetUTF8Text(tesseract::RIL_WORD)};
      OcrWord word;
      word.text = trim(word_text.text ? word_text.text : "");
      if (word.text.empty()) continue;
      word.confidence = it->Confidence(tesseract::RIL_WORD);
      int left = 0, top = 0, right = 0, bottom = 0;
      it->BoundingBox(tesseract::RIL_WORD, &left, &top, &right, &bottom);
      word.box = original_box(left, top, right, bottom, prepared);
      if (word.confidence < options.min_word_confidence) {
        ++result.words_dropped;
        continue;
      }
      if (!open_block) {
        result.blocks.emplace_back();
        open_block = true;
      }
      if (!open_paragraph) {
        result.blocks.back().paragraphs.emplace_back();
        open_paragraph = true;
      }
      if (!open_line) {
        result.blocks.back().paragraphs.back().lines.emplace_back();
        open_line = true;
      }
      const int length = code_points(word.text);
      weighted_confidence += static_cast<double>(word.confidence) * length;
      weight += length;
      ++result.words_kept;
      result.blocks.back().paragraphs.back().lines.back().words.push_back(std::move(word));
    } while (it->Next(tesseract::RIL_WORD));
    prune_and_box(result.blocks);
    result.text = page_text(result.blocks);
    result.confidence = weight > 0 ? static_cast<float>(weighted_confidence / weight) : 0.0f;
  }
};

OcrEngine::OcrEngine(OcrOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const OcrOptions& opts = impl_->options;
  if (opts.page_segmentation < tesseract::PSM_OSD_ONLY ||
      opts.page_segmentation >= tesseract::PSM_COUNT ||
      opts.page_segmentation == tesseract::PSM_OSD_ONLY ||
      opts.page_segmentation == tesseract::PSM_AUTO_ONLY) {
    throw OcrError("page segmentation mode " + std::to_string(opts.page_segmentation) +
                   " does not recognise text (use 1 or 3..13)");
  }
  if (opts.pixel_budget <= 0 || opts.max_decode_pixels <= 0) {
    throw OcrError("the OCR pixel budget and decode limit must be positive");
  }
  const std::filesystem::path folder = tessdata_folder(opts.tessdata);
  impl_->languages = parse_ocr_languages(opts.languages, folder);

  ocr_detail::silence_leptonica();
  // tesseract prints through tprintf, which writes to the (process-wide) debug_file parameter
  // when it names a file, else to stderr. Set before Init so that loading is quiet too.
  impl_->api.SetVariable("debug_file", "/dev/null");
  if (impl_->api.Init(folder.c_str(), opts.languages.c_str(), tesseract::OEM_DEFAULT) != 0) {
    throw OcrError("tesseract cannot load OCR language(s) \"" + opts.languages + "\" from " +
                   folder.string());
  }
  impl_->api.SetPageSegMode(static_cast<tesseract::PageSegMode>(opts.page_segmentation));
}

OcrEngine::~OcrEngine() = default;

namespace {

void require_consistent(const RgbImage& image, std::string_view name) {
  if (image.empty()) throw OcrError(std::string(name) + ": empty image");
  if (image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
    throw OcrError(std::string(name) + ": " + size_text(image.width, image.height) +
                   " image whose pixel buffer holds " + std::to_string(image.pixels.size()) +
                   " bytes");
  }
}

}  // namespace

OcrResult OcrEngine::recognize(const RgbImage& image, std::string_view name, int dpi) {
  require_consistent(image, name);
  const Impl::Prepared prepared = impl_->prepare(image.width, image.height, name);
  impl_->set_image(image, prepared);
  impl_->set_resolution(dpi, prepared);
  return impl_->read(prepared, name);
}

OcrResult OcrEngine::recognize_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  const ImageFileHeader header = read_image_file_header(path);
  const double claimed = static_cast<double>(header.width) * header.height;
  int reduction = 1;
  if (claimed > static_cast<double>(impl_->options.max_decode_pixels)) {
    if (header.jpeg) {
      for (int r : {2, 4, 8}) {
        if (claimed / (r * r) <= static_cast<double>(impl_->options.max_decode_pixels)) {
          reduction = r;
          break;
        }
      }
    }
    if (reduction == 1) {
      throw OcrError(name + ": claims " + size_text(header.width, header.height) + " pixels (" +
                     megapixels(claimed) + "), above the OCR decode limit of " +
                     megapixels(impl_->options.max_decode_pixels) + "; not decoded");
    }
  }
  PixPtr pix = ocr_detail::decode_image_file(path, reduction);
  const int width = pixGetWidth(pix.get()), height = pixGetHeight(pix.get());
  const int dpi = pixGetYRes(pix.get()) > 0 ? pixGetYRes(pix.get()) / reduction : 0;

  Impl::Prepared prepared = impl_->prepare(width, height, name);
  if (prepared.fit.scaled) {
    pix = ocr_detail::shrink_pix(pix.get(), prepared.fit.width, prepared.fit.height);
  }
  // Boxes are reported in the file's own pixels, also when it was decoded reduced.
  Impl::Prepared reported = prepared;
  reported.width = header.width;
  reported.height = header.height;
  reported.fit.scale_x = static_cast<double>(pixGetWidth(pix.get())) / header.width;
  reported.fit.scale_y = static_cast<double>(pixGetHeight(pix.get())) / header.height;
  impl_->api.SetImage(pix.get());  // tesseract keeps a copy of its own
  pix.reset();
  impl_->set_resolution(dpi, prepared);
  OcrResult result = impl_->read(reported, name);
  if (reduction > 1) {
    result.warnings.insert(result.warnings.begin(),
                           name + ": " + size_text(header.width, header.height) +
                               " pixels exceed the OCR decode limit of " +
                               megapixels(impl_->options.max_decode_pixels) +
                               "; decoded at 1/" + std::to_string(reduction) + " size");
  }
  return result;
}

TextLikelihood OcrEngine::assess(const RgbImage& image, std::string_view name) {
  require_consistent(image, name);
  const Impl::Prepared prepared = impl_->prepare(image.width, image.height, name);
  impl_->set_image(image, prepared);
  TextLikelihood likelihood = impl_->layout();
  impl_->api.Clear();
  return likelihood;
}

const OcrOptions& OcrEngine::options() const { return impl_->options; }

const std::vector<std::string>& OcrEngine::languages() const { return impl_->languages; }

std::string OcrEngine::engine() const { return std::string("tesseract ") + tesseract::TessBaseAPI::Version(); }

std::string OcrEngine::model() const {
  return impl_->options.languages + " psm" + std::to_string(impl_->options.page_segmentation);
}

}  // namespace palimpsest
