#pragma once
// CLIP (ViT image tower + causal text transformer) as libtorch modules whose parameter names are
// OpenAI's state-dict names, and the weight loaders (safetensors, TorchScript checkpoints).
// This header pulls in torch: include it only where tensors are needed; other code goes through
// clip_encoder.h.

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "indexer/clip/clip_config.h"
#include "indexer/clip/safetensors.h"

namespace palimpsest::clip {

// LayerNorm computed in float32 whatever the input dtype (as OpenAI's LayerNorm subclass).
class LayerNormImpl : public torch::nn::Module {
 public:
  explicit LayerNormImpl(int64_t width);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm);

// A linear layer dynamically quantized to int8 (oneDNN); see quantize_linears_int8().
struct Int8Linear;

// nn.MultiheadAttention's packed projections: in_proj_weight / in_proj_bias / out_proj.
// Batch-first input [B, L, W].
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t width, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);
  torch::Tensor in_proj_weight, in_proj_bias;
  torch::nn::Linear out_proj{nullptr};
  int64_t heads;
  std::shared_ptr<Int8Linear> int8_in_proj, int8_out_proj;  // set by quantize_linears_int8
};
TORCH_MODULE(Attention);

// mlp.c_fc -> QuickGELU (or exact GELU) -> mlp.c_proj
class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t width, int64_t hidden, bool quick_gelu);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear c_fc{nullptr}, c_proj{nullptr};
  bool quick_gelu;
  std::shared_ptr<Int8Linear> int8_fc, int8_proj;  // set by quantize_linears_int8
};
TORCH_MODULE(Mlp);

class ResidualBlockImpl : public torch::nn::Module {
 public:
  ResidualBlockImpl(int64_t width, int64_t heads, int64_t mlp_width, bool quick_gelu);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);
  LayerNorm ln_1{nullptr}, ln_2{nullptr};
  Attention attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(ResidualBlock);

// "transformer.resblocks.N"
class TransformerImpl : public torch::nn::Module {
 public:
  TransformerImpl(int64_t width, int64_t layers, int64_t heads, int64_t mlp_width,
                  bool quick_gelu);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& mask);
  torch::nn::ModuleList resblocks;
};
TORCH_MODULE(Transformer);

// visual.conv1: a bias-free convolution with stride = kernel = patch size.
class PatchEmbeddingImpl : public torch::nn::Module {
 public:
  PatchEmbeddingImpl(int64_t width, int64_t patch);
  torch::Tensor forward(const torch::Tensor& images);  // [B, 3, R, R] -> [B, W, R/p, R/p]
  torch::Tensor weight;
  int64_t patch;
};
TORCH_MODULE(PatchEmbedding);

class VisionTransformerImpl : public torch::nn::Module {
 public:
  explicit VisionTransformerImpl(const ClipConfig& config);
  torch::Tensor forward(const torch::Tensor& images);  // [B, 3, R, R] normalised -> [B, embed]
  torch::Tensor class_embedding, positional_embedding, proj;
  PatchEmbedding conv1{nullptr};
  LayerNorm ln_pre{nullptr}, ln_post{nullptr};
  Transformer transformer{nullptr};
};
TORCH_MODULE(VisionTransformer);

class ClipModelImpl : public torch::nn::Module {
 public:
  explicit ClipModelImpl(const ClipConfig& config);
  const ClipConfig& config() const { return config_; }

  // Images [B, 3, R, R], already resized and normalised -> features [B, embed] (not normalised).
  torch::Tensor encode_image(const torch::Tensor& images);
  // Token ids [B, L] (L <= context length) -> features [B, embed] (not normalised), taken at
  // `eot` positions [B] when given, else at each row's argmax id (OpenAI's end-of-text rule).
  torch::Tensor encode_text(const torch::Tensor& ids, const torch::Tensor& eot = {});
  // logit_scale.exp() * normalised image features @ normalised text features^T: [Bi, Bt].
  torch::Tensor logits_per_image(const torch::Tensor& images, const torch::Tensor& ids);

  VisionTransformer visual{nullptr};
  Transformer transformer{nullptr};
  torch::nn::Embedding token_embedding{nullptr};
  torch::Tensor positional_embedding, text_projection, logit_scale;
  LayerNorm ln_final{nullptr};

 private:
  ClipConfig config_;
  torch::Tensor causal_mask_;
};
TORCH_MODULE(ClipModel);

// Weights and the architecture inferred from them.
struct LoadedClip {
  ClipModel model{nullptr};
  ClipConfig config;
  std::string format;         // "safetensors", "torchscript" or "state_dict"
  std::string weights_dtype;  // the checkpoint's (most common) float dtype: "F32", "F16", "BF16"
  std::map<std::string, std::string> tensor_dtypes;  // OpenAI name -> the checkpoint's dtype
};

// Loads a checkpoint: safetensors (by extension, or when the file is not a zip archive) or an
// OpenAI TorchScript archive (torch::jit::load, parameters copied by name; a torch.save'd state
// dict is read with TorchStateDictReader when the archive is not TorchScript). open_clip's
// CustomTextCLIP layout (text tower under "text.") is read under OpenAI's names. Keys may carry a prefix ("module.", ...).
// Heads > 0 override width / 64. The model is float32, on the CPU, in eval mode. Throws
// ClipModelError naming the file for every unusable input. `quick_gelu` sets the activation
// (not visible in the weights).
LoadedClip load_clip_checkpoint(const std::filesystem::path& weights, int vision_heads = 0,
                                int text_heads = 0, bool quick_gelu = true);

// Replaces the linear layers of every residual block (attention in/out projections, MLP: nearly
// all of the work) of both towers by int8 dynamically quantized ones (oneDNN): weights int8 per
// output channel (symmetric), activations quantized per call; everything else stays float32.
// The model must be float32 on the CPU. Throws ClipError when libtorch has no oneDNN quantized
// engine. The float32 weights stay (clip_state_tensors).
void quantize_linears_int8(ClipModelImpl& model);

// Parameters as float32 tensors with OpenAI names (for save_safetensors).
std::vector<SafetensorsTensor> clip_state_tensors(ClipModelImpl& model);

// Fills every parameter with seeded random values of a plausible scale (for tests / benchmarks).
void randomize_clip_parameters(ClipModelImpl& model, uint64_t seed);

}  // namespace palimpsest::clip
