#include "synth/latent_model.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_tokenizer.h"

namespace fs = std::filesystem;

namespace palimpsest {

struct LatentDiffusionModel::Impl {
  torch::jit::Module unet, vae_encoder, vae_decoder, text_encoder;
  std::unique_ptr<TextTokenizer> tokenizer;
  int context_length = 77;
  int channels = 4;
  int downscale = 8;
  double latent_scale = 0.18215;
  ScheduleKind schedule = ScheduleKind::scaled_linear;
  std::map<std::string, at::Tensor> text_cache;  // prompts repeat across a shot's frames
};

namespace {

torch::jit::Module load_module(const fs::path& dir, const nlohmann::json& config, const char* key) {
  if (!config.contains(key) || !config[key].is_string())
    throw LatentModelError((dir / "model.json").string() + ": \"" + key + "\" must name a TorchScript file");
  const fs::path file = dir / config[key].get<std::string>();
  if (!fs::is_regular_file(file)) throw LatentModelError(file.string() + ": missing");
  torch::jit::Module module;
  try {
    module = torch::jit::load(file.string(), torch::kCPU);
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw LatentModelError(file.string() + ": not a loadable TorchScript module (" + what.substr(0, what.find('\n')) + ")");
  }
  if (!module.find_method("forward")) throw LatentModelError(file.string() + ": has no forward method");
  module.eval();
  return module;
}

at::Tensor forward_tensor(torch::jit::Module& module, std::vector<torch::jit::IValue> inputs, const char* name) {
  torch::jit::IValue out;
  try {
    out = module.forward(std::move(inputs));
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw LatentModelError(std::string(name) + " failed: " + what.substr(0, what.find('\n')));
  }
  if (!out.isTensor()) throw LatentModelError(std::string(name) + " must return one tensor");
  return out.toTensor().to(at::kFloat);
}

void expect_shape(const at::Tensor& t, at::IntArrayRef shape, const std::string& what) {
  if (t.sizes() != shape) {
    std::ostringstream s;
    s << what << " returned shape " << t.sizes() << ", expected " << shape;
    throw LatentModelError(s.str());
  }
}

}  // namespace

LatentDiffusionModel::LatentDiffusionModel() : impl_(std::make_unique<Impl>()) {}
LatentDiffusionModel::~LatentDiffusionModel() = default;

std::unique_ptr<LatentDiffusionModel> LatentDiffusionModel::load(const fs::path& dir) {
  const fs::path config_file = dir / "model.json";
  std::ifstream in(config_file);
  if (!in) throw LatentModelError(config_file.string() + ": missing");
  const nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) throw LatentModelError(config_file.string() + ": not a JSON object");
  if (config.value("kind", "") != "latent-diffusion")
    throw LatentModelError(config_file.string() + ": \"kind\" must be \"latent-diffusion\"");

  std::unique_ptr<LatentDiffusionModel> model(new LatentDiffusionModel());
  Impl& m = *model->impl_;
  try {
    m.channels = config.value("latent_channels", 4);
    m.downscale = config.value("downscale", 8);
    m.latent_scale = config.value("latent_scale", 0.18215);
    const std::string schedule = config.value("schedule", "scaled_linear");
    if (schedule == "cosine") m.schedule = ScheduleKind::cosine;
    else if (schedule != "scaled_linear") throw LatentModelError(config_file.string() + ": unknown schedule \"" + schedule + "\"");
    const nlohmann::json tok = config.value("tokenizer", nlohmann::json::object());
    m.context_length = tok.value("context_length", 77);
    m.tokenizer = make_text_tokenizer(tok.value("kind", ""), dir / tok.value("file", ""), config_file);
  } catch (const nlohmann::json::exception& e) {
    throw LatentModelError(config_file.string() + ": " + e.what());
  } catch (const LatentModelError&) {
    throw;
  } catch (const std::exception& e) {
    throw LatentModelError(e.what());
  }
  if (m.channels < 1 || m.downscale < 1 || m.context_length < 2 || !(m.latent_scale > 0))
    throw LatentModelError(config_file.string() + ": latent_channels, downscale, context_length and latent_scale must be positive");
  m.unet = load_module(dir, config, "unet");
  m.vae_encoder = load_module(dir, config, "vae_encoder");
  m.vae_decoder = load_module(dir, config, "vae_decoder");
  m.text_encoder = load_module(dir, config, "text_encoder");

  // One probe through every module, so that a wrong export fails here and not mid-film.
  const int size = 2 * m.downscale;
  const at::Tensor latent = model->encode_image(at::zeros({3, size, size}));
  expect_shape(latent, {m.channels, 2, 2}, "vae_encoder");
  expect_shape(model->decode(latent), {3, size, size}, "vae_decoder");
  const at::Tensor context = model->encode_text("");
  if (context.dim() != 3 || context.size(0) != 1) throw LatentModelError("text_encoder must return [1, L, D]");
  expect_shape(model->predict_noise(latent.unsqueeze(0), 999, context), {1, m.channels, 2, 2}, "unet");
  return model;
}

int LatentDiffusionModel::latent_channels() const { return impl_->channels; }
int LatentDiffusionModel::downscale() const { return impl_->downscale; }
ScheduleKind LatentDiffusionModel::schedule() const { return impl_->schedule; }

at::Tensor LatentDiffusionModel::encode_text(const std::string& text) {
  auto it = impl_->text_cache.find(text);
  if (it != impl_->text_cache.end()) return it->second;
  torch::NoGradGuard no_grad;
  const TokenizedText tokens = impl_->tokenizer->tokenize(text, impl_->context_length);
  const at::Tensor ids = torch::tensor(tokens.ids, torch::kLong).unsqueeze(0);
  at::Tensor context = forward_tensor(impl_->text_encoder, {ids}, "text_encoder");
  return impl_->text_cache.emplace(text, context).first->second;
}

at::Tensor LatentDiffusionModel::encode_image(const at::Tensor& image) {
  torch::NoGradGuard no_grad;
  return forward_tensor(impl_->vae_encoder, {image.unsqueeze(0)}, "vae_encoder").squeeze(0) * impl_->latent_scale;
}

at::Tensor LatentDiffusionModel::decode(const at::Tensor& latent) {
  torch::NoGradGuard no_grad;
  return forward_tensor(impl_->vae_decoder, {(latent / impl_->latent_scale).unsqueeze(0)}, "vae_decoder").squeeze(0);
}

at::Tensor LatentDiffusionModel::predict_noise(const at::Tensor& latents, int timestep, const at::Tensor& contexts) {
  torch::NoGradGuard no_grad;
  const at::Tensor t = torch::full({latents.size(0)}, timestep, torch::kLong);
  return forward_tensor(impl_->unet, {latents, t, contexts}, "unet");
}

}  // namespace palimpsest
