#pragma once
// A frame's provenance: which records made it, and how much of it. (A film's provenance lives
// in the catalog: schema/film_store.h.)
//
// With the archive backend the last DDIM step returns the denoiser's x0 itself (its target level
// is abar = 1), and x0 is a convex combination of record pixels: at each pixel, softmax weights
// over records (global denoiser) or over record patches (local denoisers), whose centre pixels are
// summed. So every record gets an exact weight per pixel (its summed softmax mass; the weights of
// a pixel sum to 1) and per frame (the mean over pixels; a frame's record weights sum to 1).
// Frames between diffused frames (cadence) are bilinear warps and blends of diffused frames, both
// convex, so their weights are warped and blended the same way and stay exact.

#include <cstdint>
#include <string>
#include <vector>

#include "indexer/media/rgb_image.h"
#include "schema/catalog_rows.h"  // ProvenanceRole

namespace palimpsest {

struct ProvenanceEntry {
  std::int64_t record_id = 0;
  double weight = 0.0;
  ProvenanceRole role = ProvenanceRole::denoiser;
};

struct FrameProvenance {
  int frame = 0;
  bool diffused = true;  // false for a cadence in-between (warped and blended) frame
  // Pixel entries (roles keyframe, denoiser, init) first, sorted by weight (descending); their
  // weights sum to 1. Guidance entries follow with the timeline's guidance weights, which are not
  // part of that sum. An init record that lent no pixels appears with weight 0.
  std::vector<ProvenanceEntry> entries;
  // Optional (RenderSettings::attribution_maps): the argmax record of every pixel drawn in that
  // record's colour (record_colour).
  RgbImage attribution_map;
  // Optional (RenderSettings::pixel_weights): weight of pixel_records[k] at pixel (y, x) is
  // pixel_weights[(k * height + y) * width + x]; the weights of a pixel sum to 1.
  std::vector<std::int64_t> pixel_records;
  std::vector<float> pixel_weights;

  double pixel_weight_sum() const;       // sum of the non-guidance weights (1 up to rounding)
  double weight_of(std::int64_t record_id) const;  // its non-guidance weight, 0 if absent
};

// The colour a record is drawn in on attribution maps: a hue from the golden-ratio sequence
// over a hash of the id, so that colours are stable across frames and films.
void record_colour(std::int64_t record_id, std::uint8_t rgb[3]);

// PNG bytes of a frame's attribution map; throws std::invalid_argument when it has none.
std::string encode_attribution_png(const FrameProvenance& provenance);

}  // namespace palimpsest
