#include "synth/attributed_frame.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>

#include "synth/camera_warp.h"
#include "synth/clip_guidance.h"
#include "synth/noise.h"

namespace palimpsest {

AttributedFrame blend_frames(const AttributedFrame& a, const AttributedFrame& b, double t) {
  AttributedFrame out;
  out.image = a.image * (1.0 - t) + b.image * t;
  std::map<std::int64_t, int64_t> index;
  for (const auto* source : {&a, &b}) {
    for (std::int64_t id : source->ids) {
      if (index.emplace(id, static_cast<int64_t>(out.ids.size())).second) out.ids.push_back(id);
    }
  }
  const int64_t k = static_cast<int64_t>(out.ids.size());
  const auto positions = [&](const AttributedFrame& s) {
    std::vector<int64_t> p;
    for (std::int64_t id : s.ids) p.push_back(index[id]);
    return at::tensor(p, at::kLong);
  };
  out.weights = at::zeros({k}, at::kDouble)
                    .index_add_(0, positions(a), a.weights * (1.0 - t))
                    .index_add_(0, positions(b), b.weights * t);
  if (a.mass.defined() && b.mass.defined()) {
    out.mass = at::zeros({k, a.mass.size(1), a.mass.size(2)}, at::kFloat)
                   .index_add_(0, positions(a), a.mass * (1.0 - t))
                   .index_add_(0, positions(b), b.mass * t);
    // Frame weights of a warped frame come from its warped pixel weights.
    out.weights = out.mass.to(at::kDouble).mean({1, 2});
  }
  return out;
}

AttributedFrame with_language(AttributedFrame frame, const at::Tensor& convex, const at::Tensor& residual) {
  if (!frame.mass.defined()) throw std::invalid_argument("with_language: the frame's pixel weights were not tracked");
  const at::Tensor share = language_share(convex, residual);  // [H, W]
  frame.mass = at::cat({frame.mass.to(at::kFloat) * (1.0 - share).unsqueeze(0), share.unsqueeze(0)}, 0);
  frame.ids.push_back(kLanguageRecord);
  frame.weights = frame.mass.to(at::kDouble).mean({1, 2});
  return frame;
}

AttributedFrame warp_frame(const AttributedFrame& frame, const Homography& h) {
  AttributedFrame out = frame;
  out.image = warp_planes(frame.image, h);
  if (frame.mass.defined()) {
    out.mass = warp_planes(frame.mass, h);
    out.weights = out.mass.to(at::kDouble).mean({1, 2});
  }
  return out;
}

FrameProvenance describe_frame(const FramePlan& plan, const AttributedFrame& frame, bool diffused,
                               std::int64_t init_record, const RenderSettings& settings) {
  FrameProvenance out;
  out.frame = plan.frame;
  out.diffused = diffused;
  const at::Tensor weights = frame.weights.to(at::kDouble).contiguous();
  const double* w = weights.data_ptr<double>();
  bool init_listed = false;
  for (size_t k = 0; k < frame.ids.size(); ++k) {
    const std::int64_t id = frame.ids[k];
    if (!(w[k] > 0.0) && (id != init_record || id == kLanguageRecord)) continue;
    ProvenanceRole role = ProvenanceRole::denoiser;
    if (id == kLanguageRecord) {
      role = ProvenanceRole::language;
    } else if (id == init_record) {
      role = ProvenanceRole::init;
      init_listed = true;
    } else {
      for (const RecordPrior& r : plan.records)
        if (r.record_id == id && pixel_role(r) != ProvenanceRole::denoiser) role = pixel_role(r);
    }
    out.entries.push_back({id, std::max(0.0, w[k]), role});
  }
  if (init_record != 0 && !init_listed) {
    out.entries.push_back({init_record, 0.0, ProvenanceRole::init});
  }
  std::stable_sort(out.entries.begin(), out.entries.end(),
                   [](const ProvenanceEntry& a, const ProvenanceEntry& b) {
                     return a.weight > b.weight;
                   });
  for (const GuidanceWeight& g : plan.guidance) {
    out.entries.push_back({g.record_id, g.weight, ProvenanceRole::guidance});
  }
  if (frame.mass.defined() && settings.attribution_maps) {
    out.attribution_map = attribution_map(frame);
  }
  if (frame.mass.defined() && settings.pixel_weights) {
    const at::Tensor mass = frame.mass.to(at::kFloat).contiguous();
    out.pixel_records = frame.ids;
    out.pixel_weights.assign(mass.data_ptr<float>(), mass.data_ptr<float>() + mass.numel());
  }
  return out;
}

AttributedFrame init_only_frame(const FramePlan& plan, const at::Tensor& init_image, std::int64_t init_record,
                                bool track_pixels, int width, int height) {
  AttributedFrame out;
  if (init_record != 0 && init_image.defined()) {
    out.image = init_image.clone();
    out.ids = {init_record};
    out.weights = at::ones({1}, at::kDouble);
    if (track_pixels) out.mass = at::ones({1, height, width}, at::kFloat);
    return out;
  }
  const std::vector<int64_t> shape = {3, height, width};
  out.image = plan.params.init == InitMode::noise ? gaussian_noise(plan.params.seed, shape).clamp(-1.0, 1.0)
                                                  : at::full(shape, -1.0, at::kFloat);
  out.weights = at::zeros({0}, at::kDouble);
  return out;
}

// Each pixel in the colour of its largest-weight record.
RgbImage attribution_map(const AttributedFrame& frame) {
  std::vector<std::uint8_t> palette(frame.ids.size() * 3);
  for (size_t k = 0; k < frame.ids.size(); ++k) record_colour(frame.ids[k], &palette[k * 3]);
  const at::Tensor colours =
      at::from_blob(palette.data(), {static_cast<int64_t>(frame.ids.size()), 3}, at::kByte);
  const at::Tensor winner = frame.mass.argmax(0).flatten();              // [H * W]
  const at::Tensor pixels = colours.index_select(0, winner).contiguous();  // [H * W, 3]
  RgbImage map(static_cast<int>(frame.mass.size(2)), static_cast<int>(frame.mass.size(1)));
  std::memcpy(map.pixels.data(), pixels.data_ptr<std::uint8_t>(), map.pixels.size());
  return map;
}

}  // namespace palimpsest
