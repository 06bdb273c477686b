#pragma once
// The synthesis entry point: FramePlans in, frames and their provenance out (no libtorch here).
//
// For every sequence of plans (a sequence starts at the first plan and at each `restart`):
//  - its first frame starts from params.init (noise, black or a record image);
//  - each following block of `cadence` frames is diffused at its last frame, from the previous
//    diffused frame warped along the camera path (the composed per-frame homographies),
//    colour-matched to the frame's keyframe record, given `noise`, noised to the level set by
//    `strength` and denoised with DDIM (Deforum's animation loop);
//  - the frames inside a block are blends of the two diffused frames around them, each warped to
//    the frame (the earlier one forwards, the later one backwards along the path), weighted by
//    the frame's position in the block.
// With a KeyframeBlend the initial noise is slerped between the keyframes' seeds, or the start
// latent between the DDIM inversions of the keyframe images.
// Language: a plan with a LanguageTarget and a guidance ratio above 0 adds the record-level
// language term to every step's logits (synth/record_guidance.h) and, in guidance_mode clip,
// nudges each step's x0 along the CLIP gradient (synth/clip_guidance.h; needs
// set_language_model). At ratio 0 the frames are exactly those drawn without language.
// Abstraction: a plan whose abstraction is set is drawn with the denoiser, strength and priors
// it chooses (synth/abstraction.h).
// Every frame's provenance is exact (synth/provenance.h): records' weights, plus the `language`
// share (record id kLanguageRecord) in clip mode.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "indexer/media/rgb_image.h"
#include "synth/frame_plan.h"
#include "synth/provenance.h"
#include "synth/render_settings.h"

namespace palimpsest {

class ClipEncoder;

// The image of a record (any size: it is scaled to cover the frame and centre-cropped). Throws
// for an unknown record or one without an image.
using RecordImageSource = std::function<RgbImage(std::int64_t record_id)>;

struct RenderedFrame {
  int frame = 0;
  RgbImage image;
  FrameProvenance provenance;
};

// Seconds per stage, for progress reports and the benchmark.
struct RenderStats {
  int diffused_frames = 0;
  int tween_frames = 0;
  std::int64_t denoiser_calls = 0;
  std::int64_t exact_pairs = 0;   // (record, offset) candidates evaluated exactly
  double load_s = 0.0;            // record images: decode, scale, convert, precompute
  double search_s = 0.0;          // windowed coarse search
  double denoise_s = 0.0;         // exact candidate evaluation and softmax
  double sampler_s = 0.0;         // DDIM updates, noise, inversion bookkeeping
  double camera_s = 0.0;          // warps, blends and colour matching
  double provenance_s = 0.0;      // attribution, maps, 8-bit conversion
  double language_s = 0.0;        // CLIP gradients (guidance_mode clip)
  double total_s = 0.0;
};

class FrameRenderer {
 public:
  FrameRenderer(RenderSettings settings, RecordImageSource source);
  ~FrameRenderer();
  FrameRenderer(FrameRenderer&&) noexcept;
  FrameRenderer& operator=(FrameRenderer&&) noexcept;

  // Renders `plans` (consecutive frame numbers, ascending) and calls on_frame for every frame,
  // in order, as soon as it is ready. Throws std::invalid_argument for a bad plan (gap in frame
  // numbers, no positive prior, steps < 1, strength outside (0, 1], cadence < 1) and passes on the
  // source's exceptions. Deterministic: the same plans and settings give the same frames.
  void render(const std::vector<FramePlan>& plans,
              const std::function<void(RenderedFrame&&)>& on_frame);

  // The film's CLIP model, for plans in guidance_mode clip (not owned; outlives the renderer).
  void set_language_model(ClipEncoder* encoder);

  const RenderStats& stats() const;
  const RenderSettings& settings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Renders all plans and returns the frames (a convenience over FrameRenderer).
std::vector<RenderedFrame> render_frames(const RenderSettings& settings,
                                         const std::vector<FramePlan>& plans,
                                         const RecordImageSource& source,
                                         RenderStats* stats = nullptr);

}  // namespace palimpsest
