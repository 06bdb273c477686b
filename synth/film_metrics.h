#pragma once
// Film metrics of every rendered frame, so that filmmakers can compare renders (make --json,
// provenance.json, GET /api/v1/films/{id}/metrics, sweeps). No libtorch.
//
//   clip_score  CLIP similarity of the frame to its shot's text: sum_t w_t cos(E(frame), t) over
//               the shot's weighted terms (synth/record_guidance.h), E the film's CLIP image
//               tower with CLIP's preprocessing (short side resized, centre square).
//   flicker     mean over pixels and channels of |frame - warp(previous frame)| / 255, warp being
//               the planned camera motion from the previous frame to this one, over the pixels
//               whose source lies inside the previous frame (bilinear); unset on the first frame
//               of a sequence (a cut), where a jump is the point.
//   top_share   the largest provenance weight among the frame's pixel entries (records and
//               language): 1 is one record copied, 1/N an even mix of N.
//   entropy     -sum w ln w over those weights, in nats (0 for one record).
//   novelty     1 - the cosine of E(frame) to the nearest picture record of the archive (the
//               film's model): 0 is a record reproduced, larger is further from anything filmed.

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "indexer/media/rgb_image.h"
#include "schema/catalog_rows.h"
#include "synth/frame_plan.h"
#include "synth/provenance.h"

namespace palimpsest {

// nullopt when no pixel of `current` comes from inside `previous`. Throws std::invalid_argument
// for images of different sizes.
std::optional<double> flicker(const RgbImage& previous, const RgbImage& current, const CameraMotion& motion);
// Top share and entropy of the pixel entries (roles other than guidance); nullopt for none.
std::optional<std::pair<double, double>> concentration(const FrameProvenance& provenance);

// The unit CLIP vector of a frame (the film's model).
using ImageEmbedder = std::function<std::vector<float>(const RgbImage& image)>;
// The cosine of a unit vector to the nearest picture record of the archive; nullopt without any.
using NearestPicture = std::function<std::optional<double>(const std::vector<float>& unit)>;

class FilmMeter {
 public:
  // Without an embedder, clip_score and novelty stay unset; without `nearest`, novelty does.
  FilmMeter(ImageEmbedder embed, NearestPicture nearest);

  // `previous`: the frame before in the same sequence, null on a sequence's first frame.
  FrameMetrics measure(const RgbImage& image, const FrameProvenance& provenance, const FramePlan& plan,
                       const RgbImage* previous) const;

 private:
  ImageEmbedder embed_;
  NearestPicture nearest_;
};

// Novelty by brute force over picture vectors (unit rows, one per picture record).
NearestPicture nearest_of(std::shared_ptr<const std::vector<std::vector<float>>> pictures);

}  // namespace palimpsest
