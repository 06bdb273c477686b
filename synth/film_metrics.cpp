#include "synth/film_metrics.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "synth/camera_path.h"
#include "synth/record_guidance.h"

namespace palimpsest {

std::optional<double> flicker(const RgbImage& previous, const RgbImage& current, const CameraMotion& motion) {
  if (previous.width != current.width || previous.height != current.height)
    throw std::invalid_argument("flicker: frames of different sizes");
  const int w = current.width, h = current.height;
  // Output pixel p shows previous(H^-1 p): sample there, as the renderer's warp does.
  const Homography back = invert(camera_homography(motion, w, h));
  double sum = 0;
  std::int64_t pixels = 0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double sx = 0, sy = 0;
      if (!apply(back, x + 0.5, y + 0.5, sx, sy)) continue;
      // Pixel centres at +0.5: the bilinear neighbours of (sx, sy).
      const double fx = sx - 0.5, fy = sy - 0.5;
      if (fx < 0 || fy < 0 || fx > w - 1 || fy > h - 1) continue;
      const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
      const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
      const double ax = fx - x0, ay = fy - y0;
      const std::uint8_t* c = current.row(y) + 3 * x;
      for (int ch = 0; ch < 3; ++ch) {
        const double top = previous.row(y0)[3 * x0 + ch] * (1 - ax) + previous.row(y0)[3 * x1 + ch] * ax;
        const double bottom = previous.row(y1)[3 * x0 + ch] * (1 - ax) + previous.row(y1)[3 * x1 + ch] * ax;
        sum += std::abs(c[ch] - (top * (1 - ay) + bottom * ay));
      }
      ++pixels;
    }
  }
  if (pixels == 0) return std::nullopt;
  return sum / (3.0 * 255.0 * static_cast<double>(pixels));
}

std::optional<std::pair<double, double>> concentration(const FrameProvenance& provenance) {
  double top = 0, entropy = 0;
  bool any = false;
  for (const ProvenanceEntry& e : provenance.entries) {
    if (e.role == ProvenanceRole::guidance) continue;
    any = true;
    top = std::max(top, e.weight);
    if (e.weight > 0) entropy -= e.weight * std::log(e.weight);
  }
  if (!any) return std::nullopt;
  return std::make_pair(top, std::max(0.0, entropy));
}

FilmMeter::FilmMeter(ImageEmbedder embed, NearestPicture nearest)
    : embed_(std::move(embed)), nearest_(std::move(nearest)) {}

FrameMetrics FilmMeter::measure(const RgbImage& image, const FrameProvenance& provenance, const FramePlan& plan,
                                const RgbImage* previous) const {
  FrameMetrics m;
  if (previous) m.flicker = flicker(*previous, image, plan.params.camera);
  if (const auto c = concentration(provenance)) {
    m.top_share = c->first;
    m.entropy = c->second;
  }
  if (embed_ && (plan.language || nearest_)) {
    const std::vector<float> v = embed_(image);
    if (plan.language && !plan.language->positive.empty()) m.clip_score = positive_similarity(*plan.language, v);
    if (nearest_)
      if (const auto nearest = nearest_(v)) m.novelty = 1.0 - *nearest;
  }
  return m;
}

NearestPicture nearest_of(std::shared_ptr<const std::vector<std::vector<float>>> pictures) {
  return [pictures](const std::vector<float>& v) -> std::optional<double> {
    if (!pictures || pictures->empty()) return std::nullopt;
    double best = -1;
    for (const auto& p : *pictures) best = std::max(best, cosine(v, p));
    return best;
  };
}

}  // namespace palimpsest
