#pragma once
// The torchscript backend's model: a latent diffusion model supplied as TorchScript files, as
// exported from PyTorch with torch.jit.script / torch.jit.trace (internal to synth/).
//
// A model folder holds model.json:
//   {"kind": "latent-diffusion",
//    "unet": "unet.pt", "vae_encoder": "vae_encoder.pt", "vae_decoder": "vae_decoder.pt",
//    "text_encoder": "text_encoder.pt",
//    "tokenizer": {"kind": "clip_bpe" | "sentencepiece", "file": "...", "context_length": 77},
//    "latent_channels": 4, "downscale": 8, "latent_scale": 0.18215,
//    "schedule": "scaled_linear" | "cosine"}
// and the modules' forward methods follow Stable Diffusion's split:
//   text_encoder(ids: int64 [B, L])                         -> context float [B, L, D]
//   unet(latent [B, C, h, w], t: int64 [B], context [B, L, D]) -> epsilon [B, C, h, w]
//   vae_encoder(image [B, 3, H, W] in [-1, 1])               -> latent [B, C, h, w] (unscaled mean)
//   vae_decoder(latent [B, C, h, w], unscaled)               -> image [B, 3, H, W] in [-1, 1]
// with h = H / downscale, w = W / downscale; latents are multiplied by latent_scale after
// encoding and divided by it before decoding, as Stable Diffusion's VAE scaling factor.

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "synth/render_settings.h"
#include "schema/error.h"

namespace palimpsest {

class LatentModelError : public Error {
 public:
  explicit LatentModelError(const std::string& message) : Error(message, error_class::unavailable) {}
};

class LatentDiffusionModel {
 public:
  // Loads and checks the folder; throws LatentModelError naming the file for a missing or
  // unreadable model.json or module, a module without forward, an unknown tokenizer kind, or
  // modules whose outputs do not have the shapes above (probed once at load).
  static std::unique_ptr<LatentDiffusionModel> load(const std::filesystem::path& dir);
  ~LatentDiffusionModel();

  int latent_channels() const;
  int downscale() const;
  ScheduleKind schedule() const;

  // Text -> context [1, L, D].
  at::Tensor encode_text(const std::string& text);
  // Image [3, H, W] in [-1, 1] -> scaled latent [C, h, w].
  at::Tensor encode_image(const at::Tensor& image);
  // Scaled latent [C, h, w] -> image [3, H, W].
  at::Tensor decode(const at::Tensor& latent);
  // Epsilon for a batch of latents [B, C, h, w] at timestep t with contexts [B, L, D].
  at::Tensor predict_noise(const at::Tensor& latents, int timestep, const at::Tensor& contexts);

 private:
  LatentDiffusionModel();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace palimpsest
