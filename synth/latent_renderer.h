#pragma once
// The torchscript backend's renderer: FramePlans drawn by a latent diffusion model
// (synth/latent_model.h) with DDIM and classifier-free guidance.
//
// Per frame: the init (the sequence's init at a cut, else the previous frame warped along the
// camera path) is encoded by the VAE, noised to the level set by strength (seeded noise, slerped
// between the keyframes' seeds when the plan blends), denoised with DDIM where each step's epsilon
// is eps(uncond) + scale x (eps(prompt) - eps(uncond)) (the negative prompt, or "", as uncond),
// and decoded. Every frame is diffused (cadence is not used by this backend).
//
// Provenance: a learned model's pixels are not a combination of record pixels, so this backend
// cannot attribute pixels exactly. Its entries are the plan's conditioning: keyframe and
// denoiser-role records with their normalised priors (which chose the init images and the
// keyframes the film slides between), the init record at cuts (weight 0), and the guidance.

#include <functional>
#include <memory>
#include <vector>

#include "synth/frame_renderer.h"
#include "synth/latent_model.h"

namespace palimpsest {

class LatentRenderer {
 public:
  // `model` must outlive the renderer. settings: width and height (multiples of the model's
  // downscale), schedule is the model's, eta.
  LatentRenderer(LatentDiffusionModel& model, RenderSettings settings, RecordImageSource source);
  ~LatentRenderer();

  // As FrameRenderer::render. Throws std::invalid_argument for a bad plan or a frame size the
  // model cannot divide, LatentModelError when a module fails.
  void render(const std::vector<FramePlan>& plans, const std::function<void(RenderedFrame&&)>& on_frame);
  const RenderStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace palimpsest
