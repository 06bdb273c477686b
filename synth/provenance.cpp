#include "synth/provenance.h"

#include <cmath>
#include <stdexcept>

#include "indexer/media/image_codec.h"

namespace palimpsest {

double FrameProvenance::pixel_weight_sum() const {
  double sum = 0.0;
  for (const ProvenanceEntry& entry : entries) {
    if (entry.role != ProvenanceRole::guidance) sum += entry.weight;
  }
  return sum;
}

double FrameProvenance::weight_of(std::int64_t record_id) const {
  for (const ProvenanceEntry& entry : entries) {
    if (entry.record_id == record_id && entry.role != ProvenanceRole::guidance) {
      return entry.weight;
    }
  }
  return 0.0;
}

void record_colour(std::int64_t record_id, std::uint8_t rgb[3]) {
  // splitmix64 scrambles neighbouring ids; the golden-ratio step spreads the hues evenly.
  std::uint64_t z = static_cast<std::uint64_t>(record_id) + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const double hue = std::fmod(static_cast<double>(z % 1000003) * 0.6180339887498949, 1.0);
  const double saturation = 0.55 + 0.35 * static_cast<double>((z >> 20) % 3) / 2.0;
  const double value = 0.95 - 0.25 * static_cast<double>((z >> 28) % 2);
  // HSV -> RGB.
  const double h6 = hue * 6.0;
  const int sector = static_cast<int>(h6) % 6;
  const double f = h6 - std::floor(h6);
  const double p = value * (1 - saturation);
  const double q = value * (1 - saturation * f);
  const double t = value * (1 - saturation * (1 - f));
  double r = value, g = t, b = p;
  switch (sector) {
    case 0: r = value; g = t; b = p; break;
    case 1: r = q; g = value; b = p; break;
    case 2: r = p; g = value; b = t; break;
    case 3: r = p; g = q; b = value; break;
    case 4: r = t; g = p; b = value; break;
    default: r = value; g = p; b = q; break;
  }
  rgb[0] = static_cast<std::uint8_t>(std::lround(r * 255));
  rgb[1] = static_cast<std::uint8_t>(std::lround(g * 255));
  rgb[2] = static_cast<std::uint8_t>(std::lround(b * 255));
}

std::string encode_attribution_png(const FrameProvenance& provenance) {
  if (provenance.attribution_map.empty()) {
    throw std::invalid_argument("frame " + std::to_string(provenance.frame) +
                                " has no attribution map (RenderSettings::attribution_maps)");
  }
  return encode_png(provenance.attribution_map);
}

}  // namespace palimpsest
