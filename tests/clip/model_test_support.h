#pragma once
// Helpers shared by the model-store tests (clip_import, clip_fetch, clip_precision, model_store):
// the CLIP fixtures (a missing fixture fails the test, it never skips it), the fixture's expected
// embeddings, and parity of a model folder with them. No torch here.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"

namespace palimpsest::testing {

// ../shared/fixtures/clip; fails the calling test (ADD_FAILURE) when it is missing.
inline std::filesystem::path clip_fixtures() {
  const std::filesystem::path dir = std::filesystem::path(PALIMPSEST_FIXTURES_DIR) / "clip";
  if (!std::filesystem::is_regular_file(dir / "tiny_vit_p8.expected.json")) {
    ADD_FAILURE() << "the CLIP fixtures are missing at " << dir
                  << " (../shared/fixtures/clip: see its README)";
  }
  return dir;
}

struct ExpectedClip {
  std::vector<float> images_nchw;                 // count x 3 x 32 x 32
  int image_count = 0;
  std::vector<std::vector<std::int64_t>> text_ids;  // rows of 77
  std::vector<std::vector<float>> image_features;  // OpenAI's encode_image (not normalised)
  std::vector<std::vector<float>> text_features;
};

inline ExpectedClip read_expected_clip(const std::filesystem::path& clip) {
  std::ifstream in(clip / "tiny_vit_p8.expected.json");
  const auto j = nlohmann::json::parse(in);
  ExpectedClip e;
  for (const auto& image : j["images_nchw"]) {
    ++e.image_count;
    for (const auto& channel : image)
      for (const auto& row : channel)
        for (const auto& v : row) e.images_nchw.push_back(v.get<float>());
  }
  for (const auto& row : j["text_ids"]) e.text_ids.push_back(row.get<std::vector<std::int64_t>>());
  for (const auto& row : j["encode_image"]) e.image_features.push_back(row.get<std::vector<float>>());
  for (const auto& row : j["encode_text"]) e.text_features.push_back(row.get<std::vector<float>>());
  return e;
}

inline double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return a.size() == b.size() && na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : -2.0;
}

// The worst cosine of a model folder's embeddings of the fixture's images and texts to OpenAI's
// reference outputs.
inline double worst_fixture_cosine(const std::filesystem::path& model_dir, const ExpectedClip& e,
                                   const std::string& precision = "fp32") {
  ClipLoadOptions options;
  options.precision = precision;
  auto encoder = ClipEncoder::load(model_dir, options);
  const auto images = encoder->encode_preprocessed_images(e.images_nchw, e.image_count);
  const auto texts = encoder->encode_token_ids(e.text_ids);
  double worst = 1.0;
  for (std::size_t i = 0; i < images.size(); ++i) worst = std::min(worst, cosine(images[i], e.image_features[i]));
  for (std::size_t i = 0; i < texts.size(); ++i) worst = std::min(worst, cosine(texts[i], e.text_features[i]));
  if (images.size() != e.image_features.size() || texts.size() != e.text_features.size()) return -2.0;
  return worst;
}

inline nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// True when the text is one line (a trailing newline allowed): errors never carry stack dumps.
inline bool one_line(const std::string& text) {
  const auto first = text.find('\n');
  return first == std::string::npos || first == text.size() - 1;
}

}  // namespace palimpsest::testing
