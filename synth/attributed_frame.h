#pragma once
// A frame image together with its exact per-record weights, and the operations that keep the
// weights exact: bilinear warps and blends are convex, so applying them to the per-pixel weights
// as to the pixels keeps "pixel = sum_i weight_i(pixel) x record pixels" true (internal to synth/).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "synth/camera_path.h"
#include "synth/frame_plan.h"
#include "synth/provenance.h"
#include "synth/render_settings.h"

namespace palimpsest {

struct AttributedFrame {
  at::Tensor image;               // [3, H, W]
  std::vector<std::int64_t> ids;  // the records the weights refer to
  at::Tensor weights;             // [K] float64 frame weights (sum to 1)
  at::Tensor mass;                // [K, H, W] per-pixel weights, when tracked
};

// (1 - t) a + t b, with the records aligned on the union of both sets.
AttributedFrame blend_frames(const AttributedFrame& a, const AttributedFrame& b, double t);

// The frame `convex` + `residual` (clip-mode language, synth/clip_guidance.h): each pixel's
// record weights scaled by 1 - lambda and the language share lambda added as record
// kLanguageRecord. `frame` must carry per-pixel weights (its mass) for `convex`.
AttributedFrame with_language(AttributedFrame frame, const at::Tensor& convex, const at::Tensor& residual);

// `frame` warped by `h` (synth/camera_warp.h), its per-pixel weights too.
AttributedFrame warp_frame(const AttributedFrame& frame, const Homography& h);

// The provenance of `frame` drawn for `plan`: pixel entries (weight > 0, or the init record) with
// roles init / keyframe / borrowed / denoiser, sorted by weight, then the plan's guidance; the attribution
// map and per-pixel weights when `settings` ask for them (and the mass was tracked).
FrameProvenance describe_frame(const FramePlan& plan, const AttributedFrame& frame, bool diffused,
                               std::int64_t init_record, const RenderSettings& settings);

// A frame without pictures (FramePlan::records empty): its init itself, not denoised. Black for
// InitMode::black (and for a record init without a record), the seed's Gaussian noise clamped to
// [-1, 1] for noise, `init_image` (the init record's, [3, H, W]) for a record, which then holds all
// the weight (role init). Black and noise frames have no records and no weights.
AttributedFrame init_only_frame(const FramePlan& plan, const at::Tensor& init_image, std::int64_t init_record,
                                bool track_pixels, int width, int height);

// Each pixel in the colour of its largest-weight record (record_colour).
RgbImage attribution_map(const AttributedFrame& frame);

}  // namespace palimpsest
