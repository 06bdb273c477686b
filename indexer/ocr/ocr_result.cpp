#include "indexer/ocr/ocr_result.h"

#include <cmath>

namespace palimpsest {
namespace {

nlohmann::json box_json(const OcrBox& box) { return {box.x, box.y, box.width, box.height}; }

}  // namespace

std::string OcrParagraph::text() const {
  std::string out;
  for (const OcrLine& line : lines) {
    if (!out.empty()) out += '\n';
    bool first = true;
    for (const OcrWord& word : line.words) {
      if (!first) out += ' ';
      out += word.text;
      first = false;
    }
  }
  return out;
}

std::string_view to_string(OcrEmptyReason reason) {
  switch (reason) {
    case OcrEmptyReason::none: return "none";
    case OcrEmptyReason::text_test: return "no text region found";
    case OcrEmptyReason::nothing_read: return "nothing read";
    case OcrEmptyReason::low_confidence: return "only words below the confidence floor";
  }
  return "unknown";
}

nlohmann::json to_json(const OcrResult& result) {
  nlohmann::json blocks = nlohmann::json::array();
  for (const OcrBlock& block : result.blocks) {
    nlohmann::json paragraphs = nlohmann::json::array();
    for (const OcrParagraph& paragraph : block.paragraphs) {
      nlohmann::json lines = nlohmann::json::array();
      for (const OcrLine& line : paragraph.lines) {
        nlohmann::json words = nlohmann::json::array();
        for (const OcrWord& word : line.words) {
          words.push_back({{"text", word.text},
                           {"box", box_json(word.box)},
                           {"conf", std::round(word.confidence * 10) / 10}});
        }
        lines.push_back({{"box", box_json(line.box)}, {"words", std::move(words)}});
      }
      paragraphs.push_back({{"box", box_json(paragraph.box)}, {"lines", std::move(lines)}});
    }
    blocks.push_back({{"box", box_json(block.box)}, {"paragraphs", std::move(paragraphs)}});
  }
  return {{"text", result.text},
          {"confidence", std::round(result.confidence * 10) / 10},
          {"low_confidence", result.low_confidence},
          {"words_dropped", result.words_dropped},
          {"size", {result.width, result.height}},
          {"scale", result.scale},
          {"blocks", std::move(blocks)}};
}

}  // namespace palimpsest
