#pragma once
// The architecture of a ViT CLIP model, inferred from its weight shapes as OpenAI's
// clip.model.build_model does (no torch here).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace palimpsest {

struct ClipConfig {
  int embed_dim = 0;
  // Vision tower (ViT).
  int image_resolution = 0;
  int vision_layers = 0;
  int vision_width = 0;
  int vision_heads = 0;
  int vision_patch_size = 0;
  int vision_mlp_width = 0;
  // Text tower.
  int context_length = 0;
  int vocab_size = 0;
  int text_width = 0;
  int text_heads = 0;
  int text_layers = 0;
  int text_mlp_width = 0;
  // OpenAI's models use QuickGELU (x * sigmoid(1.702 x)); many open_clip models use exact GELU.
  // Not visible in the weights: model.json's "activation" ("quick_gelu" | "gelu") says which.
  bool quick_gelu = true;

  int grid_size() const { return vision_patch_size > 0 ? image_resolution / vision_patch_size : 0; }
  bool operator==(const ClipConfig&) const = default;
  // e.g. "ViT-p8 32px w64 l2 h1, text w32 l2 h2 ctx77 vocab49408, embed 32"
  std::string describe() const;
};

// Tensor name -> shape.
using ClipShapeMap = std::map<std::string, std::vector<std::int64_t>>;

// Infers the architecture. Head counts cannot be read from shapes: pass them when known (> 0),
// else width / 64 is used for both towers, as OpenAI does. Throws ClipModelError naming `source`
// for a Modified-ResNet visual backbone, a missing tensor, inconsistent shapes, or tensors this
// architecture does not have (a variant it would silently compute wrongly).
ClipConfig infer_clip_config(const ClipShapeMap& shapes, const std::filesystem::path& source,
                             int vision_heads = 0, int text_heads = 0);

// The tensors (OpenAI state-dict names) and shapes a model of this configuration has.
ClipShapeMap clip_parameter_shapes(const ClipConfig& config);

// Checks a configuration (positive sizes, widths divisible by heads, resolution divisible by the
// patch size). Throws ClipModelError naming `source`.
void validate_clip_config(const ClipConfig& config, const std::filesystem::path& source);

// The prefix that open_clip / training wrappers put before OpenAI's names ("module.",
// "model.", ...): the part of the key ending in "visual.conv1.weight" before it; "" when the
// names are OpenAI's own. Throws ClipModelError when no such key exists.
std::string clip_key_prefix(const ClipShapeMap& shapes, const std::filesystem::path& source);

std::string shape_to_string(const std::vector<std::int64_t>& shape);

}  // namespace palimpsest
