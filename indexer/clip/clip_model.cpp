#include "indexer/clip/clip_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>
#include <torch/script.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <system_error>

#include "indexer/clip/clip_error.h"
#include "indexer/clip/torch_state_dict.h"

namespace palimpsest::clip {
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Modules

LayerNormImpl::LayerNormImpl(int64_t width) {
  weight = register_parameter("weight", torch::ones({width}));
  bias = register_parameter("bias", torch::zeros({width}));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  const auto dtype = x.scalar_type();
  auto y = torch::layer_norm(x.to(torch::kFloat), {weight.size(0)}, weight.to(torch::kFloat),
                             bias.to(torch::kFloat), 1e-5);
  return y.to(dtype);
}

struct Int8Linear {
  c10::intrusive_ptr<LinearPackedParamsBase> packed;
  torch::Tensor apply(const torch::Tensor& x) const {
    // oneDNN's dynamic linear takes float32 rows: [N, in] -> [N, out].
    const auto sizes = x.sizes().vec();
    auto y = packed->apply_dynamic(x.reshape({-1, sizes.back()}).contiguous(), /*reduce_range=*/false);
    auto out_sizes = sizes;
    out_sizes.back() = y.size(-1);
    return y.reshape(out_sizes);
  }
};

AttentionImpl::AttentionImpl(int64_t width, int64_t heads_) : heads(heads_) {
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj = register_module("out_proj", torch::nn::Linear(width, width));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const int64_t batch = x.size(0);
  const int64_t length = x.size(1);
  const int64_t width = x.size(2);
  const int64_t head_dim = width / heads;
  auto qkv = (int8_in_proj ? int8_in_proj->apply(x) : torch::linear(x, in_proj_weight, in_proj_bias))
                 .chunk(3, -1);
  auto split_heads = [&](const torch::Tensor& t) {
    return t.reshape({batch, length, heads, head_dim}).transpose(1, 2);  // [B, H, L, D]
  };
  // Scale q before the product, as nn.MultiheadAttention does.
  auto q = split_heads(qkv[0]) * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  auto k = split_heads(qkv[1]);
  auto v = split_heads(qkv[2]);
  auto scores = torch::matmul(q, k.transpose(-2, -1));
  if (mask.defined()) scores = scores + mask;
  // The softmax runs in float32 whatever the activations' dtype (bf16 / fp16 lose too much in
  // the exponentials' sum).
  auto probs = x.scalar_type() == torch::kFloat
                   ? torch::softmax(scores, -1)
                   : torch::softmax(scores, -1, torch::kFloat).to(x.scalar_type());
  auto out = torch::matmul(probs, v);
  out = out.transpose(1, 2).reshape({batch, length, width});
  return int8_out_proj ? int8_out_proj->apply(out) : out_proj(out);
}

MlpImpl::MlpImpl(int64_t width, int64_t hidden, bool quick_gelu_) : quick_gelu(quick_gelu_) {
  c_fc = register_module("c_fc", torch::nn::Linear(width, hidden));
  c_proj = register_module("c_proj", torch::nn::Linear(hidden, width));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  auto h = int8_fc ? int8_fc->apply(x) : c_fc(x);
  if (!quick_gelu) {
    h = torch::gelu(h);
  } else if (!torch::GradMode::is_enabled()) {
    // Inference: sigmoid(1.702 h) * h with one temporary and an in-place product, about 5x
    // faster than the three-tensor expression in bf16 (libtorch 1.13's bf16 elementwise kernels
    // pay a conversion per operation) and 1.5x in fp32. Training keeps the autograd-safe form.
    h = torch::sigmoid(h * 1.702).mul_(h);
  } else {
    h = h * torch::sigmoid(1.702 * h);
  }
  return int8_proj ? int8_proj->apply(h) : c_proj(h);
}

ResidualBlockImpl::ResidualBlockImpl(int64_t width, int64_t heads, int64_t mlp_width,
                                     bool quick_gelu) {
  attn = register_module("attn", Attention(width, heads));
  ln_1 = register_module("ln_1", LayerNorm(width));
  mlp = register_module("mlp", Mlp(width, mlp_width, quick_gelu));
  ln_2 = register_module("ln_2", LayerNorm(width));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  auto y = x + attn(ln_1(x), mask);
  return y + mlp(ln_2(y));
}

TransformerImpl::TransformerImpl(int64_t width, int64_t layers, int64_t heads, int64_t mlp_width,
                                 bool quick_gelu) {
  for (int64_t i = 0; i < layers; ++i) {
    resblocks->push_back(ResidualBlock(width, heads, mlp_width, quick_gelu));
  }
  resblocks = register_module("resblocks", resblocks);
}

torch::Tensor TransformerImpl::forward(torch::Tensor x, const torch::Tensor& mask) {
  for (const auto& block : *resblocks) x = block->as<ResidualBlock>()->forward(x, mask);
  return x;
}

PatchEmbeddingImpl::PatchEmbeddingImpl(int64_t width, int64_t patch_) : patch(patch_) {
  weight = register_parameter("weight", torch::empty({width, 3, patch, patch}));
}

torch::Tensor PatchEmbeddingImpl::forward(const torch::Tensor& images) {
  return torch::conv2d(images, weight, {}, {patch, patch});
}

VisionTransformerImpl::VisionTransformerImpl(const ClipConfig& c) {
  const int64_t width = c.vision_width;
  const int64_t grid = c.grid_size();
  conv1 = register_module("conv1", PatchEmbedding(width, c.vision_patch_size));
  class_embedding = register_parameter("class_embedding", torch::zeros({width}));
  positional_embedding =
      register_parameter("positional_embedding", torch::zeros({grid * grid + 1, width}));
  ln_pre = register_module("ln_pre", LayerNorm(width));
  transformer = register_module(
      "transformer",
      Transformer(width, c.vision_layers, c.vision_heads, c.vision_mlp_width, c.quick_gelu));
  ln_post = register_module("ln_post", LayerNorm(width));
  proj = register_parameter("proj", torch::zeros({width, int64_t{c.embed_dim}}));
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& images) {
  auto x = conv1(images.to(conv1->weight.scalar_type()));  // [B, W, g, g]
  const int64_t batch = x.size(0);
  const int64_t width = x.size(1);
  x = x.reshape({batch, width, -1}).permute({0, 2, 1});  // [B, g*g, W]
  auto cls = class_embedding.to(x.scalar_type()).reshape({1, 1, width}).expand({batch, 1, width});
  x = torch::cat({cls, x}, 1) + positional_embedding.to(x.scalar_type());
  x = ln_pre(x);
  x = transformer(x, torch::Tensor());
  x = ln_post(x.select(1, 0));
  return torch::matmul(x, proj);
}

ClipModelImpl::ClipModelImpl(const ClipConfig& config) : config_(config) {
  validate_clip_config(config, "<model>");
  visual = register_module("visual", VisionTransformer(config));
  transformer = register_module("transformer",
                                Transformer(config.text_width, config.text_layers,
                                            config.text_heads, config.text_mlp_width,
                                            config.quick_gelu));
  token_embedding = register_module(
      "token_embedding", torch::nn::Embedding(config.vocab_size, config.text_width));
  positional_embedding = register_parameter(
      "positional_embedding", torch::zeros({int64_t{config.context_length}, int64_t{config.text_width}}));
  ln_final = register_module("ln_final", LayerNorm(config.text_width));
  text_projection = register_parameter(
      "text_projection", torch::zeros({int64_t{config.text_width}, int64_t{config.embed_dim}}));
  logit_scale = register_parameter("logit_scale", torch::full({}, std::log(1.0 / 0.07)));
}

torch::Tensor ClipModelImpl::encode_image(const torch::Tensor& images) {
  const int64_t r = config_.image_resolution;
  if (images.dim() != 4 || images.size(1) != 3 || images.size(2) != r || images.size(3) != r) {
    throw ClipError("CLIP encode_image: expected images [N, 3, " + std::to_string(r) + ", " +
                    std::to_string(r) + "], got " + shape_to_string(images.sizes().vec()));
  }
  return visual(images);
}

torch::Tensor ClipModelImpl::encode_text(const torch::Tensor& ids, const torch::Tensor& eot) {
  if (ids.dim() != 2 || ids.size(1) < 1 || ids.size(1) > config_.context_length) {
    throw ClipError("CLIP encode_text: expected token ids [N, L] with 1 <= L <= " +
                    std::to_string(config_.context_length) + ", got " +
                    shape_to_string(ids.sizes().vec()));
  }
  const auto ids64 = ids.to(torch::kLong);
  const auto max_id = ids64.numel() ? ids64.max().item<int64_t>() : 0;
  const auto min_id = ids64.numel() ? ids64.min().item<int64_t>() : 0;
  if (min_id < 0 || max_id >= config_.vocab_size) {
    throw ClipError("CLIP encode_text: token id " +
                    std::to_string(min_id < 0 ? min_id : max_id) + " outside the vocabulary of " +
                    std::to_string(config_.vocab_size));
  }
  const int64_t batch = ids.size(0);
  const int64_t length = ids.size(1);
  auto x = token_embedding(ids64);
  x = x + positional_embedding.slice(0, 0, length).to(x.scalar_type());
  auto mask = torch::full({length, length}, -std::numeric_limits<float>::infinity(),
                          x.options())
                  .triu(1);
  x = transformer(x, mask);
  x = ln_final(x);
  torch::Tensor positions = eot.defined() ? eot.to(torch::kLong).to(x.device())
                                          : ids64.argmax(-1);
  if (positions.numel() != batch) {
    throw ClipError("CLIP encode_text: " + std::to_string(positions.numel()) +
                    " end-of-text positions for " + std::to_string(batch) + " texts");
  }
  auto rows = torch::arange(batch, torch::TensorOptions().dtype(torch::kLong).device(x.device()));
  x = x.index({rows, positions});
  return torch::matmul(x, text_projection);
}

torch::Tensor ClipModelImpl::logits_per_image(const torch::Tensor& images, const torch::Tensor& ids) {
  auto img = encode_image(images);
  auto txt = encode_text(ids);
  img = img / img.norm(2, -1, true);
  txt = txt / txt.norm(2, -1, true);
  return logit_scale.exp() * torch::matmul(img, txt.t());
}

// ---------------------------------------------------------------------------------------------
// Loading

namespace {

// Where parameter values come from: their shapes by (checkpoint) name and a copy function.
struct WeightSource {
  ClipShapeMap shapes;
  std::function<void(const std::string& name, torch::Tensor& dst)> fill;
  std::string format;  // "safetensors", "torchscript", "state_dict"
  std::map<std::string, std::string> dtype;  // checkpoint name -> dtype name
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

LoadedClip build_from(const WeightSource& source, const fs::path& path, int vision_heads,
                      int text_heads, bool quick_gelu) {
  const std::string prefix = clip_key_prefix(source.shapes, path);
  // OpenAI name -> checkpoint name. open_clip's CustomTextCLIP keeps the text tower under
  // "text." (text.token_embedding.weight, text.transformer.*, text.ln_final.*,
  // text.text_projection): the same tensors, so they are read under OpenAI's names.
  std::map<std::string, std::string> names;
  const bool custom_text = !source.shapes.count(prefix + "token_embedding.weight") &&
                           source.shapes.count(prefix + "text.token_embedding.weight");
  for (const auto& [name, shape] : source.shapes) {
    if (!starts_with(name, prefix)) continue;
    std::string canonical = name.substr(prefix.size());
    if (custom_text && starts_with(canonical, "text.")) canonical = canonical.substr(5);
    names[canonical] = name;
  }
  ClipShapeMap stripped;
  for (const auto& [canonical, name] : names) stripped[canonical] = source.shapes.at(name);
  LoadedClip loaded;
  loaded.config = infer_clip_config(stripped, path, vision_heads, text_heads);
  loaded.config.quick_gelu = quick_gelu;
  loaded.model = ClipModel(loaded.config);
  loaded.format = source.format;
  std::map<std::string, std::int64_t> elements;  // dtype -> parameter elements
  for (const auto& [canonical, name] : names) {
    const auto it = source.dtype.find(name);
    if (it == source.dtype.end()) continue;
    loaded.tensor_dtypes[canonical] = it->second;
    std::int64_t n = 1;
    for (auto d : source.shapes.at(name)) n *= d;
    elements[it->second] += n;
  }
  std::int64_t most = -1;
  for (const auto& [dtype, count] : elements) {
    if (count > most) {
      most = count;
      loaded.weights_dtype = dtype;
    }
  }
  torch::NoGradGuard no_grad;
  try {
    for (auto& item : loaded.model->named_parameters(/*recurse=*/true)) {
      torch::Tensor dst = item.value();
      source.fill(names.at(item.key()), dst);
      dst.set_requires_grad(false);
    }
  } catch (const c10::Error& e) {
    throw ClipModelError(path, "cannot read the weights: " + error_first_line(e));
  }
  loaded.model->eval();
  return loaded;
}

std::string first_bytes(const fs::path& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return bytes;
}

bool is_zip_archive(const std::string& head) { return head.rfind("PK\x03\x04", 0) == 0; }

// safetensors: an 8-byte little-endian header length, then the JSON header.
bool looks_like_safetensors(const std::string& head) {
  return head.size() >= 9 && head[8] == '{';
}

LoadedClip load_safetensors(const fs::path& path, int vision_heads, int text_heads,
                            bool quick_gelu) {
  auto reader = std::make_shared<SafetensorsReader>(path);
  WeightSource source;
  source.format = "safetensors";
  for (const auto& [name, entry] : reader->entries()) {
    source.shapes[name] = entry.shape;
    source.dtype[name] = entry.dtype;
  }
  source.fill = [reader](const std::string& name, torch::Tensor& dst) {
    reader->read_f32(name, dst.data_ptr<float>());
  };
  return build_from(source, path, vision_heads, text_heads, quick_gelu);
}

std::string dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat: return "F32";
    case torch::kHalf: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kDouble: return "F64";
    default: return c10::toString(t);
  }
}

LoadedClip load_torch_archive(const fs::path& path, int vision_heads, int text_heads,
                              bool quick_gelu) {
  std::map<std::string, torch::Tensor> tensors;
  std::string jit_error;
  try {
    torch::jit::Module module = torch::jit::load(path.string(), torch::kCPU);
    for (const auto& p : module.named_parameters(/*recurse=*/true)) tensors[p.name] = p.value;
    for (const auto& b : module.named_buffers(/*recurse=*/true)) tensors.emplace(b.name, b.value);
  } catch (const std::exception& e) {
    jit_error = error_first_line(e);
  }
  WeightSource source;
  if (jit_error.empty()) {
    source.format = "torchscript";
    for (const auto& [name, t] : tensors) {
      source.shapes[name] = t.sizes().vec();
      source.dtype[name] = dtype_name(t.scalar_type());
    }
    source.fill = [&tensors](const std::string& name, torch::Tensor& dst) {
      dst.copy_(tensors.at(name).to(torch::kCPU, torch::kFloat).reshape(dst.sizes()));
    };
    return build_from(source, path, vision_heads, text_heads, quick_gelu);
  }
  // Not TorchScript: a torch.save'd state dict (open_clip_pytorch_model.bin, training
  // checkpoints), read without running its pickle.
  std::shared_ptr<TorchStateDictReader> reader;
  try {
    reader = std::make_shared<TorchStateDictReader>(path);
  } catch (const ClipModelError& e) {
    throw ClipModelError(path, "neither a TorchScript archive (" + jit_error +
                                   ") nor a torch.save'd state dict (" +
                                   std::string(e.what()).substr(path.string().size() + 2) + ")");
  }
  source.format = "state_dict";
  for (const auto& [name, t] : reader->tensors()) {
    source.shapes[name] = t.shape;
    source.dtype[name] = t.dtype;
  }
  source.fill = [reader](const std::string& name, torch::Tensor& dst) {
    reader->read_f32(name, dst.data_ptr<float>());
  };
  return build_from(source, path, vision_heads, text_heads, quick_gelu);
}

}  // namespace

LoadedClip load_clip_checkpoint(const fs::path& weights, int vision_heads, int text_heads,
                                bool quick_gelu) {
  std::error_code ec;
  if (!fs::exists(weights, ec)) throw ClipModelError(weights, "weights file not found");
  if (!fs::is_regular_file(weights, ec)) throw ClipModelError(weights, "weights path is not a file");
  const std::string head = first_bytes(weights, 16);
  if (is_zip_archive(head)) return load_torch_archive(weights, vision_heads, text_heads, quick_gelu);
  if (looks_like_safetensors(head) || weights.extension() == ".safetensors") {
    return load_safetensors(weights, vision_heads, text_heads, quick_gelu);
  }
  // Pickle protocol 2 opens with 0x80 0x02; torch.save before 1.6 wrote such a stream.
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x80) {
    throw ClipModelError(weights, "a legacy torch.save file (PyTorch before 1.6, not a zip "
                                  "archive), which is not supported: re-save it with a recent "
                                  "PyTorch (torch.save(torch.load(f), f2)) or as safetensors");
  }
  throw ClipModelError(weights, "unknown weights format: neither a safetensors file nor a zip "
                                "archive (TorchScript or torch.save)");
}

void quantize_linears_int8(ClipModelImpl& model) {
  if (model.logit_scale.scalar_type() != torch::kFloat || !model.logit_scale.device().is_cpu()) {
    throw ClipError("int8: the model must be float32 on the CPU");
  }
  bool onednn = false;
  for (auto engine : at::globalContext().supportedQEngines()) onednn |= engine == at::QEngine::ONEDNN;
  if (!onednn) throw ClipError("int8: this libtorch has no oneDNN quantized engine");
  try {
    at::globalContext().setQEngine(at::QEngine::ONEDNN);
    using Prepack = c10::intrusive_ptr<LinearPackedParamsBase>(at::Tensor, c10::optional<at::Tensor>);
    const auto prepack = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("quantized::linear_prepack", "")
                             .typed<Prepack>();
    torch::NoGradGuard no_grad;
    auto quantize = [&](const torch::Tensor& weight, const torch::Tensor& bias) {
      // Symmetric per output channel: scale = max |w| / 127, zero point 0.
      const auto w = weight.detach().to(torch::kFloat).contiguous();
      const auto scales = (w.abs().amax(1).clamp_min(1e-12) / 127.0).to(torch::kDouble);
      const auto zero_points = torch::zeros({w.size(0)}, torch::kLong);
      auto linear = std::make_shared<Int8Linear>();
      linear->packed = prepack.call(at::quantize_per_channel(w, scales, zero_points, 0, at::kQInt8),
                                    bias.detach().to(torch::kFloat).contiguous());
      return linear;
    };
    for (auto* transformer : {&model.visual->transformer, &model.transformer}) {
      for (const auto& block : *(*transformer)->resblocks) {
        auto* r = block->as<ResidualBlock>();
        r->attn->int8_in_proj = quantize(r->attn->in_proj_weight, r->attn->in_proj_bias);
        r->attn->int8_out_proj = quantize(r->attn->out_proj->weight, r->attn->out_proj->bias);
        r->mlp->int8_fc = quantize(r->mlp->c_fc->weight, r->mlp->c_fc->bias);
        r->mlp->int8_proj = quantize(r->mlp->c_proj->weight, r->mlp->c_proj->bias);
      }
    }
  } catch (const c10::Error& e) {
    throw ClipError("int8: " + error_first_line(e));
  }
}

std::vector<SafetensorsTensor> clip_state_tensors(ClipModelImpl& model) {
  std::vector<SafetensorsTensor> out;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    auto t = item.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
    SafetensorsTensor st;
    st.name = item.key();
    st.shape = t.sizes().vec();
    st.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    out.push_back(std::move(st));
  }
  return out;
}

void randomize_clip_parameters(ClipModelImpl& model, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (auto& item : model.named_parameters(/*recurse=*/true)) {
    const std::string& name = item.key();
    torch::Tensor p = item.value();
    auto noise = torch::randn(p.sizes(), gen, torch::TensorOptions().dtype(p.scalar_type()));
    const bool layer_norm = name.find("ln_") != std::string::npos;
    if (name == "logit_scale") {
      p.fill_(std::log(1.0 / 0.07));
    } else if (layer_norm && ends_with(name, ".weight")) {
      p.copy_(1.0 + 0.1 * noise);
    } else if (p.dim() == 1) {
      p.copy_(0.02 * noise);
    } else if (name == "token_embedding.weight" || ends_with(name, "positional_embedding")) {
      p.copy_(0.02 * noise);
    } else if (name == "text_projection" || name == "visual.proj") {
      p.copy_(noise / std::sqrt(static_cast<double>(p.size(0))));
    } else {
      const int64_t fan_in = p.numel() / p.size(0);
      p.copy_(noise / std::sqrt(static_cast<double>(fan_in)));
    }
  }
}

}  // namespace palimpsest::clip
