#pragma once
// MODEL_CARD.md of an imported model, from a template (model_card.cpp): where the weights came
// from, their licence, hashes, the architecture and preprocessing, and what was measured at
// import (parity with the checkpoint's reference, precisions on this machine).

#include <string>

#include "indexer/clip/model_import.h"

namespace palimpsest {

struct ModelCardInput {
  const ImportedModel* model = nullptr;
  std::string source;       // file or folder imported
  std::string source_url;   // "" when imported from a local file
  std::string licence;      // "" = unknown
  std::string activation;   // "quick_gelu" | "gelu"
  std::string mean, std;    // "[0.481, 0.458, 0.408]"
  std::string imported_at;  // UTC, ISO 8601
};

std::string render_model_card(const ModelCardInput& input);

}  // namespace palimpsest
