#include "indexer/vector/vector_math.h"

#include <cmath>
#include <cstring>

namespace palimpsest {

std::string normalise_into(const float* v, int dim, float* unit) {
  double sum = 0;
  for (int i = 0; i < dim; ++i) {
    if (!std::isfinite(v[i])) return "contains NaN or infinity at index " + std::to_string(i);
    sum += static_cast<double>(v[i]) * v[i];
  }
  const double norm = std::sqrt(sum);
  // Below this the direction is noise (and 1/norm may overflow a float).
  if (!(norm > 1e-30)) return "has zero length";
  const double inv = 1.0 / norm;
  for (int i = 0; i < dim; ++i) unit[i] = static_cast<float>(v[i] * inv);
  return {};
}

std::uint64_t vector_fingerprint(const float* v, int dim) {
  // A multiply-xorshift mix over 32-bit words, seeded with the length: fast, and any change of
  // any bit changes the result with overwhelming probability. Not cryptographic; it guards
  // against stale caches, not adversaries.
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(dim);
  for (int i = 0; i < dim; ++i) {
    std::uint32_t w;
    std::memcpy(&w, v + i, sizeof w);
    h ^= w + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ull;
  }
  h ^= h >> 31;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 29;
  return h;
}

}  // namespace palimpsest
