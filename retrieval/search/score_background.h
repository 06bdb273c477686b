#pragma once
// Per-modality calibration of dense scores. CLIP's text-to-text cosines sit far above its
// text-to-image ones (~0.8 against ~0.3 with any CLIP), so raw cosines of pictures and texts
// cannot be compared. Each modality's score is therefore standardised against that modality's
// background for the query: the scores the query gets from a fixed sample of the modality's
// vectors. A record's calibrated score is
//
//   z = (cosine - mean) / sd        over the background sample, sd at least kMinBackgroundSd,
//
// i.e. "how many standard deviations above a typical picture (or text) for this query". z is an
// affine map of the cosine for each query and modality, so orders within a modality never change.
//
// The sample: up to `per_modality` vectors (default 256), spread evenly over each kind's record
// ids, each kind in proportion to its size (EmbeddingStore::sample). It is read once per
// ScoreBackground and is deterministic for a given catalog.

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "schema/catalog.h"

namespace palimpsest {

inline constexpr int kBackgroundSample = 256;
inline constexpr double kMinBackgroundSd = 0.01;

struct ScoreDistribution {
  double mean = 0;
  double sd = 1;
  std::size_t samples = 0;
  double z(double score) const { return (score - mean) / sd; }
};

class ScoreBackground {
 public:
  // Reads the sample of every modality from the catalog's vectors of `model_id`.
  ScoreBackground(Catalog& catalog, std::int64_t model_id, int per_modality = kBackgroundSample);
  // From vectors given directly (tests, and callers that hold vectors already).
  explicit ScoreBackground(std::map<Modality, std::vector<std::vector<float>>> samples);

  // The distribution of query·v over the modality's sample; nullopt when the modality has no
  // vectors (or their size differs from the query's).
  std::optional<ScoreDistribution> distribution(Modality modality, const std::vector<float>& query) const;
  std::size_t sample_size(Modality modality) const;

 private:
  std::map<Modality, std::vector<std::vector<float>>> samples_;
};

}  // namespace palimpsest
