#include "retrieval/search/score_background.h"

#include <algorithm>
#include <cmath>

#include "schema/embedding_store.h"

namespace palimpsest {

ScoreBackground::ScoreBackground(Catalog& catalog, std::int64_t model_id, int per_modality) {
  const std::map<std::string, std::int64_t> counts = catalog.count_records_by_kind();
  for (Modality modality : kModalities) {
    std::int64_t total = 0;
    for (RecordKind kind : kinds_of(modality)) {
      const auto it = counts.find(std::string(to_string(kind)));
      if (it != counts.end()) total += it->second;
    }
    if (total == 0) continue;
    std::vector<std::vector<float>>& sample = samples_[modality];
    for (RecordKind kind : kinds_of(modality)) {
      const auto it = counts.find(std::string(to_string(kind)));
      if (it == counts.end() || it->second == 0) continue;
      // Each kind in proportion to its share of the modality, at least one vector.
      const auto share = static_cast<int>(std::max<std::int64_t>(1, (it->second * per_modality + total - 1) / total));
      for (auto& [id, vector] : catalog.embeddings().sample(model_id, kind, share)) sample.push_back(std::move(vector));
    }
  }
}

ScoreBackground::ScoreBackground(std::map<Modality, std::vector<std::vector<float>>> samples)
    : samples_(std::move(samples)) {}

std::optional<ScoreDistribution> ScoreBackground::distribution(Modality modality,
                                                               const std::vector<float>& query) const {
  const auto it = samples_.find(modality);
  if (it == samples_.end()) return std::nullopt;
  double sum = 0, squares = 0;
  std::size_t n = 0;
  for (const std::vector<float>& v : it->second) {
    if (v.size() != query.size()) continue;
    double dot = 0;
    for (std::size_t i = 0; i < v.size(); ++i) dot += static_cast<double>(v[i]) * query[i];
    sum += dot;
    squares += dot * dot;
    ++n;
  }
  if (n == 0) return std::nullopt;
  ScoreDistribution d;
  d.samples = n;
  d.mean = sum / static_cast<double>(n);
  const double variance = std::max(0.0, squares / static_cast<double>(n) - d.mean * d.mean);
  d.sd = std::max(std::sqrt(variance), kMinBackgroundSd);
  return d;
}

std::size_t ScoreBackground::sample_size(Modality modality) const {
  const auto it = samples_.find(modality);
  return it == samples_.end() ? 0 : it->second.size();
}

}  // namespace palimpsest
