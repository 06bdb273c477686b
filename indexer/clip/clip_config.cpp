#include "indexer/clip/clip_config.h"

#include <cmath>
#include <set>

#include "indexer/clip/clip_error.h"

namespace palimpsest {
namespace fs = std::filesystem;
namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const std::vector<std::int64_t>& require(const ClipShapeMap& shapes, const std::string& name,
                                         std::size_t rank, const fs::path& source) {
  const auto it = shapes.find(name);
  if (it == shapes.end()) throw ClipModelError(source, "missing tensor '" + name + "'");
  if (it->second.size() != rank) {
    throw ClipModelError(source, "tensor '" + name + "' has shape " +
                                     shape_to_string(it->second) + ", expected " +
                                     std::to_string(rank) + " dimensions");
  }
  return it->second;
}

// Number of residual blocks under `prefix` ("visual.transformer.resblocks."), checking that
// they are numbered 0..n-1.
int count_layers(const ClipShapeMap& shapes, const std::string& prefix, const fs::path& source) {
  std::set<int> layers;
  for (const auto& [name, shape] : shapes) {
    if (!starts_with(name, prefix)) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string::npos || dot == 0) continue;
    try {
      std::size_t used = 0;
      const int index = std::stoi(rest.substr(0, dot), &used);
      if (used == dot && index >= 0) layers.insert(index);
    } catch (const std::exception&) {
    }
  }
  if (layers.empty()) throw ClipModelError(source, "no tensors named " + prefix + "N.*");
  const int n = static_cast<int>(layers.size());
  if (*layers.rbegin() != n - 1) {
    throw ClipModelError(source, "residual blocks " + prefix + "N are not numbered 0.." +
                                     std::to_string(n - 1));
  }
  return n;
}

int to_int(std::int64_t v) { return static_cast<int>(v); }

}  // namespace

std::string shape_to_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string ClipConfig::describe() const {
  return "ViT-p" + std::to_string(vision_patch_size) + " " + std::to_string(image_resolution) +
         "px w" + std::to_string(vision_width) + " l" + std::to_string(vision_layers) + " h" +
         std::to_string(vision_heads) + ", text w" + std::to_string(text_width) + " l" +
         std::to_string(text_layers) + " h" + std::to_string(text_heads) + " ctx" +
         std::to_string(context_length) + " vocab" + std::to_string(vocab_size) + ", embed " +
         std::to_string(embed_dim) + (quick_gelu ? "" : ", gelu");
}

std::string clip_key_prefix(const ClipShapeMap& shapes, const fs::path& source) {
  static const std::string kAnchor = "visual.conv1.weight";
  if (shapes.count(kAnchor)) return "";
  for (const auto& [name, shape] : shapes) {
    if (ends_with(name, "." + kAnchor)) return name.substr(0, name.size() - kAnchor.size());
  }
  // Identify Modified-ResNet backbones (RN50 and friends) for a clearer message.
  for (const auto& [name, shape] : shapes) {
    if (name.find("visual.layer1.") != std::string::npos ||
        name.find("visual.attnpool.") != std::string::npos) {
      throw ClipModelError(source,
                           "Modified-ResNet visual backbones (RN50-style CLIP) are not supported; "
                           "use a ViT CLIP model");
    }
  }
  throw ClipModelError(source, "not a ViT CLIP checkpoint: no tensor named '" + kAnchor + "'");
}

void validate_clip_config(const ClipConfig& c, const fs::path& source) {
  auto fail = [&](const std::string& why) {
    throw ClipModelError(source, "invalid CLIP architecture (" + c.describe() + "): " + why);
  };
  if (c.embed_dim <= 0 || c.image_resolution <= 0 || c.vision_layers <= 0 ||
      c.vision_width <= 0 || c.vision_heads <= 0 || c.vision_patch_size <= 0 ||
      c.vision_mlp_width <= 0 || c.context_length <= 0 || c.vocab_size <= 0 ||
      c.text_width <= 0 || c.text_heads <= 0 || c.text_layers <= 0 || c.text_mlp_width <= 0) {
    fail("every size must be positive");
  }
  if (c.vision_width % c.vision_heads != 0) {
    fail("vision width " + std::to_string(c.vision_width) + " is not divisible by " +
         std::to_string(c.vision_heads) + " heads");
  }
  if (c.text_width % c.text_heads != 0) {
    fail("text width " + std::to_string(c.text_width) + " is not divisible by " +
         std::to_string(c.text_heads) + " heads");
  }
  if (c.image_resolution % c.vision_patch_size != 0) {
    fail("resolution is not a multiple of the patch size");
  }
}

ClipConfig infer_clip_config(const ClipShapeMap& shapes, const fs::path& source,
                             int vision_heads, int text_heads) {
  if (!shapes.count("visual.proj") &&
      (shapes.count("visual.layer1.0.conv1.weight") || shapes.count("visual.attnpool.c_proj.weight"))) {
    throw ClipModelError(source,
                         "Modified-ResNet visual backbones (RN50-style CLIP) are not supported; "
                         "use a ViT CLIP model");
  }
  ClipConfig c;
  const auto& conv = require(shapes, "visual.conv1.weight", 4, source);
  if (conv[1] != 3 || conv[2] != conv[3]) {
    throw ClipModelError(source, "tensor 'visual.conv1.weight' has shape " +
                                     shape_to_string(conv) +
                                     ", expected [width, 3, patch, patch]");
  }
  c.vision_width = to_int(conv[0]);
  c.vision_patch_size = to_int(conv[3]);
  c.vision_layers = count_layers(shapes, "visual.transformer.resblocks.", source);
  const auto& vpos = require(shapes, "visual.positional_embedding", 2, source);
  const std::int64_t patches = vpos[0] - 1;
  const auto grid = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(
      std::max<std::int64_t>(patches, 0)))));
  if (patches <= 0 || grid * grid != patches) {
    throw ClipModelError(source, "tensor 'visual.positional_embedding' has " +
                                     std::to_string(vpos[0]) +
                                     " rows, expected a square grid of patches plus one");
  }
  c.image_resolution = to_int(grid) * c.vision_patch_size;
  c.vision_mlp_width =
      to_int(require(shapes, "visual.transformer.resblocks.0.mlp.c_fc.weight", 2, source)[0]);
  c.embed_dim = to_int(require(shapes, "text_projection", 2, source)[1]);
  c.context_length = to_int(require(shapes, "positional_embedding", 2, source)[0]);
  c.vocab_size = to_int(require(shapes, "token_embedding.weight", 2, source)[0]);
  c.text_width = to_int(require(shapes, "ln_final.weight", 1, source)[0]);
  c.text_layers = count_layers(shapes, "transformer.resblocks.", source);
  c.text_mlp_width =
      to_int(require(shapes, "transformer.resblocks.0.mlp.c_fc.weight", 2, source)[0]);
  // Tensors the architecture does not use would mean a variant (layer scale, attention pooling,
  // ...) computed wrongly without them; only bookkeeping entries are allowed.
  {
    static const std::set<std::string> kIgnored = {"input_resolution", "context_length",
                                                   "vocab_size", "attn_mask", "logit_bias",
                                                   "visual.attn_mask"};
    ClipConfig probe = c;
    probe.vision_heads = 1;
    probe.text_heads = 1;
    const ClipShapeMap expected = clip_parameter_shapes(probe);
    std::string unexpected;
    int count = 0;
    for (const auto& [name, shape] : shapes) {
      const bool mask = name.size() >= 9 && name.compare(name.size() - 9, 9, "attn_mask") == 0;
      if (expected.count(name) || kIgnored.count(name) || mask) continue;
      if (count++ < 5) unexpected += (unexpected.empty() ? "" : ", ") + name;
    }
    if (count > 0) {
      throw ClipModelError(source, "tensors this CLIP architecture does not have: " + unexpected +
                                       (count > 5 ? " and " + std::to_string(count - 5) + " more"
                                                  : "") +
                                       " (an unsupported model variant?)");
    }
  }
  c.vision_heads = vision_heads > 0 ? vision_heads : std::max(1, c.vision_width / 64);
  c.text_heads = text_heads > 0 ? text_heads : std::max(1, c.text_width / 64);
  validate_clip_config(c, source);

  // Every tensor of the architecture must be there with its exact shape.
  for (const auto& [name, expected] : clip_parameter_shapes(c)) {
    const auto it = shapes.find(name);
    if (it == shapes.end()) throw ClipModelError(source, "missing tensor '" + name + "'");
    const bool scalar_ok = name == "logit_scale" && it->second.size() <= 1 &&
                           (it->second.empty() || it->second[0] == 1);
    if (it->second != expected && !scalar_ok) {
      throw ClipModelError(source, "tensor '" + name + "' has shape " +
                                       shape_to_string(it->second) + ", expected " +
                                       shape_to_string(expected) + " for " + c.describe());
    }
  }
  return c;
}

ClipShapeMap clip_parameter_shapes(const ClipConfig& c) {
  ClipShapeMap s;
  auto blocks = [&](const std::string& prefix, int layers, std::int64_t w, std::int64_t mlp) {
    for (int i = 0; i < layers; ++i) {
      const std::string b = prefix + std::to_string(i) + ".";
      s[b + "ln_1.weight"] = {w};
      s[b + "ln_1.bias"] = {w};
      s[b + "attn.in_proj_weight"] = {3 * w, w};
      s[b + "attn.in_proj_bias"] = {3 * w};
      s[b + "attn.out_proj.weight"] = {w, w};
      s[b + "attn.out_proj.bias"] = {w};
      s[b + "ln_2.weight"] = {w};
      s[b + "ln_2.bias"] = {w};
      s[b + "mlp.c_fc.weight"] = {mlp, w};
      s[b + "mlp.c_fc.bias"] = {mlp};
      s[b + "mlp.c_proj.weight"] = {w, mlp};
      s[b + "mlp.c_proj.bias"] = {w};
    }
  };
  const std::int64_t vw = c.vision_width;
  const std::int64_t grid = c.grid_size();
  s["visual.conv1.weight"] = {vw, 3, c.vision_patch_size, c.vision_patch_size};
  s["visual.class_embedding"] = {vw};
  s["visual.positional_embedding"] = {grid * grid + 1, vw};
  s["visual.ln_pre.weight"] = {vw};
  s["visual.ln_pre.bias"] = {vw};
  blocks("visual.transformer.resblocks.", c.vision_layers, vw, c.vision_mlp_width);
  s["visual.ln_post.weight"] = {vw};
  s["visual.ln_post.bias"] = {vw};
  s["visual.proj"] = {vw, c.embed_dim};
  const std::int64_t tw = c.text_width;
  s["token_embedding.weight"] = {c.vocab_size, tw};
  s["positional_embedding"] = {c.context_length, tw};
  blocks("transformer.resblocks.", c.text_layers, tw, c.text_mlp_width);
  s["ln_final.weight"] = {tw};
  s["ln_final.bias"] = {tw};
  s["text_projection"] = {tw, c.embed_dim};
  s["logit_scale"] = {};
  return s;
}

}  // namespace palimpsest
